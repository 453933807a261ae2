//! The Leadvault desktop shell: a Tauri window over `leadvault-core`. Each command (in
//! `commands/`, one file per screen area) is a few lines: parse, call the core, map to what the
//! UI shows. Types and command wrappers for the UI are generated into `ui/src/bindings.ts`.

pub mod commands;
pub mod error;
pub mod state;

use std::path::PathBuf;
use std::sync::Arc;

use leadvault_core::secrets::OsKeychain;
use tauri::{Manager, Runtime};

use state::AppState;

/// Where the generated bindings live, relative to the repository root.
pub const BINDINGS_PATH: &str = "ui/src/bindings.ts";

/// Every command the window may call, for the invoke handler and the TypeScript bindings, on
/// the runtime `$runtime` (`tauri::Wry` in the app, the mock runtime in tests). A macro because
/// the export command is generic over the runtime and specta needs it named concretely.
#[macro_export]
macro_rules! app_commands {
    ($runtime:ty) => {
        tauri_specta::Builder::<$runtime>::new()
            .commands(tauri_specta::collect_commands![
                $crate::commands::vault::vault_state,
                $crate::commands::vault::create_vault,
                $crate::commands::vault::unlock_vault::<$runtime>,
                $crate::commands::vault::vault_status,
                $crate::commands::vault::change_key,
                $crate::commands::vault::load_samples,
                $crate::commands::inbox::list_leads,
                $crate::commands::inbox::count_by_status,
                $crate::commands::inbox::update_leads,
                $crate::commands::inbox::first_rows_painted,
                $crate::commands::lead::get_lead,
                $crate::commands::lead::update_lead,
                $crate::commands::export::export_view::<$runtime>,
                $crate::commands::export::cancel_export,
                $crate::commands::import::import_file::<$runtime>,
                $crate::commands::import::cancel_import,
                $crate::commands::connections::list_providers,
                $crate::commands::connections::list_connections,
                $crate::commands::connections::connect_token,
                $crate::commands::connections::begin_sign_in::<$runtime>,
                $crate::commands::connections::finish_sign_in::<$runtime>,
                $crate::commands::connections::cancel_sign_in::<$runtime>,
                $crate::commands::connections::test_connection,
                $crate::commands::connections::disconnect,
                $crate::commands::connections::sync_now,
                $crate::commands::connections::set_sync_every,
                $crate::commands::demo::start_demo,
                $crate::commands::demo::stop_demo,
            ])
            .events(tauri_specta::collect_events![
                $crate::commands::connections::SyncEvent,
                $crate::commands::vault::VaultUpdating
            ])
            // Counts and sizes are far below 2^53: plain numbers are what the UI wants.
            .dangerously_cast_bigints_to_number()
            // One TypeScript type per Rust type (what the window sends and receives agree).
            .disable_serde_phases()
    };
}

/// The TypeScript bindings, as `ui/src/bindings.ts` must read.
pub fn export_bindings(path: &std::path::Path) -> Result<(), String> {
    let ts = specta_typescript::Typescript::default().header(
        "// Generated from the Rust commands: `UPDATE_BINDINGS=1 cargo test --test bindings`. Do not edit.\n",
    );
    app_commands!(tauri::Wry).export(ts, path).map_err(|e| e.to_string())
}

/// The data directory: `LEADVAULT_DATA_DIR` (tests, a second vault) or the OS default.
pub fn data_dir() -> PathBuf {
    std::env::var_os("LEADVAULT_DATA_DIR")
        .map(PathBuf::from)
        .or_else(leadvault_core::vault::default_data_dir)
        .unwrap_or_else(|| PathBuf::from("leadvault-data"))
}

/// If WebKit's web process ends (a crash, the system short of memory), the window would stay
/// grey until restarted: load the page again instead. The vault and its state live in this
/// process and are untouched; the inbox opens as on a start.
fn reload_when_the_page_dies(app: &tauri::AppHandle) {
    #[cfg(target_os = "linux")]
    for window in app.webview_windows().into_values() {
        let _ = window.with_webview(|view| {
            use webkit2gtk::WebViewExt;
            view.inner().connect_web_process_terminated(|view, reason| {
                tracing::warn!(reason = ?reason, "the window's web process ended; loading the page again");
                view.reload();
            });
        });
    }
    #[cfg(not(target_os = "linux"))]
    let _ = app;
}

