//! A Rust panic must not leave a silently dead chat (STYLE.md, "Errors"). The hook logs the panic with its
//! message and stack (`console_error_panic_hook`, the design's crate) and puts "Chat unavailable" into every live
//! widget, disabling its input.
//! After a panic the wasm instance is unusable (release builds abort), so nothing else is attempted.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};

use wasm_bindgen::JsCast;
use web_sys::Element;

use super::dom::{add, attr, scroll_end, text_el};

thread_local! {
    /// The outer element (the `.ef` shell) of every live widget.
    static WINDOWS: RefCell<Vec<Element>> = const { RefCell::new(Vec::new()) };
}

pub const MESSAGE: &str = "Chat unavailable: something went wrong. Please reload the page.";

/// Install the hook once per page.
pub fn install() {
    // A flag rather than `Once`: the same here (one thread), without `Once`'s poisoning and recursion panics.
    static INSTALLED: AtomicBool = AtomicBool::new(false);
    if !INSTALLED.swap(true, Ordering::Relaxed) {
        std::panic::set_hook(Box::new(|info| {
            console_error_panic_hook::hook(info);
            show_unavailable();
        }));
    }
}

pub(crate) fn register(window: &Element) {
    // `try_with`, not `with`: the same on wasm (no thread ever ends) without `with`'s panic path.
    let _ = WINDOWS.try_with(|w| {
        if let Ok(mut w) = w.try_borrow_mut() {
            w.push(window.clone());
        }
    });
}

pub(crate) fn unregister(window: &Element) {
    let _ = WINDOWS.try_with(|w| {
        if let Ok(mut w) = w.try_borrow_mut() {
            w.retain(|e| e != window);
        }
    });
}

/// Show "Chat unavailable" in every live widget and disable its composer. Safe to call from the panic hook:
/// it borrows nothing that may be borrowed and never panics.
pub fn show_unavailable() {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else { return };
    let _ = WINDOWS.try_with(|w| {
        let Ok(windows) = w.try_borrow() else { return };
        for win in windows.iter() {
            if let Ok(Some(_)) = win.query_selector(".ef-fatal") {
                continue;
            }
            let note = text_el(&doc, "div", "ef-fatal", MESSAGE);
            attr(&note, "role", "alert");
            if let Ok(Some(log)) = win.query_selector(".ef-log") {
                add(&log, &note);
                scroll_end(&log);
            }
            if let Ok(Some(launcher)) = win.query_selector(".ef-launcher") {
                attr(&launcher, "title", "Chat unavailable");
                attr(&launcher, "aria-label", "Chat unavailable");
            }
            if let Ok(controls) = win.query_selector_all("input,button") {
                for i in 0..controls.length() {
                    // `querySelectorAll` finds elements only: the cast needs no check.
                    if let Some(c) = controls.get(i) {
                        attr(c.unchecked_ref(), "disabled", "");
                    }
                }
            }
        }
    });
}
