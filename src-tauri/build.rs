//! Declares the app's own commands to Tauri's ACL, so each needs an explicit permission in
//! `capabilities/` (generated as `allow-<command>`): the window can call only what it is granted.

const COMMANDS: &[&str] = &[
    "vault_state",
    "create_vault",
    "unlock_vault",
    "vault_status",
    "change_key",
    "load_samples",
    "list_leads",
    "count_by_status",
    "get_lead",
    "update_lead",
    "update_leads",
    "first_rows_painted",
    "export_view",
    "cancel_export",
    "import_file",
    "cancel_import",
    "list_providers",
    "list_connections",
    "connect_token",
    "begin_sign_in",
    "finish_sign_in",
    "cancel_sign_in",
    "test_connection",
    "disconnect",
    "sync_now",
    "set_sync_every",
    "start_demo",
    "stop_demo",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("the Tauri build step failed");
}