/// Whether the main window may load `url`: only the app's own page (`tauri://localhost`, or
/// `http(s)://tauri.localhost` where the system's webview serves it so), and in `tauri dev` the
/// Vite server. Anything else (a link in a lead's text that became clickable, a redirect) is not
/// loaded: the window holds the vault's IPC, so it never shows a page from elsewhere. The Meta
/// sign-in window has a label of its own and is not held to this.
pub fn main_window_may_load(url: &tauri::Url, dev_url: Option<&tauri::Url>) -> bool {
    let own = match url.scheme() {
        "tauri" => url.host_str() == Some("localhost"),
        "http" | "https" => url.host_str() == Some("tauri.localhost"),
        _ => false,
    };
    own || dev_url.is_some_and(|dev| dev.origin() == url.origin())
}

/// Builds the app on any runtime: the real window in `run`, the mock runtime in tests.
pub fn app<R: Runtime>(
    builder: tauri::Builder<R>,
    specta: tauri_specta::Builder<R>,
    state: AppState,
) -> tauri::Builder<R> {
    builder
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_notification::init())
        .plugin(
            tauri::plugin::Builder::<R, ()>::new("navigation-guard")
                .on_navigation(|webview, url| {
                    let dev_url = if tauri::is_dev() { webview.config().build.dev_url.clone() } else { None };
                    let allowed = webview.label() != "main" || main_window_may_load(url, dev_url.as_ref());
                    if !allowed {
                        tracing::warn!(
                            scheme = url.scheme(),
                            "the main window was kept from loading a page from elsewhere"
                        );
                    }
                    allowed
                })
                .build(),
        )
        .invoke_handler(specta.invoke_handler())
        .manage(state)
        .setup(move |app| {
            specta.mount_events(app);
            Ok(())
        })
}

/// Sends the background syncs' events to the window (and new leads to the desktop's
/// notifications); once the app is built, before a vault opens.
pub fn attach_sync_events<R: Runtime>(app: &tauri::App<R>) {
    let handle = app.handle().clone();
    app.state::<AppState>()
        .set_sync_listener(Arc::new(move |event| commands::connections::on_sync_event(&handle, event)));
}

pub fn run() {
    let dir = data_dir();
    // Logs: <data dir>/logs/leadvault-desktop.*.log, as the CLI's.
    let _log = leadvault_core::logging::init(&dir, "leadvault-desktop");
    let mut state = AppState::new(dir, Arc::new(OsKeychain::new()));
    state.background_sync = true;
    state.export_path = std::env::var_os("LEADVAULT_E2E_EXPORT_PATH").map(PathBuf::from);
    state.import_path = std::env::var_os("LEADVAULT_E2E_IMPORT_PATH").map(PathBuf::from);
    // A provider pointed at another address (the local fakes, for tests and demos), as the
    // CLI's --base-url does; and the OAuth apps' client ids.
    for provider in leadvault_core::connections::Provider::ALL {
        let var = leadvault_connectors::manage::env_name(provider, "BASE_URL");
        if let Ok(url) = std::env::var(var) {
            state.base_urls.insert(provider, url);
        }
        if let Ok(id) = std::env::var(leadvault_connectors::manage::env_name(provider, "CLIENT_ID")) {
            state.client_ids.insert(provider, id);
        }
    }
    let result = app(tauri::Builder::default(), app_commands!(tauri::Wry), state)
        .build(tauri::generate_context!("tauri.conf.json"))
        .map(|app| {
            attach_sync_events(&app);
            app.run(|app, event| match event {
                // The windows of tauri.conf.json exist from here.
                tauri::RunEvent::Ready => reload_when_the_page_dies(app),
                tauri::RunEvent::Exit => tauri::async_runtime::block_on(app.state::<AppState>().shut_down()),
                _ => {}
            });
        });
    if let Err(e) = result {
        tracing::error!("the window failed: {e}");
        eprintln!("error: the Leadvault window could not start: {e}");
        std::process::exit(1);
    }
}
