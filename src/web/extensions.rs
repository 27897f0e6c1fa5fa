//! Extensions (`assistant.extensions`, SPEC §6.5): page code that renders or acts on traces.
//!
//! `{name, type: 'response', match({trace}), render({trace, element})}` draws into an element of the chat, in place
//! of the built-in rendering; `{name, type: 'effect', match({trace}), effect({trace})}` runs a side effect beside
//! it, as in the real widget (an analytics effect matching every text must not blank the chat). Unlike the real
//! widget, an extension may match **any** trace, built-in types included: every matching effect runs, and the
//! first matching response extension in config order renders the trace. A throwing `match` counts as no match;
//! every error is logged, never fatal.

use js_sys::{Function, Object};
use wasm_bindgen::{JsCast, JsValue};

use crate::wire::Trace;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    Response,
    Effect,
}

/// One extension, read by `config` (its functions straight from the JS object).
pub struct ExtensionSpec {
    pub name: String,
    /// `type`.
    pub kind: Kind,
    /// `match`.
    pub matcher: Function,
    pub render: JsValue,
    pub effect: JsValue,
}

pub struct Extensions {
    list: Vec<ExtensionSpec>,
}

impl Extensions {
    /// The extensions of a config, checked with [`Extensions::check`].
    pub fn new(list: Vec<ExtensionSpec>) -> Extensions {
        Extensions { list }
    }

    /// Check the functions `config` does not: `render` of a response extension, `effect` of an effect one.
    pub fn check(list: &[ExtensionSpec]) -> Result<(), super::error::WebError> {
        for (i, e) in list.iter().enumerate() {
            let (field, f) = match e.kind {
                Kind::Response => ("render", &e.render),
                Kind::Effect => ("effect", &e.effect),
            };
            if !f.is_undefined() && !f.is_function() {
                return Err(super::error::WebError::config(
                    &format!("assistant.extensions[{i}].{field}"),
                    "must be a function",
                ));
            }
        }
        Ok(())
    }

    /// Run the effect extensions that match this trace (not on replay: they ran when it was live), and find the
    /// first response extension that matches it: `Some(index)` for [`Extensions::render`], `None` to render the
    /// trace the built-in way. Effects never take the trace from the built-in rendering.
    pub fn handle(&self, trace: &Trace, replay: bool) -> Option<usize> {
        if self.list.is_empty() {
            return None;
        }
        let arg = trace_arg(trace);
        let mut response = None;
        for (i, ext) in self.list.iter().enumerate() {
            let wanted = match ext.kind {
                Kind::Response => response.is_none(),
                Kind::Effect => !replay,
            };
            if !wanted {
                continue;
            }
            match ext.matcher.call1(&JsValue::UNDEFINED, &arg) {
                Ok(v) if v.is_truthy() => {}
                Ok(_) => continue,
                Err(e) => {
                    log(&ext.name, "match", &e);
                    continue;
                }
            }
            match ext.kind {
                Kind::Response => response = Some(i),
                Kind::Effect => self.run_effect(ext, &arg),
            }
        }
        response
    }

    /// Call a response extension's `render({trace, element})`. Returns its cleanup function, if any.
    pub fn render(&self, index: usize, trace: &Trace, element: &web_sys::Element) -> Option<Function> {
        let ext = self.list.get(index)?;
        let f: &Function = ext.render.dyn_ref()?;
        let arg = trace_arg(trace);
        crate::web::convert::set(&arg, "element", element);
        match f.call1(&JsValue::UNDEFINED, &arg) {
            Ok(v) => v.dyn_into::<Function>().ok(),
            Err(e) => {
                log(&ext.name, "render", &e);
                None
            }
        }
    }

    fn run_effect(&self, ext: &ExtensionSpec, arg: &JsValue) {
        let Some(f) = ext.effect.dyn_ref::<Function>() else { return };
        match f.call1(&JsValue::UNDEFINED, arg) {
            Ok(v) => {
                // A returned promise runs on its own; only its failure is reported.
                if let Ok(p) = v.dyn_into::<js_sys::Promise>() {
                    let name = ext.name.clone();
                    crate::web::spawn(Box::pin(async move {
                        if let Err(e) = wasm_bindgen_futures::JsFuture::from(p).await {
                            log(&name, "effect", &e);
                        }
                    }));
                }
            }
            Err(e) => log(&ext.name, "effect", &e),
        }
    }
}

/// `{trace}` as extensions receive it.
fn trace_arg(trace: &Trace) -> JsValue {
    let arg = Object::new();
    crate::web::convert::set(&arg, "trace", &super::convert::to_js(trace));
    arg.into()
}

fn log(name: &str, what: &str, e: &JsValue) {
    web_sys::console::error_2(&format!("eventflow: extension '{name}' {what}() threw:").into(), e);
}
