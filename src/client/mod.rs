//! The widget's pure logic, compiled for every target so `cargo test` runs it natively: no `JsValue`, no
//! web-sys, no clock. The browser host (`src/web`) keeps only the DOM side: it builds elements from what these
//! modules decide. Dependencies point as for the wire types: `json <- wire <- client <- web`.

pub mod markdown;
pub mod rating;
pub mod url;
