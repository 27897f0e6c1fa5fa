//! HTTP for the widget: one `fetch` path, with a time limit and a size limit, for agent files, webhooks, the
//! runtime's turns, its publishing settings and its live stream.
//!
//! A request gets an `AbortController`; its time limit aborts it, and so does `destroy()`. The body is read chunk
//! by chunk from the response's `ReadableStream`, decoded as UTF-8 text by the browser's `TextDecoderStream` (no
//! decoder in the module, and a character split between chunks comes out whole), so an answer over the size limit
//! is cut off when the limit is passed (a 200 MB agent file or a runtime that never stops sending costs at most the
//! limit), and a stream's text reaches the SSE parser as it arrives.

use std::cell::Cell;
use std::rc::Rc;

use gloo_timers::callback::Timeout;
use js_sys::Promise;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use super::by_name;
use super::convert::{get, set};
use super::timeout;

/// One request to send.
pub struct Request<'a> {
    pub method: &'a str,
    pub url: &'a str,
    pub headers: &'a [(&'a str, &'a str)],
    pub body: Option<&'a str>,
    /// The whole exchange, headers and body, must end within this (a stream's reader replaces it by a watchdog).
    pub timeout_ms: u32,
}

/// Why no answer came.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// `fetch` failed (no connection, CORS refused, the connection dropped), with the browser's message.
    Network(String),
    /// The time limit passed.
    Timeout,
    /// The answer is over the size limit.
    TooLarge,
}

impl Failure {
    /// In a message: "the connection failed (Failed to fetch)", "no answer within 20 s", ...
    pub fn describe(&self, timeout_ms: u32, max_bytes: usize) -> String {
        match self {
            Failure::Network(why) => format!("the connection failed ({why})"),
            Failure::Timeout => format!("no answer within {} s", timeout_ms.div_ceil(1000)),
            Failure::TooLarge => format!("the answer is over the limit of {max_bytes} bytes"),
        }
    }
}

/// The status line and headers of an answer.
#[cfg_attr(not(feature = "remote"), allow(dead_code))]
pub struct Head {
    pub status: u16,
    pub content_type: String,
    /// The `Retry-After` header, as sent.
    pub retry_after: Option<String>,
    response: web_sys::Response,
}

/// A request in flight. Dropping it cancels its time limit, not the request.
pub struct Call {
    controller: web_sys::AbortController,
    timed_out: Rc<Cell<bool>>,
    /// The time limit: held, since dropping it cancels it.
    #[cfg_attr(not(feature = "remote"), allow(dead_code))]
    timer: Option<Timeout>,
    promise: Promise,
}

impl Call {
    /// Start the request and its time limit.
    pub fn start(req: &Request) -> Result<Call, Failure> {
        let window = web_sys::window().ok_or_else(|| Failure::Network("no window".into()))?;
        let controller = web_sys::AbortController::new().map_err(|e| Failure::Network(super::convert::describe(&e)))?;
        // The init's members through `Reflect.set`, a binding the module has, rather than a setter binding each.
        let init = web_sys::RequestInit::new();
        set(&init, "method", &req.method.into());
        set(&init, "signal", &get(&controller, "signal"));
        if let Ok(h) = web_sys::Headers::new() {
            for (k, v) in req.headers {
                let _ = h.append(k, v);
            }
            set(&init, "headers", &h);
        }
        if let Some(body) = req.body {
            set(&init, "body", &body.into());
        }
        let promise = window.fetch_with_str_and_init(req.url, &init);
        let timed_out = Rc::new(Cell::new(false));
        let (flag, c) = (timed_out.clone(), controller.clone());
        let timer = timeout(
            req.timeout_ms,
            Box::new(move || {
                flag.set(true);
                c.abort();
            }),
        );
        Ok(Call { controller, timed_out, timer: Some(timer), promise })
    }

    /// What aborts the request (`destroy()`, a watchdog).
    pub fn controller(&self) -> &web_sys::AbortController {
        &self.controller
    }

