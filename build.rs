//! Writes into `OUT_DIR` what the binary embeds: the fixture files (`fixtures/<vendor>/*.json`)
//! minified, for `include_dir!` (the generators beside them and the indentation stay
//! out of the binary: 86 KB); with the `prebuilt-openapi` feature, the OpenAPI bundle
//! named by `VENDOR_EMULATOR_OPENAPI` (written by a full build's `vendor-emulator openapi
//! --bundle`), deflated.

use std::{
    env, fs,
    path::{Path, PathBuf},
};

/// The variable naming the bundle a `prebuilt-openapi` build embeds.
const BUNDLE_VARIABLE: &str = "VENDOR_EMULATOR_OPENAPI";

fn main() {
    embed_fixtures();
    if env::var_os("CARGO_FEATURE_PREBUILT_OPENAPI").is_some() {
        embed_openapi_bundle();
    }
}

fn out_dir() -> PathBuf {
    PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"))
}

/// `fixtures/<vendor>/<name>.json` → `$OUT_DIR/fixtures/<vendor>/<name>.json`, minified
/// (same values, same key order). A file that is not JSON fails the build, naming it.
fn embed_fixtures() {
    println!("cargo:rerun-if-changed=fixtures");
    let out = out_dir().join("fixtures");
    let _ = fs::remove_dir_all(&out);
    fs::create_dir_all(&out).expect("OUT_DIR is writable");
    let Ok(vendors) = fs::read_dir("fixtures") else {
        // cargo-chef's dependency build (the Dockerfile) runs this without the sources.
        println!("cargo:warning=fixtures/ is missing: this build embeds no fixtures");
        return;
    };
    for vendor in vendors {
        let vendor = vendor.expect("fixtures/ lists").path();
        if !vendor.is_dir() {
            continue;
        }
        let target = out.join(vendor.file_name().expect("a folder has a name"));
        fs::create_dir_all(&target).expect("OUT_DIR is writable");
        for file in fs::read_dir(&vendor).expect("a vendor folder is readable") {
            let file = file.expect("a vendor folder lists").path();
            if file.extension().is_none_or(|extension| extension != "json") {
                continue;
            }
            let text = fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            let value: serde_json::Value =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", file.display()));
            let minified = serde_json::to_string(&value).expect("a JSON value serializes");
            fs::write(target.join(file.file_name().expect("a file has a name")), minified)
                .expect("OUT_DIR is writable");
        }
    }
}

fn embed_openapi_bundle() {
    println!("cargo:rerun-if-env-changed={BUNDLE_VARIABLE}");
    let Some(bundle) = env::var_os(BUNDLE_VARIABLE) else {
        panic!(
            "the prebuilt-openapi feature embeds the documents of a full build: set {BUNDLE_VARIABLE} to a file \
             written by `vendor-emulator openapi --bundle` (see .ci/release-binary)"
        );
    };
    let bundle = Path::new(&bundle);
    println!("cargo:rerun-if-changed={}", bundle.display());
    let json = fs::read(bundle).unwrap_or_else(|e| panic!("{BUNDLE_VARIABLE}={}: {e}", bundle.display()));
    let out = out_dir().join("openapi-bundle.json.deflate");
    fs::write(&out, miniz_oxide::deflate::compress_to_vec(&json, 10))
        .unwrap_or_else(|e| panic!("writing {}: {e}", out.display()));
}
