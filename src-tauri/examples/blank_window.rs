//! The desktop benchmark's reference (`scripts/bench-desktop.sh`): the same Tauri shell, window
//! and WebKitGTK settings as the app, with a blank page and no vault, so the benchmark can print
//! the app's memory beside what any window of this stack costs on the same machine in the same
//! run. Prints `blank-page-loaded epoch_ms=<ms>` when the page has loaded.

/// The page: served by the window's own protocol, as the app's pages are (`about:blank` starts
/// no web process, so it would not measure one; data URLs need a feature the app does not use).
const PAGE: &str = "<!doctype html><meta charset=utf-8><title>Blank</title><body></body>";

fn main() {
    // As the app's main(): WebKitGTK composites on the CPU unless told otherwise.
    #[cfg(target_os = "linux")]
    if std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_none() {
        // SAFETY: first thing in main, before any thread exists that could read the environment.
        unsafe { std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1") };
    }
    let mut context = tauri::generate_context!("tauri.conf.json");
    for window in &mut context.config_mut().app.windows {
        window.url = tauri::WebviewUrl::External("blank://localhost/".parse().expect("a valid URL"));
    }
    tauri::Builder::default()
        .register_uri_scheme_protocol("blank", |_, _| {
            tauri::http::Response::builder()
                .header("Content-Type", "text/html; charset=utf-8")
                .body(PAGE.as_bytes().to_vec())
                .expect("a valid response")
        })
        .on_page_load(|_, payload| {
            if payload.event() == tauri::webview::PageLoadEvent::Finished {
                let ms = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_millis());
                println!("blank-page-loaded epoch_ms={ms}");
            }
        })
        .run(context)
        .expect("the blank reference window could not start");
}
