//! The UI's types come from the Rust ones: `ui/src/bindings.ts` must be what the commands
//! generate today. Run with `UPDATE_BINDINGS=1` to rewrite it after changing a command.

use std::path::Path;

#[test]
fn ui_bindings_match_the_rust_commands() {
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join(leadvault_desktop::BINDINGS_PATH);
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        leadvault_desktop::export_bindings(&committed).expect("bindings export");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let fresh = dir.path().join("bindings.ts");
    leadvault_desktop::export_bindings(&fresh).expect("bindings export");
    let fresh = std::fs::read_to_string(fresh).unwrap();
    let old = std::fs::read_to_string(&committed).unwrap_or_default();
    assert!(
        fresh == old,
        "{} is stale: run `UPDATE_BINDINGS=1 cargo test --test bindings` and commit it",
        leadvault_desktop::BINDINGS_PATH
    );
}
