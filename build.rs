//! Rebuilds when a fixture file changes, since `include_dir!` embeds the folder.
fn main() {
    println!("cargo:rerun-if-changed=fixtures");
}
