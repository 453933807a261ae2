//! The window's sandbox, read from the files Tauri builds it from: the capability grants
//! exactly the app's own commands and listening to its events (no plugin, no filesystem, no
//! shell), and the CSP allows no eval and no remote origin.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

fn read(path: &str) -> Value {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn the_window_is_granted_exactly_the_commands_the_ui_calls() {
    let cap = read("capabilities/main.json");
    let granted: BTreeSet<String> =
        cap["permissions"].as_array().unwrap().iter().map(|p| p.as_str().unwrap().to_string()).collect();
    let bindings =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/src/bindings.ts")).unwrap();
    // Every command the bindings invoke, as Tauri's generated permission names.
    let invoked: BTreeSet<String> = bindings
        .split("__TAURI_INVOKE")
        .skip(1)
        .filter_map(|rest| {
            // `__TAURI_INVOKE("name", ...)` or `__TAURI_INVOKE<T>("name")`.
            let rest = if rest.starts_with('<') { &rest[rest.find('>')? + 1..] } else { rest };
            let name = rest.strip_prefix("(\"")?.split('"').next()?;
            Some(format!("allow-{}", name.replace('_', "-")))
        })
        .collect();
    // The app's own events (`makeEvent("sync-event")`): listening, and no emitting.
    let mut invoked = invoked;
    if bindings.contains("makeEvent<") {
        invoked.extend(["core:event:allow-listen".to_string(), "core:event:allow-unlisten".to_string()]);
    }
    assert!(!invoked.is_empty());
    assert_eq!(granted, invoked, "capabilities/main.json must grant the UI's commands and nothing else");
    assert_eq!(cap["windows"], serde_json::json!(["main"]));
}

#[test]
fn the_csp_forbids_eval_and_remote_origins() {
    let conf = read("tauri.conf.json");
    let csp = conf["app"]["security"]["csp"].as_object().expect("a CSP is set");
    for (directive, value) in csp {
        let value = value.as_str().unwrap();
        assert!(!value.contains("unsafe-eval"), "{directive} allows eval");
        // Only these sources: the app's own files, inline data, its IPC. A host written without
        // a scheme (`api.example.com`), a wildcard or any other scheme is a remote origin.
        const ALLOWED: [&str; 6] =
            ["'self'", "'none'", "'unsafe-inline'", "data:", "ipc:", "http://ipc.localhost"];
        for source in value.split_whitespace() {
            assert!(ALLOWED.contains(&source), "{directive} allows a source outside the app: {source}");
        }
        assert!(
            directive != "script-src" || !value.contains("unsafe-inline"),
            "script-src allows inline scripts"
        );
    }
    assert_eq!(csp["default-src"], "'self'");
    assert!(conf["app"]["security"].get("dangerousDisableAssetCspModification").is_none());
}

#[test]
fn the_main_window_loads_only_the_apps_own_page() {
    use leadvault_desktop::main_window_may_load;
    let url = |s: &str| tauri::Url::parse(s).unwrap();
    for own in [
        "tauri://localhost",
        "tauri://localhost/index.html",
        "http://tauri.localhost/",
        "https://tauri.localhost/x",
    ] {
        assert!(main_window_may_load(&url(own), None), "{own} is the app's own page");
    }
    let dev = url("http://localhost:5173");
    assert!(main_window_may_load(&url("http://localhost:5173/src/main.tsx"), Some(&dev)));
    for elsewhere in [
        "https://example.com/",
        "http://localhost:5173/",
        "tauri://evil.example",
        "https://tauri.localhost.example.com/",
        "file:///etc/passwd",
        "data:text/html,<p>hi</p>",
        "javascript:alert(1)",
    ] {
        assert!(!main_window_may_load(&url(elsewhere), None), "{elsewhere} is not the app's page");
    }
    // The dev server only where the app runs under `tauri dev`, and only its own origin.
    assert!(!main_window_may_load(&url("http://localhost:5174/"), Some(&dev)));
}
