//! Rebuilds when a fixture file changes, since `include_dir!` embeds the folder; with
//! the `prebuilt-openapi` feature, deflates the OpenAPI bundle named by
//! `VENDOR_EMULATOR_OPENAPI` (written by a full build's `vendor-emulator openapi --bundle`)
//! into `OUT_DIR` for the binary to embed.

use std::{env, fs, path::Path};

/// The variable naming the bundle a `prebuilt-openapi` build embeds.
const BUNDLE_VARIABLE: &str = "VENDOR_EMULATOR_OPENAPI";

fn main() {
    println!("cargo:rerun-if-changed=fixtures");
    if env::var_os("CARGO_FEATURE_PREBUILT_OPENAPI").is_some() {
        embed_openapi_bundle();
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
    let out = Path::new(&env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("openapi-bundle.json.deflate");
    fs::write(&out, miniz_oxide::deflate::compress_to_vec(&json, 10))
        .unwrap_or_else(|e| panic!("writing {}: {e}", out.display()));
}