    /// The time limit ends here: a stream's reader watches its chunks instead.
    #[cfg(feature = "remote")]
    pub fn stop_timer(&mut self) {
        self.timer.take();
    }

    /// Wait for the status and headers (a stream's reader then takes the body).
    #[cfg(feature = "remote")]
    pub async fn head(&self) -> Result<Head, Failure> {
        let response = JsFuture::from(self.promise.clone()).await;
        self.head_of(response)
    }

    /// Wait for the whole answer: its status, headers and text (invalid UTF-8 becomes U+FFFD), refusing more than
    /// `max_bytes` of text. One future: the steps between its waits are plain functions.
    pub async fn read(&self, max_bytes: usize) -> Result<(Head, String), Failure> {
        let head = self.head_of(JsFuture::from(self.promise.clone()).await)?;
        let body = self.body(&head);
        let mut text = String::new();
        while let Some(read) = body.next() {
            let chunk = match body.chunk_of(JsFuture::from(read).await) {
                Ok(Some(chunk)) => chunk,
                Ok(None) => break,
                Err(thrown) => return Err(self.failure(&thrown)),
            };
            if text.len() + chunk.len() > max_bytes {
                body.cancel();
                return Err(Failure::TooLarge);
            }
            text.push_str(&chunk);
        }
        Ok((head, text))
    }

    /// The status and headers of what `fetch` gave.
    fn head_of(&self, response: Result<JsValue, JsValue>) -> Result<Head, Failure> {
        let response: web_sys::Response = response
            .map_err(|e| self.failure(&e))?
            .dyn_into()
            .map_err(|_| Failure::Network("fetch did not give a Response".into()))?;
        // `status` through `Reflect.get`, a binding the module has.
        let status = get(&response, "status").as_f64().unwrap_or_default() as u16;
        let header = |name: &str| by_name::header(&response, name);
        Ok(Head {
            status,
            content_type: header("content-type").unwrap_or_default(),
            retry_after: header("retry-after"),
            response,
        })
    }

    /// The body's reader, of text. A response without a body reads as empty.
    pub fn body(&self, head: &Head) -> Body {
        let stream = get(&head.response, "body");
        let reader = if stream.is_object() { by_name::text_reader(&stream).ok() } else { None };
        Body { reader }
    }

    fn failure(&self, thrown: &JsValue) -> Failure {
        if self.timed_out.get() {
            Failure::Timeout
        } else {
            Failure::Network(super::convert::describe(thrown))
        }
    }
}

/// A response body, read as text chunk by chunk.
pub struct Body {
    reader: Option<JsValue>,
}

impl Body {
    /// The next chunk of text, or `None` at the end of the body.
    #[cfg(feature = "remote")]
    pub async fn chunk(&self, call: &Call) -> Result<Option<String>, Failure> {
        let Some(read) = self.next() else { return Ok(None) };
        self.chunk_of(JsFuture::from(read).await).map_err(|e| call.failure(&e))
    }

    /// The promise of the next read (`None` without a body; a failed call reads as a rejection).
    fn next(&self) -> Option<Promise> {
        let read = by_name::read(self.reader.as_ref()?);
        Some(read.map_or_else(|e| Promise::reject(&e), Promise::unchecked_from_js))
    }

    /// What one read gave: text, or `None` at the end.
    fn chunk_of(&self, step: Result<JsValue, JsValue>) -> Result<Option<String>, JsValue> {
        let step = step?;
        if get(&step, "done").is_truthy() {
            return Ok(None);
        }
        Ok(Some(get(&step, "value").as_string().unwrap_or_default()))
    }

    /// Stop reading: the rest of the body is not downloaded.
    pub fn cancel(&self) {
        if let Some(reader) = &self.reader {
            by_name::cancel(reader);
        }
    }
}

/// Send a request and read its whole answer: the common path.
pub async fn fetch(req: &Request<'_>, max_bytes: usize) -> Result<(Head, String), Failure> {
    Call::start(req)?.read(max_bytes).await
}
