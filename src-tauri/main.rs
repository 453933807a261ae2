// Keeps a console window from opening alongside the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    #[cfg(target_os = "linux")]
    leave_compositing_to_the_cpu();
    leadvault_desktop::run();
}

/// WebKitGTK composites pages on the GPU through OpenGL by default. The inbox is text, a list
/// and a few panels: drawn on the CPU it scrolls as smoothly and its web process needs about
/// 100 MiB less (measured under Xvfb, where the GL is Mesa's software one: 285 → 185 MiB
/// resident). `LEADVAULT_GPU_COMPOSITING=1`, or the variable already set, keeps WebKit's choice.
#[cfg(target_os = "linux")]
fn leave_compositing_to_the_cpu() {
    const VAR: &str = "WEBKIT_DISABLE_COMPOSITING_MODE";
    if std::env::var_os(VAR).is_none()
        && std::env::var_os("LEADVAULT_GPU_COMPOSITING").is_none_or(|v| v != "1")
    {
        // SAFETY: first thing in main, before any thread exists that could read the environment.
        unsafe { std::env::set_var(VAR, "1") };
    }
}
