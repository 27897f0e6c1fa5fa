//! Browser tests of the widget and its boundary, in headless Chromium:
//! `CHROMEDRIVER=/usr/bin/chromedriver wasm-pack test --headless --chrome -- --test web`.
//!
//! Each test loads its own `Chat` (as the loader does) with an inline agent, drives it through the same methods
//! the page calls, and reads the result from the widget's shadow DOM. Waits poll a condition with a deadline.
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::rc::Rc;

use eventflow::json;
use eventflow::json::Value;
use eventflow::web::convert::to_js;
use eventflow::web::widget::render_markdown;
use eventflow::web::Chat;
use gloo_timers::future::TimeoutFuture;
use js_sys::{Function, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement, HtmlInputElement, ShadowRoot};

wasm_bindgen_test_configure!(run_in_browser);

/// An agent that produces every trace type the widget renders.
fn gallery() -> Value {
    json!({
      "name": "gallery", "start": "main", "settings": { "messageDelayMs": 0 },
      "events": [
        { "name": "show_card" }, { "name": "show_carousel" }, { "name": "show_image" }, { "name": "bye" },
        { "name": "pin" }, { "name": "wait" }, { "name": "remind" }, { "name": "ask" }, { "name": "slow" },
        { "name": "echo", "data": { "value": "string" } }, { "name": "reminder" }, { "name": "markdown" }
      ],
      "triggers": [
        { "event": "show_card", "flow": "card" }, { "event": "show_carousel", "flow": "carousel" },
        { "event": "show_image", "flow": "image" }, { "event": "bye", "flow": "bye" }, { "event": "pin", "flow": "pin" },
        { "event": "wait", "flow": "wait" }, { "event": "remind", "flow": "remind" }, { "event": "ask", "flow": "ask" },
        { "event": "slow", "flow": "slow" }, { "event": "echo", "flow": "echo" }, { "event": "reminder", "flow": "reminder" },
        { "event": "markdown", "flow": "markdown" }
      ],
      "flows": {
        "main": { "start": "hi", "steps": {
          "hi": { "type": "text", "text": "**Hello** _there_, see [the docs](https://example.com/docs)\n\n- one\n- two", "next": "menu" },
          "menu": { "type": "choice", "buttons": [{ "label": "Yes", "next": "yes" }, { "label": "No", "next": "no" }] },
          "yes": { "type": "text", "text": "You said yes." },
          "no": { "type": "text", "text": "You said no." } } },
        "card": { "start": "c", "steps": {
          "c": { "type": "card", "title": "Blue shirt", "description": "Cotton, *soft*", "image": "https://example.com/shirt.png",
                 "buttons": [{ "label": "Buy", "next": "bought" }] },
          "bought": { "type": "text", "text": "Bought." } } },
        "carousel": { "start": "c", "steps": {
          "c": { "type": "carousel", "layout": "Carousel", "cards": [
            { "title": "One", "buttons": [{ "label": "Pick one", "next": "picked" }] }, { "title": "Two", "description": "No buttons" }] },
          "picked": { "type": "text", "text": "Picked one." } } },
        "image": { "start": "i", "steps": { "i": { "type": "image", "url": "data:image/gif;base64,R0lGODlhAQABAAAAACw=", "width": 8, "height": 8 } } },
        "bye": { "start": "b", "steps": { "b": { "type": "text", "text": "Goodbye.", "next": "e" }, "e": { "type": "end" } } },
        "pin": { "start": "c", "steps": {
          "c": { "type": "custom", "name": "map_pin", "payload": { "city": "Oslo" }, "paths": { "success": "ok" }, "defaultPath": "success" },
          "ok": { "type": "text", "text": "Pinned." } } },
        "wait": { "start": "w", "steps": { "w": { "type": "delay", "ms": 150, "next": "after" }, "after": { "type": "text", "text": "Waited." } } },
        "remind": { "start": "r", "steps": {
          "r": { "type": "emit", "event": "reminder", "after": 300, "cancelOnUserMessage": true, "next": "said" },
          "said": { "type": "text", "text": "I will remind you." } } },
        "reminder": { "start": "r", "steps": { "r": { "type": "text", "text": "Reminder!" } } },
        "ask": { "start": "q", "steps": {
          "q": { "type": "choice", "prompt": "Still there?", "buttons": [{ "label": "Here", "next": "here" }],
                 "noReply": { "timeout": 1, "prompts": ["Hello? No reply."] } },
          "here": { "type": "text", "text": "Good." } } },
        "slow": { "start": "s", "steps": { "s": { "type": "text", "text": "Slowly typed.", "delay": 400 } } },
        "echo": { "start": "e", "steps": { "e": { "type": "text", "text": "got #echo.value" } } },
        "markdown": { "start": "m", "steps": { "m": { "type": "text", "text": "{last_event.payload.event.data.md}" } } }
      }
    })
}

/// A config with the gallery agent, memory persistence and a storage key of its own.
fn config(extra: Value) -> Value {
    let mut c = json!({ "verify": { "projectID": unique("test") }, "agent": gallery(), "assistant": { "persistence": "memory" } });
    merge(&mut c, extra);
    c
}

fn merge(a: &mut Value, b: Value) {
    match (a, b) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                merge(a.entry(k).or_insert(Value::Null), v);
            }
        }
        (a, b) => *a = b,
    }
}

fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", (js_sys::Math::random() * 1e12) as u64)
}

async fn load(chat: &Chat, config: &Value) -> Result<JsValue, JsValue> {
    JsFuture::from(chat.load(to_js(config))).await
}

async fn loaded(config: Value) -> Chat {
    let chat = Chat::new();
    if let Err(e) = load(&chat, &config).await {
        panic!("load() failed: {}", err(&e));
    }
    chat
}

async fn interact(chat: &Chat, action: Value) -> Result<JsValue, JsValue> {
    JsFuture::from(chat.interact(to_js(&action))).await
}

fn event(name: &str) -> Value {
    json!({ "type": "event", "payload": { "event": { "name": name } } })
}

fn err(e: &JsValue) -> String {
    let code = Reflect::get(e, &"code".into()).ok().and_then(|c| c.as_string()).unwrap_or_default();
    let msg = Reflect::get(e, &"message".into()).ok().and_then(|c| c.as_string()).unwrap_or_default();
    format!("{code}: {msg}")
}

fn root(chat: &Chat) -> ShadowRoot {
    chat.host().and_then(|h| h.shadow_root()).expect("a loaded widget has a shadow root")
}

fn q(chat: &Chat, css: &str) -> Option<Element> {
    root(chat).query_selector(css).ok().flatten()
}

fn all(chat: &Chat, css: &str) -> Vec<Element> {
    let list = root(chat).query_selector_all(css).expect("valid selector");
    (0..list.length()).filter_map(|i| list.get(i)?.dyn_into::<Element>().ok()).collect()
}

fn log(chat: &Chat) -> String {
    q(chat, ".ef-log").and_then(|l| l.text_content()).unwrap_or_default()
}

fn click(el: &Element) {
    el.dyn_ref::<HtmlElement>().expect("an HTML element").click();
}

/// The button of the chat with this label.
fn button(chat: &Chat, label: &str) -> Element {
    all(chat, "button")
        .into_iter()
        .find(|b| b.text_content().as_deref() == Some(label))
        .unwrap_or_else(|| panic!("no button '{label}'"))
}

fn now() -> f64 {
    js_sys::Date::now()
}

/// Poll `cond` every 10 ms until it holds; fail after `ms`.
async fn until(what: &str, ms: f64, mut cond: impl FnMut() -> bool) {
    let deadline = now() + ms;
    while !cond() {
        assert!(now() < deadline, "timed out after {ms} ms waiting for {what}");
        TimeoutFuture::new(10).await;
    }
}

/// Wait until every turn ran and every message is shown.
async fn settle(chat: &Chat) {
    until("the chat to settle", 5000.0, || chat.is_idle()).await;
}

async fn shows(chat: &Chat, text: &str) {
    until(&format!("'{text}' in the chat"), 5000.0, || log(chat).contains(text)).await;
}

fn document() -> web_sys::Document {
    web_sys::window().and_then(|w| w.document()).expect("a document")
}

/// A JS function from a Rust closure (no `eval`).
fn func1(f: impl FnMut(JsValue) -> JsValue + 'static) -> JsValue {
    Closure::<dyn FnMut(JsValue) -> JsValue>::new(f).into_js_value()
}

#[wasm_bindgen_test]
async fn every_trace_type_renders() {
    let chat = loaded(config(json!({}))).await;
    chat.open();
    shows(&chat, "Hello").await;
    settle(&chat).await;
    // text: markdown to DOM nodes
    let bubble = q(&chat, ".ef-agent .ef-md").expect("an agent bubble");
    assert_eq!(bubble.query_selector("strong").unwrap().unwrap().text_content().unwrap(), "Hello");
    assert_eq!(bubble.query_selector("em").unwrap().unwrap().text_content().unwrap(), "there");
    let a = bubble.query_selector("a").unwrap().unwrap();
    assert_eq!(a.get_attribute("href").as_deref(), Some("https://example.com/docs"));
    assert_eq!(a.get_attribute("rel").as_deref(), Some("noopener noreferrer"));
    assert_eq!(a.get_attribute("target").as_deref(), Some("_blank"));
    assert_eq!(bubble.query_selector_all("ul li").unwrap().length(), 2);
    // choice: buttons that send their request; they go away once answered
    assert_eq!(all(&chat, ".ef-choices .ef-chip").len(), 2);
    click(&button(&chat, "Yes"));
    shows(&chat, "You said yes.").await;
    assert!(all(&chat, ".ef-user .ef-bubble").iter().any(|b| b.text_content().as_deref() == Some("Yes")));
    assert!(all(&chat, ".ef-choices").is_empty(), "answered choices are retired");
    // cardV2
    interact(&chat, event("show_card")).await.unwrap();
    settle(&chat).await;
    let card = q(&chat, ".ef-card").expect("a card");
    assert_eq!(card.query_selector(".ef-card-title").unwrap().unwrap().text_content().unwrap(), "Blue shirt");
    assert_eq!(
        card.query_selector("img").unwrap().unwrap().get_attribute("src").unwrap(),
        "https://example.com/shirt.png"
    );
    assert!(card.query_selector(".ef-md em").unwrap().is_some(), "card descriptions are markdown");
    click(&button(&chat, "Buy"));
    shows(&chat, "Bought.").await;
    // carousel
    interact(&chat, event("show_carousel")).await.unwrap();
    settle(&chat).await;
    assert_eq!(all(&chat, ".ef-carousel .ef-card").len(), 2);
    assert_eq!(all(&chat, ".ef-carousel-wrap .ef-nav").len(), 2, "previous / next buttons");
    click(&button(&chat, "Pick one"));
    shows(&chat, "Picked one.").await;
    // visual
    interact(&chat, event("show_image")).await.unwrap();
    settle(&chat).await;
    let img = q(&chat, "img.ef-image").expect("an image");
    assert!(img.get_attribute("src").unwrap().starts_with("data:image/gif"));
    assert_eq!(img.get_attribute("width").as_deref(), Some("8"));
    // end, then "Start new chat"
    interact(&chat, event("bye")).await.unwrap();
    shows(&chat, "Chat ended").await;
    settle(&chat).await;
    let bar = q(&chat, ".ef-endbar").unwrap();
    assert!(!bar.has_attribute("hidden"), "the end bar shows");
    click(&button(&chat, "Start new chat"));
    until("a new conversation", 5000.0, || !log(&chat).contains("Goodbye.") && log(&chat).contains("Hello")).await;
    settle(&chat).await;
    assert!(q(&chat, ".ef-endbar").unwrap().has_attribute("hidden"));
    chat.destroy();
}

#[wasm_bindgen_test]
async fn typing_indicator_honours_delay() {
    let chat = loaded(config(json!({}))).await;
    chat.open();
    settle(&chat).await;
    interact(&chat, event("slow")).await.unwrap();
    let typing = q(&chat, ".ef-typing").unwrap();
    assert!(!typing.has_attribute("hidden"), "typing dots show during the 400 ms delay");
    assert!(!log(&chat).contains("Slowly typed."));
    shows(&chat, "Slowly typed.").await;
    assert!(typing.has_attribute("hidden"));
    chat.destroy();
}

#[wasm_bindgen_test]
async fn extensions_render_custom_traces_and_effects_run_beside_the_built_in_rendering() {
    let seen = Rc::new(RefCell::new(Vec::<String>::new()));
    let s = seen.clone();
    let effect = func1(move |arg| {
        let t: Value = eventflow::web::convert::json_from_js(Reflect::get(&arg, &"trace".into()).unwrap()).unwrap();
        s.borrow_mut().push(t["payload"]["message"].as_str().unwrap_or_default().to_string());
        JsValue::UNDEFINED
    });
    let chat = Chat::new();
    let cfg = to_js(&config(json!({})));
    let ext = js_sys::Array::new();
    let response = js_sys::Object::new();
    Reflect::set(&response, &"name".into(), &"map".into()).unwrap();
    Reflect::set(&response, &"type".into(), &"response".into()).unwrap();
    let is_pin = func1(|arg| {
        let t = Reflect::get(&arg, &"trace".into()).unwrap();
        JsValue::from_bool(Reflect::get(&t, &"type".into()).unwrap().as_string().as_deref() == Some("map_pin"))
    });
    Reflect::set(&response, &"match".into(), &is_pin).unwrap();
    let render = func1(|arg| {
        let el: Element = Reflect::get(&arg, &"element".into()).unwrap().dyn_into().unwrap();
        let t: Value = eventflow::web::convert::json_from_js(Reflect::get(&arg, &"trace".into()).unwrap()).unwrap();
        el.set_text_content(Some(&format!("Map of {}", t["payload"]["city"].as_str().unwrap_or("?"))));
        JsValue::UNDEFINED
    });
    Reflect::set(&response, &"render".into(), &render).unwrap();
    ext.push(&response);
    // The docs' `analytics` example: an effect matching every text trace. Effects run beside the built-in
    // rendering (as in the Voiceflow widget): the chat must not go blank.
    let fx = js_sys::Object::new();
    Reflect::set(&fx, &"name".into(), &"analytics".into()).unwrap();
    Reflect::set(&fx, &"type".into(), &"effect".into()).unwrap();
    let is_text = func1(|arg| {
        let t: Value = eventflow::web::convert::json_from_js(Reflect::get(&arg, &"trace".into()).unwrap()).unwrap();
        JsValue::from_bool(t["type"] == "text")
    });
    Reflect::set(&fx, &"match".into(), &is_text).unwrap();
    Reflect::set(&fx, &"effect".into(), &effect).unwrap();
    ext.push(&fx);
    let assistant = Reflect::get(&cfg, &"assistant".into()).unwrap();
    Reflect::set(&assistant, &"extensions".into(), &ext).unwrap();
    JsFuture::from(chat.load(cfg.clone())).await.unwrap();
    chat.open();
    settle(&chat).await;
    assert!(log(&chat).contains("Hello"), "the greeting is shown although the effect matched it");
    interact(&chat, event("pin")).await.unwrap();
    settle(&chat).await;
    assert!(log(&chat).contains("Map of Oslo"), "the response extension rendered the custom trace");
    interact(&chat, json!({ "type": "success" })).await.unwrap();
    settle(&chat).await;
    assert!(log(&chat).contains("Pinned."), "the text the effect saw is rendered too");
    let greeting = seen.borrow()[0].clone();
    assert!(greeting.contains("Hello"), "the effect ran for the greeting: {greeting}");
    assert_eq!(seen.borrow().last().map(String::as_str), Some("Pinned."), "and for each later text");
    let runs = seen.borrow().len();
    // A restored conversation renders again but does not run the effects again.
    let key = chat.storage_key().unwrap();
    let saved = chat.snapshot().unwrap();
    chat.destroy();
    let again = Chat::new();
    let storage = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    storage.set_item(&key, &saved).unwrap();
    Reflect::set(&assistant, &"persistence".into(), &"localStorage".into()).unwrap();
    JsFuture::from(again.load(cfg)).await.unwrap();
    settle(&again).await;
    assert!(log(&again).contains("Pinned.") && log(&again).contains("Map of Oslo"), "{}", log(&again));
    assert_eq!(seen.borrow().len(), runs, "effects do not run on replay");
    storage.remove_item(&key).unwrap();
    again.destroy();
}

#[wasm_bindgen_test]
async fn no_reply_timer_fires() {
    let chat = loaded(config(json!({}))).await;
    chat.open();
    settle(&chat).await;
    interact(&chat, event("ask")).await.unwrap();
    shows(&chat, "Still there?").await;
    // The engine keeps the 1 s no-reply timer in the session; the widget arms one gloo timer for it.
    until("the no-reply prompt", 3000.0, || log(&chat).contains("Hello? No reply.")).await;
    chat.destroy();
}

#[wasm_bindgen_test]
async fn timers_fire_and_a_user_message_cancels_a_reminder() {
    let chat = loaded(config(json!({}))).await;
    chat.open();
    settle(&chat).await;
    // A delay step: the flow resumes when the engine's timer fires.
    let t0 = now();
    interact(&chat, event("wait")).await.unwrap();
    assert!(!log(&chat).contains("Waited."));
    shows(&chat, "Waited.").await;
    assert!(now() - t0 >= 140.0, "not before its time");
    // A reminder cancelled by a user message: it is gone from the session and never shows.
    interact(&chat, event("remind")).await.unwrap();
    shows(&chat, "I will remind you.").await;
    let pending = |chat: &Chat| -> usize {
        let s: Value = eventflow::json::parse(&chat.snapshot().unwrap()).unwrap();
        s["timers"].as_array().map_or(0, Vec::len)
    };
    assert_eq!(pending(&chat), 1, "the reminder is scheduled in the session");
    interact(&chat, json!({ "type": "text", "payload": "hello" })).await.unwrap();
    assert_eq!(pending(&chat), 0, "the user message cancelled it");
    let due = now() + 300.0;
    // Absence can only be shown by waiting: wait past the due time, then check it never showed.
    until("the reminder's due time to pass", 2000.0, || now() > due + 150.0).await;
    settle(&chat).await;
    assert!(!log(&chat).contains("Reminder!"));
    // Not cancelled: it fires.
    interact(&chat, event("remind")).await.unwrap();
    shows(&chat, "Reminder!").await;
    chat.destroy();
}

#[wasm_bindgen_test]
async fn calls_before_load_are_queued_and_replayed_in_order() {
    let chat = Chat::new();
    let events = Rc::new(RefCell::new(Vec::<String>::new()));
    let e = events.clone();
    let handler = func1(move |ev| {
        e.borrow_mut().push(Reflect::get(&ev, &"type".into()).unwrap().as_string().unwrap());
        JsValue::UNDEFINED
    });
    chat.on("*".into(), handler).unwrap();
    // Before load(): queued, not dropped.
    chat.open();
    let early = chat.interact(to_js(&event("show_card")));
    let load = chat.load(to_js(&config(json!({}))));
    // While loading: queued too.
    let during = chat.interact(to_js(&event("show_image")));
    assert!(chat.host().is_none(), "nothing renders before load() resolves");
    JsFuture::from(load).await.unwrap();
    JsFuture::from(early).await.unwrap();
    JsFuture::from(during).await.unwrap();
    settle(&chat).await;
    let text = log(&chat);
    let (hello, card, image) = (text.find("Hello"), text.find("Blue shirt"), q(&chat, "img.ef-image"));
    assert!(hello.is_some() && card.is_some() && image.is_some(), "all three ran: {text}");
    assert!(hello < card, "open()'s launch ran before the queued event");
    let seen = events.borrow().clone();
    assert_eq!(seen.first().map(String::as_str), Some("voiceflow:open"), "{seen:?}");
    assert!(seen.iter().filter(|k| *k == "voiceflow:interact").count() >= 3, "{seen:?}");
    chat.destroy();
}

#[wasm_bindgen_test]
async fn custom_id_is_deduplicated() {
    let chat = loaded(config(json!({}))).await;
    chat.open();
    settle(&chat).await;
    let mut a = event("show_image");
    a["custom_id"] = json!("img-1");
    interact(&chat, a.clone()).await.unwrap();
    interact(&chat, a).await.unwrap();
    settle(&chat).await;
    assert_eq!(all(&chat, "img.ef-image").len(), 1, "a repeated custom_id is ignored");
    chat.destroy();
}

#[wasm_bindgen_test]
async fn a_conversation_survives_a_new_widget_instance() {
    let cfg = config(json!({ "assistant": { "persistence": "localStorage" } }));
    let chat = loaded(cfg.clone()).await;
    chat.open();
    settle(&chat).await;
    click(&button(&chat, "No"));
    shows(&chat, "You said no.").await;
    interact(&chat, event("show_card")).await.unwrap();
    settle(&chat).await;
    let key = chat.storage_key().unwrap();
    assert!(key.starts_with("voiceflow-session-test-"), "{key}");
    let storage = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    let saved: Value =
        eventflow::json::parse(&storage.get_item(&key).unwrap().expect("saved after each turn")).unwrap();
    assert_eq!(saved["agent"], "gallery");
    let before = log(&chat);
    let host = chat.host().unwrap();
    chat.destroy();
    assert!(!host.is_connected(), "destroy() removed the widget");

    let again = loaded(cfg).await;
    again.open();
    settle(&again).await;
    assert_eq!(log(&again), before, "the same conversation is shown");
    // ...and it goes on: the card's button is live.
    click(&button(&again, "Buy"));
    shows(&again, "Bought.").await;
    again.destroy();
    storage.remove_item(&key).unwrap();
}

#[wasm_bindgen_test]
async fn declarative_and_config_listeners_send_events() {
    let doc = document();
    let body = doc.body().unwrap();
    let chat = loaded(config(json!({
        "listeners": [{ "selector": "#cfg-btn", "on": "click", "event": "echo", "data": { "value": "from config" }, "open": true }]
    })))
    .await;
    // Added after load(): delegation from the document still sees them.
    let later = doc.create_element("button").unwrap();
    later.set_attribute("data-vf-event", "echo").unwrap();
    later.set_attribute("data-vf-data", r#"{"value":"from attributes"}"#).unwrap();
    later.set_attribute("data-vf-open", "").unwrap();
    let inner = doc.create_element("span").unwrap();
    inner.set_text_content(Some("inner"));
    later.append_child(&inner).unwrap();
    body.append_child(&later).unwrap();
    click(&inner);
    shows(&chat, "got from attributes").await;
    assert!(!q(&chat, ".ef-window").unwrap().has_attribute("hidden"), "data-vf-open opened the chat");
    // Malformed data-vf-data: a warning, and the event is not sent.
    let bad = doc.create_element("button").unwrap();
    bad.set_attribute("data-vf-event", "echo").unwrap();
    bad.set_attribute("data-vf-data", "{not json").unwrap();
    body.append_child(&bad).unwrap();
    settle(&chat).await;
    let rows = all(&chat, ".ef-row").len();
    click(&bad);
    settle(&chat).await;
    assert_eq!(all(&chat, ".ef-row").len(), rows, "nothing was sent");
    // From the config.
    let cfg_btn = doc.create_element("button").unwrap();
    cfg_btn.set_id("cfg-btn");
    body.append_child(&cfg_btn).unwrap();
    click(&cfg_btn);
    shows(&chat, "got from config").await;
    chat.destroy();
    // After destroy(), the listeners are gone.
    click(&cfg_btn);
    for el in [later, bad, cfg_btn] {
        el.remove();
    }
}

#[wasm_bindgen_test]
async fn typed_text_equal_to_a_button_label_sends_the_button() {
    let chat = loaded(config(json!({}))).await;
    chat.open();
    settle(&chat).await;
    let input: HtmlInputElement = q(&chat, ".ef-input").unwrap().dyn_into().unwrap();
    input.set_value("  yes ");
    click(&q(&chat, ".ef-send").unwrap());
    shows(&chat, "You said yes.").await;
    assert_eq!(input.value(), "", "the input is cleared once sent");
    chat.destroy();
}

#[wasm_bindgen_test]
async fn load_rejects_bad_config_naming_the_field() {
    let cases: Vec<(Value, &str, &str)> = vec![
        // Without `agent`, remote mode: it needs the project.
        (json!({}), "invalid_config", "verify.projectID:"),
        (json!({ "verify": { "projectID": "p" }, "url": "ftp://runtime.example" }), "invalid_config", "url:"),
        (
            json!({ "verify": { "projectID": "p" }, "remote": { "timeoutMs": 5 } }),
            "invalid_config",
            "remote.timeoutMs:",
        ),
        (json!({ "verify": { "projectID": "p" }, "remote": { "retries": 1.5 } }), "invalid_config", "remote.retries:"),
        (json!({ "verify": { "projectID": "p" }, "versionID": 3 }), "invalid_config", "versionID:"),
        (json!({ "agent": 3 }), "invalid_config", "agent:"),
        (
            config(json!({ "render": { "mode": "embedded", "target": "#no-such-element" } })),
            "invalid_config",
            "render.target:",
        ),
        (config(json!({ "render": { "mode": "floating" } })), "invalid_config", "render.mode:"),
        (config(json!({ "assistant": { "position": "top" } })), "invalid_config", "assistant.position:"),
        (config(json!({ "assistant": { "persistence": "cookies" } })), "invalid_config", "assistant.persistence:"),
        (config(json!({ "assistant": { "image": "javascript:alert(1)" } })), "invalid_config", "assistant.image:"),
        (
            config(
                json!({ "listeners": [{ "selector": "#ok", "event": "echo" }, { "selector": "##", "event": "echo" }] }),
            ),
            "invalid_config",
            "listeners[1].selector:",
        ),
        (
            config(json!({ "listeners": [{ "selector": "#ok", "event": "bad name!" }] })),
            "invalid_config",
            "listeners[0].event:",
        ),
        (config(json!({ "listeners": [{ "selector": "#ok" }] })), "invalid_config", "listeners[0]"),
        (
            config(json!({ "assistant": { "extensions": [{ "name": "x", "type": "response", "match": 1 }] } })),
            "invalid_config",
            "assistant.extensions[0].match",
        ),
        (config(json!({ "launch": { "event": { "payload": 1 } } })), "invalid_config", "launch.event:"),
        (config(json!({ "userID": true })), "invalid_config", "userID:"),
    ];
    for (cfg, code, start) in cases {
        let chat = Chat::new();
        let e = load(&chat, &cfg).await.expect_err("load() must reject");
        let got = err(&e);
        assert!(got.starts_with(&format!("{code}: {start}")), "{cfg} gave {got}");
        assert!(chat.host().is_none());
    }
    // Not an object at all.
    let e = JsFuture::from(Chat::new().load(JsValue::from_str("nope"))).await.unwrap_err();
    assert!(err(&e).starts_with("invalid_config"));
}

#[wasm_bindgen_test]
async fn load_rejects_a_bad_agent_with_every_error() {
    let mut bad = gallery();
    bad["flows"]["main"]["steps"]["hi"]["next"] = json!("nowhere");
    bad["triggers"][0]["flow"] = json!("no_flow");
    let e = load(&Chat::new(), &config(json!({ "agent": bad }))).await.unwrap_err();
    let got = err(&e);
    assert!(got.starts_with("invalid_agent: agent: the agent object is not a valid agent file (2 errors)"), "{got}");
    assert!(got.contains("flows.main.steps.hi.next"), "{got}");
    let errors: Vec<Value> = eventflow::web::convert::json_from_js(Reflect::get(&e, &"errors".into()).unwrap())
        .unwrap()
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(errors.len(), 2);
    assert!(errors.iter().all(|e| e["path"].is_string() && e["message"].is_string()));
    // A URL that 404s.
    let e = load(&Chat::new(), &config(json!({ "agent": "/no-such-agent.json" }))).await.unwrap_err();
    let got = err(&e);
    assert!(
        got.starts_with("agent_fetch: agent: could not fetch '/no-such-agent.json'") && got.contains("404"),
        "{got}"
    );
    // A URL whose body is not JSON.
    let e = load(&Chat::new(), &config(json!({ "agent": "data:application/json,{oops" }))).await.unwrap_err();
    assert!(err(&e).starts_with("invalid_agent:"), "{}", err(&e));
    // A URL that works.
    let src = format!("data:application/json,{}", js_sys::encode_uri_component(&gallery().to_string()));
    let chat = loaded(config(json!({ "agent": src }))).await;
    chat.open();
    shows(&chat, "Hello").await;
    chat.destroy();
}

#[wasm_bindgen_test]
async fn interact_with_nonsense_rejects_with_a_code_and_says_so_in_the_chat() {
    let chat = loaded(config(json!({}))).await;
    chat.open();
    settle(&chat).await;
    for (action, code) in [
        (json!({}), "invalid_request"),
        (json!({ "type": 42 }), "invalid_request"),
        (json!({ "type": "event", "payload": { "event": { "name": "bad name!" } } }), "invalid_event_name"),
        (json!({ "type": "event", "payload": { "event": { "name": "noMatch" } } }), "system_event"),
        (json!({ "type": "echo", "payload": { "event": { "name": "echo", "data": { "value": 3 } } } }), ""),
        (
            json!({ "type": "event", "payload": { "event": { "name": "echo", "data": { "value": 3 } } } }),
            "invalid_event_data",
        ),
        (json!({ "type": "file", "payload": { "name": "" } }), "invalid_file"),
    ] {
        let r = interact(&chat, action.clone()).await;
        if code.is_empty() {
            assert!(r.is_ok(), "{action} is a valid custom path request");
            continue;
        }
        let got = err(&r.expect_err("must reject"));
        assert!(got.starts_with(code), "{action} gave {got}");
    }
    let e = JsFuture::from(chat.interact(JsValue::from_str("nonsense"))).await.unwrap_err();
    assert!(err(&e).starts_with("invalid_request"));
    assert!(!all(&chat, ".ef-error[role=alert]").is_empty(), "errors show in the chat");
    // The conversation goes on.
    interact(&chat, event("show_image")).await.unwrap();
    settle(&chat).await;
    assert!(q(&chat, "img.ef-image").is_some());
    chat.destroy();
}

#[wasm_bindgen_test]
async fn calls_after_destroy_warn_and_load_works_again() {
    let cfg = config(json!({}));
    let chat = loaded(cfg.clone()).await;
    chat.destroy();
    chat.open();
    chat.hide();
    chat.destroy();
    let e = interact(&chat, event("show_image")).await.expect_err("interact() after destroy() rejects");
    assert!(err(&e).starts_with("destroyed:"), "{}", err(&e));
    assert!(chat.host().is_none());
    load(&chat, &cfg).await.unwrap();
    chat.open();
    shows(&chat, "Hello").await;
    let e = load(&chat, &cfg).await.unwrap_err();
    assert!(err(&e).starts_with("already_loaded"));
    chat.destroy();
}

#[wasm_bindgen_test]
async fn agent_and_user_content_render_inert() {
    let chat = loaded(config(json!({}))).await;
    chat.open();
    settle(&chat).await;
    let vectors = [
        "<script>window.__efxss=1</script>",
        "<img src=x onerror=\"window.__efxss=1\">",
        "[a](javascript:window.__efxss=1)",
        "[b](JAVASCRIPT:window.__efxss=1)",
        "[c](java\tscript:window.__efxss=1)",
        "![d](javascript:window.__efxss=1)",
        "<a href=\"javascript:window.__efxss=1\">e</a>",
        "[f](data:text/html,<script>window.__efxss=1</script>)",
        "<svg onload=window.__efxss=1>",
    ];
    for v in vectors {
        let mut a = event("markdown");
        a["payload"]["event"]["data"] = json!({ "md": v });
        interact(&chat, a).await.unwrap();
        interact(&chat, json!({ "type": "text", "payload": v })).await.unwrap();
    }
    chat.proactive_push(vec![to_js(&json!({ "type": "text", "payload": { "message": vectors[1] } }))]);
    settle(&chat).await;
    let flag = Reflect::get(&web_sys::window().unwrap(), &"__efxss".into()).unwrap();
    assert!(flag.is_undefined(), "no vector ran");
    assert!(all(&chat, "script, iframe, object, embed").is_empty());
    for el in all(&chat, "*") {
        let names = el.get_attribute_names();
        for i in 0..names.length() {
            let name = names.get(i).as_string().unwrap();
            assert!(!name.starts_with("on"), "{name} attribute on {}", el.tag_name());
            if name == "href" || name == "src" {
                let v = el.get_attribute(&name).unwrap().to_ascii_lowercase();
                assert!(!v.trim_start().starts_with("javascript") && !v.starts_with("data:text/html"), "{name}={v}");
            }
        }
    }
    assert!(log(&chat).contains("<script>window.__efxss=1</script>"), "raw HTML shows as text");
    chat.destroy();
}

#[wasm_bindgen_test]
async fn full_storage_falls_back_to_memory() {
    let storage = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    // Fill localStorage up to its quota.
    let chunk = "x".repeat(512 * 1024);
    let mut filled = Vec::new();
    for i in 0..64 {
        let k = format!("efill-{i}");
        if storage.set_item(&k, &chunk).is_err() {
            break;
        }
        filled.push(k);
    }
    let small = "y".repeat(1024);
    for i in 0..4096 {
        let k = format!("efill-s{i}");
        if storage.set_item(&k, &small).is_err() {
            break;
        }
        filled.push(k);
    }
    let chat = loaded(config(json!({ "assistant": { "persistence": "localStorage" } }))).await;
    chat.open();
    shows(&chat, "Hello").await;
    click(&button(&chat, "Yes"));
    shows(&chat, "You said yes.").await;
    chat.destroy();
    for k in filled {
        storage.remove_item(&k).unwrap();
    }
}

#[wasm_bindgen_test]
async fn disabled_storage_falls_back_to_memory() {
    let window = web_sys::window().unwrap();
    let original = js_sys::Object::get_own_property_descriptor(&window, &"localStorage".into());
    let denied = js_sys::Object::new();
    let getter = Closure::<dyn FnMut() -> Result<JsValue, JsValue>>::new(|| {
        Err(web_sys::DomException::new_with_message_and_name("storage is disabled", "SecurityError").unwrap().into())
    });
    Reflect::set(&denied, &"get".into(), getter.as_ref()).unwrap();
    Reflect::set(&denied, &"configurable".into(), &JsValue::TRUE).unwrap();
    js_sys::Object::define_property(&window, &"localStorage".into(), &denied);
    assert!(window.local_storage().is_err(), "storage is disabled for this test");
    let chat = loaded(config(json!({ "assistant": { "persistence": "localStorage" } }))).await;
    chat.open();
    shows(&chat, "Hello").await;
    click(&button(&chat, "No"));
    shows(&chat, "You said no.").await;
    chat.destroy();
    if original.is_undefined() {
        Reflect::delete_property(&window, &"localStorage".into()).unwrap();
    } else {
        js_sys::Object::define_property(&window, &"localStorage".into(), &original.unchecked_into());
    }
    assert!(window.local_storage().is_ok());
}

#[wasm_bindgen_test]
async fn open_close_hide_show_and_page_events() {
    let messages = Rc::new(RefCell::new(Vec::<String>::new()));
    let m = messages.clone();
    let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
        if let Some(s) = e.data().as_string() {
            m.borrow_mut().push(s);
        }
    });
    let window = web_sys::window().unwrap();
    window.add_event_listener_with_callback("message", on_message.as_ref().unchecked_ref()).unwrap();
    let opened = Rc::new(RefCell::new(0));
    let o = opened.clone();
    let chat = loaded(config(json!({}))).await;
    let handler = func1(move |_| {
        *o.borrow_mut() += 1;
        JsValue::UNDEFINED
    });
    let off: Function = chat.on("open".into(), handler.clone()).unwrap();
    chat.open();
    settle(&chat).await;
    assert_eq!(*opened.borrow(), 1);
    assert!(!q(&chat, ".ef-window").unwrap().has_attribute("hidden"));
    assert_eq!(q(&chat, ".ef-launcher").unwrap().get_attribute("aria-expanded").as_deref(), Some("true"));
    chat.close();
    assert!(q(&chat, ".ef-window").unwrap().has_attribute("hidden"));
    off.call0(&JsValue::UNDEFINED).unwrap();
    chat.open();
    assert_eq!(*opened.borrow(), 1, "unsubscribed");
    chat.hide();
    assert_eq!(chat.host().unwrap().style().get_property_value("display").unwrap(), "none");
    chat.show();
    assert_eq!(chat.host().unwrap().style().get_property_value("display").unwrap(), "");
    assert!(chat.on("open".into(), JsValue::from(3)).is_err(), "a handler must be a function");
    // postMessage events arrive as the real widget sends them: JSON strings.
    until("the postMessage events", 2000.0, || messages.borrow().iter().any(|m| m == r#"{"type":"voiceflow:close"}"#))
        .await;
    let msgs = messages.borrow().clone();
    assert!(msgs.iter().any(|m| m == r#"{"type":"voiceflow:open"}"#), "{msgs:?}");
    let interact: Value = msgs
        .iter()
        .filter_map(|m| eventflow::json::parse(m).ok())
        .find(|m| m["type"] == "voiceflow:interact")
        .expect("a voiceflow:interact message");
    let session = &interact["payload"]["session"];
    assert!(session["userID"].is_string() && session["startTime"].is_number(), "{interact}");
    assert_eq!(session["status"], "ACTIVE");
    assert_eq!(interact["payload"]["action"]["type"], "launch");
    assert_eq!(session["turns"][0]["type"], "system");
    let saved =
        msgs.iter().filter_map(|m| eventflow::json::parse(m).ok()).find(|m| m["type"] == "voiceflow:save_session");
    assert!(saved.is_some_and(|s| s["payload"]["userID"].is_string()));
    window.remove_event_listener_with_callback("message", on_message.as_ref().unchecked_ref()).unwrap();
    chat.destroy();
}

#[wasm_bindgen_test]
async fn proactive_messages_show_above_the_launcher() {
    let chat = loaded(config(json!({}))).await;
    chat.proactive_push(vec![
        to_js(&json!({ "type": "text", "payload": { "message": "Need **help**?" } })),
        to_js(&json!({ "type": "visual", "payload": { "image": "https://example.com/x.png" } })),
    ]);
    let shown = all(&chat, ".ef-pro");
    assert_eq!(shown.len(), 1, "only text traces show");
    assert!(shown[0].query_selector("strong").unwrap().is_some());
    chat.proactive_clear();
    assert!(all(&chat, ".ef-pro").is_empty());
    chat.proactive_push(vec![to_js(&json!({ "type": "text", "payload": { "message": "Hi" } }))]);
    click(&all(&chat, ".ef-pro")[0]);
    assert!(!q(&chat, ".ef-window").unwrap().has_attribute("hidden"), "clicking a proactive message opens the chat");
    assert!(all(&chat, ".ef-pro").is_empty(), "opening clears them");
    chat.destroy();
}

#[wasm_bindgen_test]
async fn embedded_mode_renders_into_the_target() {
    let doc = document();
    let target = doc.create_element("div").unwrap();
    target.set_id("embed-target");
    target.set_attribute("style", "height:500px").unwrap();
    doc.body().unwrap().append_child(&target).unwrap();
    let chat = loaded(config(json!({ "render": { "mode": "embedded", "target": "#embed-target" } }))).await;
    assert!(target.contains(Some(&chat.host().unwrap())));
    assert!(q(&chat, ".ef-launcher").is_none(), "no launcher in embedded mode");
    assert!(!q(&chat, ".ef-window").unwrap().has_attribute("hidden"));
    // autostart is off by default in embedded mode: a "Start a chat" button waits.
    click(&button(&chat, "Start a chat"));
    shows(&chat, "Hello").await;
    chat.destroy();
    target.remove();
}

#[wasm_bindgen_test]
async fn file_attach_sends_metadata_and_the_engine_checks_the_size() {
    let chat = loaded(config(json!({}))).await;
    chat.open();
    settle(&chat).await;
    // Through the attach input, as a user would.
    let file = web_sys::File::new_with_str_sequence(&js_sys::Array::of1(&"hello".into()), "note.txt").unwrap();
    let dt = web_sys::DataTransfer::new().unwrap();
    dt.items().add_with_file(&file).unwrap();
    let input: HtmlInputElement = q(&chat, "input[type=file]").unwrap().dyn_into().unwrap();
    input.set_files(dt.files().as_ref());
    input.dispatch_event(&web_sys::Event::new("change").unwrap()).unwrap();
    shows(&chat, "Thanks, I received “note.txt”.").await;
    assert!(log(&chat).contains("📎 note.txt"), "the user's file bubble");
    // Over the limit: the engine raises fileTooBigEvent; nothing is uploaded.
    interact(&chat, json!({ "type": "file", "payload": { "name": "big.iso", "content_type": "application/octet-stream", "size": 50_000_000u64 } }))
        .await
        .unwrap();
    shows(&chat, "is too large").await;
    chat.destroy();
}

#[wasm_bindgen_test]
async fn a_panic_shows_chat_unavailable() {
    let chat = loaded(config(json!({}))).await;
    chat.open();
    settle(&chat).await;
    // What the panic hook does after logging (a real panic would abort this test run).
    eventflow::web::panic::show_unavailable();
    let note = q(&chat, ".ef-fatal[role=alert]").expect("the fatal note");
    assert_eq!(note.text_content().as_deref(), Some(eventflow::web::panic::MESSAGE));
    assert!(q(&chat, ".ef-input").unwrap().has_attribute("disabled"));
    chat.destroy();
}

/// Markdown rendered into a detached element.
fn md(src: &str) -> Element {
    let doc = document();
    let div = doc.create_element("div").unwrap();
    render_markdown(&doc, &div, src);
    div
}

fn html(e: &Element) -> String {
    e.inner_html()
}

/// The DOM built from the parser's tree is exactly the tree (the parser's own cases are tested natively, in
/// `src/client/markdown.rs` and `tests/markdown.rs`).
#[wasm_bindgen_test]
fn markdown_dom_is_the_parsed_tree() {
    let cases = [
        "**b** *i* _u_ ~~d~~ `c`",
        "*a **b** c* and ***both***",
        "# Title\n\npara one\nline two\n\n#### four",
        "- a\n- b\n\n3. x\n4. y",
        "> quoted *text*\n> > deeper",
        "```\n<b>x</b>\n```",
        "---",
        "&lt;b&gt; &amp; &#65; &unknown; &nbsp;",
        "<script>alert(1)</script>",
        "[the docs](https://example.com/d \"Docs\") and <https://x.example> and <a@b.example>",
        "see https://example.com/a_(b). next",
        "![a *cat*](https://example.com/cat.png 'Cat')",
        "[![logo](https://a.example/l.png)](https://a.example)",
        "[x](javascript:alert(1)) ![y](javascript:1)",
    ];
    for src in cases {
        assert_eq!(html(&md(src)), eventflow::client::markdown::parse(src).to_html(), "{src:?}");
    }
    let a = md("[the docs](https://example.com/d \"Docs\")").query_selector("a").unwrap().unwrap();
    assert_eq!(a.get_attribute("href").as_deref(), Some("https://example.com/d"));
    assert_eq!(a.get_attribute("rel").as_deref(), Some("noopener noreferrer"));
    assert_eq!(a.text_content().as_deref(), Some("the docs"));
    for bad in [
        "[x](javascript:alert(1))",
        "[x](javascript&colon;alert(1))",
        "[x](&#106;avascript:alert(1))",
        "![x](javascript:alert(1))",
        "[x](data:text/html,hi)",
        "[[a](https://a.example)](https://b.example)",
    ] {
        let out = md(bad);
        assert!(out.query_selector("a a").unwrap().is_none(), "no link inside a link: {}", html(&out));
        for a in (0..out.query_selector_all("a").unwrap().length())
            .filter_map(|i| out.query_selector_all("a").unwrap().get(i))
        {
            let href = a.dyn_into::<Element>().unwrap().get_attribute("href").unwrap();
            assert!(href.starts_with("https://"), "{}", html(&out));
        }
        assert!(out.query_selector("img").unwrap().is_none(), "{bad:?} gave {}", html(&out));
    }
    // Adversarial nesting and length render without exhausting anything; emphasis deeper than the limit keeps
    // its text without more elements.
    md(&">".repeat(500));
    md(&"*".repeat(5000));
    md(&"[".repeat(3000));
    md(&"_a ".repeat(3000));
    let deep = md(&format!("{}x{}", "*a ".repeat(2000), " a*".repeat(2000)));
    assert_eq!(deep.query_selector_all("em").unwrap().length() as usize, eventflow::client::markdown::MAX_EMPHASIS);
    assert!(md(&"x".repeat(30_000)).text_content().unwrap().len() == 30_000);
}

#[wasm_bindgen_test]
async fn launch_event_and_user_id_from_the_config() {
    let chat = loaded(config(json!({
        "userID": "user%20one",
        "launch": { "event": { "type": "event", "payload": { "event": { "name": "show_image" } } } }
    })))
    .await;
    chat.open();
    settle(&chat).await;
    assert!(q(&chat, "img.ef-image").is_some(), "launch.event replaced the launch");
    assert!(!log(&chat).contains("Hello"), "the start flow did not run");
    let session: Value = eventflow::json::parse(&chat.snapshot().unwrap()).unwrap();
    assert_eq!(session["user_id"], "user one", "a string userID is URL-decoded");
    chat.destroy();
}

/// A page element that sends an event when clicked.
fn page_button(attrs: &[(&str, &str)]) -> Element {
    let b = document().create_element("button").unwrap();
    for (k, v) in attrs {
        b.set_attribute(k, v).unwrap();
    }
    document().body().unwrap().append_child(&b).unwrap();
    b
}

#[wasm_bindgen_test]
async fn clicks_before_the_widget_is_ready_are_replayed_in_order() {
    let first = page_button(&[("data-vf-event", "echo"), ("data-vf-data", r#"{"value":"first"}"#)]);
    let second = page_button(&[("id", "early-cfg")]);
    let third = page_button(&[("data-vf-event", "echo"), ("data-vf-data", r#"{"value":"third"}"#)]);
    let chat = Chat::new();
    // Before load(): the module is ready, the widget is not.
    click(&first);
    click(&second);
    let cfg =
        config(json!({ "listeners": [{ "selector": "#early-cfg", "event": "echo", "data": { "value": "second" } }] }));
    let loading = chat.load(to_js(&cfg));
    // While loading.
    click(&third);
    JsFuture::from(loading).await.expect("load() resolves");
    shows(&chat, "got third").await;
    let text = log(&chat);
    let at = |s: &str| text.find(s).unwrap_or_else(|| panic!("'{s}' not in the chat: {text}"));
    assert!(at("got first") < at("got second") && at("got second") < at("got third"), "{text}");
    assert_eq!(text.matches("got first").count(), 1, "each click is sent once");
    chat.destroy();
    for b in [first, second, third] {
        b.remove();
    }
}

#[wasm_bindgen_test]
async fn an_unreadable_saved_session_is_kept_aside_and_the_chat_says_so() {
    let cfg = config(json!({ "assistant": { "persistence": "localStorage" } }));
    let key = format!("voiceflow-session-{}", cfg["verify"]["projectID"].as_str().unwrap());
    let storage = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    // One character missing: not JSON any more.
    let corrupt = r#"{"version":1,"agent":"gallery","user_id":"u1""#;
    storage.set_item(&key, corrupt).unwrap();
    let chat = loaded(cfg).await;
    chat.open();
    shows(&chat, "Your earlier conversation could not be restored").await;
    shows(&chat, "Hello").await;
    settle(&chat).await;
    let mut kept = Vec::new();
    for i in 0..storage.length().unwrap() {
        let k = storage.key(i).unwrap().unwrap();
        if k.starts_with(&format!("{key}.unreadable.")) {
            kept.push(storage.get_item(&k).unwrap().unwrap());
            storage.remove_item(&k).unwrap();
        }
    }
    assert_eq!(kept, [corrupt.to_string()], "the unreadable copy is kept, unchanged");
    let saved = storage.get_item(&key).unwrap().unwrap();
    assert!(saved.contains("\"agent\":\"gallery\""), "the new conversation is saved under the key: {saved}");
    chat.destroy();
    storage.remove_item(&key).unwrap();
}

#[wasm_bindgen_test]
async fn an_agent_update_that_removed_the_saved_flow_says_so_and_starts_again() {
    let cfg = config(json!({ "assistant": { "persistence": "localStorage" } }));
    let chat = loaded(cfg.clone()).await;
    chat.open();
    interact(&chat, event("ask")).await.unwrap();
    shows(&chat, "Still there?").await;
    settle(&chat).await;
    let key = chat.storage_key().unwrap();
    chat.destroy();
    // The new version of the agent has no `ask` flow: the saved conversation waits in a step it no longer has.
    let mut v2 = gallery();
    v2["flows"].as_object_mut().unwrap().remove("ask");
    v2["triggers"].as_array_mut().unwrap().retain(|t| t["event"] != "ask");
    v2["events"].as_array_mut().unwrap().retain(|e| e["name"] != "ask");
    v2["flows"]["main"]["steps"]["hi"]["text"] = json!("Hello again from version 2");
    let mut cfg2 = cfg;
    cfg2["agent"] = v2;
    let chat = loaded(cfg2).await;
    chat.open();
    shows(&chat, "The assistant was updated, so this conversation starts again.").await;
    shows(&chat, "Hello again from version 2").await;
    settle(&chat).await;
    assert!(
        all(&chat, "button").iter().all(|b| b.text_content().as_deref() != Some("Here")),
        "the old buttons are gone"
    );
    chat.destroy();
    web_sys::window().unwrap().local_storage().unwrap().unwrap().remove_item(&key).unwrap();
}

#[wasm_bindgen_test]
async fn two_tabs_on_one_saved_session_lose_nothing() {
    // Two widgets on one saved session stand for two tabs: each saves to the same localStorage key.
    let cfg = config(json!({ "assistant": { "persistence": "localStorage" } }));
    let a = loaded(cfg.clone()).await;
    a.open();
    shows(&a, "Hello").await;
    settle(&a).await;
    let b = loaded(cfg).await;
    settle(&b).await;
    // A has a turn and saves; B, which read the session before, has one of its own right after.
    interact(&a, event("show_image")).await.unwrap();
    interact(&b, json!({ "type": "event", "payload": { "event": { "name": "echo", "data": { "value": "from b" } } } }))
        .await
        .unwrap();
    settle(&a).await;
    settle(&b).await;
    let key = b.storage_key().unwrap();
    let storage = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    let saved = storage.get_item(&key).unwrap().unwrap();
    assert!(saved.contains("got from b"), "B's turn is saved");
    assert!(saved.contains("data:image/gif"), "A's turn is kept by B's save: {saved}");
    assert!(log(&b).contains("got from b"));
    assert!(q(&b, "img.ef-image").is_some(), "B shows what A added");
    // The browser tells A, by a storage event, that B saved: A shows B's turn without a reload.
    let init = web_sys::StorageEventInit::new();
    init.set_key(Some(&key));
    let ev = web_sys::StorageEvent::new_with_event_init_dict("storage", &init).unwrap();
    web_sys::window().unwrap().dispatch_event(&ev).unwrap();
    shows(&a, "got from b").await;
    assert_eq!(log(&a).matches("got from b").count(), 1);
    a.destroy();
    b.destroy();
    storage.remove_item(&key).unwrap();
}

#[wasm_bindgen_test]
async fn an_agent_file_over_the_size_limit_is_refused() {
    // 11 MB of JSON whitespace around an object: over the 10 MB limit, refused before it is all read.
    let parts = js_sys::Array::of1(&JsValue::from_str(&" ".repeat(11 * 1024 * 1024)));
    let blob = web_sys::Blob::new_with_str_sequence(&parts).unwrap();
    let url = web_sys::Url::create_object_url_with_blob(&blob).unwrap();
    let e = load(&Chat::new(), &config(json!({ "agent": url }))).await.unwrap_err();
    let got = err(&e);
    assert!(got.starts_with("agent_fetch: agent: could not fetch 'blob:"), "{got}");
    assert!(got.ends_with("the answer is over the limit of 10485760 bytes"), "{got}");
    web_sys::Url::revoke_object_url(&url).unwrap();
}

/// The first agent message's rating buttons (up, down).
fn thumbs(chat: &Chat) -> (Element, Element) {
    let group = q(chat, ".ef-agent .ef-rate[role=group]").expect("rating buttons on an agent message");
    let up = group.query_selector("button[aria-label='Good answer']").unwrap().expect("thumbs up");
    let down = group.query_selector("button[aria-label='Bad answer']").unwrap().expect("thumbs down");
    (up, down)
}

fn pressed(b: &Element) -> Option<String> {
    b.get_attribute("aria-pressed")
}

#[wasm_bindgen_test]
async fn ratings_are_annotations_that_reach_the_page_and_come_back_after_a_reload() {
    let messages = Rc::new(RefCell::new(Vec::<String>::new()));
    let m = messages.clone();
    let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
        if let Some(s) = e.data().as_string().filter(|s| s.contains("voiceflow:feedback")) {
            m.borrow_mut().push(s);
        }
    });
    let window = web_sys::window().unwrap();
    window.add_event_listener_with_callback("message", on_message.as_ref().unchecked_ref()).unwrap();
    let events = Rc::new(RefCell::new(Vec::<Value>::new()));
    let ev = events.clone();
    let cfg = config(json!({ "assistant": { "persistence": "localStorage" } }));
    let chat = loaded(cfg.clone()).await;
    let handler = func1(move |e| {
        ev.borrow_mut().push(eventflow::web::convert::json_from_js(e).unwrap());
        JsValue::UNDEFINED
    });
    chat.on("feedback".into(), handler).unwrap();
    chat.open();
    settle(&chat).await;
    click(&button(&chat, "Yes"));
    shows(&chat, "You said yes.").await;
    settle(&chat).await;
    let (up, down) = thumbs(&chat);
    assert_eq!((pressed(&up).as_deref(), pressed(&down).as_deref()), (Some("false"), Some("false")));
    assert_eq!(up.get_attribute("type").as_deref(), Some("button"), "a real button: focusable, Enter and Space");
    click(&down);
    until("the chosen thumb", 2000.0, || pressed(&down).as_deref() == Some("true")).await;
    assert_eq!(pressed(&up).as_deref(), Some("false"));
    // The page hears it, as an object through on() and as a postMessage string.
    until("the feedback event", 2000.0, || events.borrow().len() == 1).await;
    let e = events.borrow()[0].clone();
    assert_eq!(e["type"], "voiceflow:feedback");
    assert_eq!(e["payload"]["name"], "Thumbs down");
    assert_eq!(e["payload"]["rating"], "down");
    assert!(e["payload"]["text"][0].as_str().unwrap().contains("Hello"), "{e}");
    assert_eq!(e["payload"]["lastUserTurn"], Value::Null, "nothing was said before the greeting");
    let rated = e["payload"]["messageID"].as_str().unwrap().to_string();
    until("the postMessage", 2000.0, || !messages.borrow().is_empty()).await;
    let posted: Value = eventflow::json::parse(&messages.borrow()[0]).unwrap();
    assert_eq!(posted, e);
    // The transcript keeps an annotation on the latest thread.
    let session: Value = eventflow::json::parse(&chat.snapshot().unwrap()).unwrap();
    let entries = session["transcript"]["entries"].as_array().unwrap().clone();
    let last = entries.last().unwrap();
    assert_eq!(last["type"], "annotation");
    assert_eq!(last["annotation_type"], "rating");
    assert_eq!(last["text"], "Thumbs down");
    assert_eq!(last["properties"], json!({ "rating": "down", "message_id": rated }));
    assert!(entries.iter().any(|x| x["id"] == rated.as_str() && x["type"] == "message"));
    // A change of mind: the latest rating counts.
    click(&up);
    until("thumbs up chosen", 2000.0, || pressed(&up).as_deref() == Some("true")).await;
    assert_eq!(pressed(&down).as_deref(), Some("false"));
    until("the second event", 2000.0, || events.borrow().len() == 2).await;
    // A later message can be rated too, and its user turn is known.
    let rows = all(&chat, ".ef-agent .ef-rate");
    let said_yes = rows.last().unwrap().query_selector("button[aria-label='Good answer']").unwrap().unwrap();
    click(&said_yes);
    until("the third event", 2000.0, || events.borrow().len() == 3).await;
    assert_eq!(events.borrow()[2]["payload"]["lastUserTurn"], "Yes");
    let key = chat.storage_key().unwrap();
    chat.destroy();

    // After a reload the ratings show again.
    let again = loaded(cfg.clone()).await;
    again.open();
    settle(&again).await;
    let (up, down) = thumbs(&again);
    assert_eq!((pressed(&up).as_deref(), pressed(&down).as_deref()), (Some("true"), Some("false")));
    let rows = all(&again, ".ef-agent .ef-rate");
    let last_up = rows.last().unwrap().query_selector("button[aria-label='Good answer']").unwrap().unwrap();
    assert_eq!(pressed(&last_up).as_deref(), Some("true"));
    again.destroy();
    web_sys::window().unwrap().local_storage().unwrap().unwrap().remove_item(&key).unwrap();
    window.remove_event_listener_with_callback("message", on_message.as_ref().unchecked_ref()).unwrap();

    // `assistant.feedback: false` shows no rating buttons.
    let off = loaded(config(json!({ "assistant": { "feedback": false } }))).await;
    off.open();
    settle(&off).await;
    assert!(log(&off).contains("Hello"));
    assert!(q(&off, ".ef-rate").is_none());
    off.destroy();
}

#[wasm_bindgen_test]
async fn interact_properties_are_kept_on_the_transcript_entry() {
    let chat = loaded(config(json!({}))).await;
    chat.open();
    settle(&chat).await;
    let mut action = event("echo");
    action["payload"]["event"]["data"] = json!({ "value": "x" });
    action["properties"] = json!({ "source": "pricing-page", "ab": "b" });
    interact(&chat, action).await.unwrap();
    let session: Value = eventflow::json::parse(&chat.snapshot().unwrap()).unwrap();
    let entry =
        session["transcript"]["entries"].as_array().unwrap().iter().rev().find(|e| e["type"] == "custom").cloned();
    assert_eq!(entry.unwrap()["properties"], json!({ "source": "pricing-page", "ab": "b" }));
    let mut bad = event("echo");
    bad["properties"] = json!("not an object");
    let e = interact(&chat, bad).await.expect_err("refused");
    assert_eq!(err(&e), "invalid_request: properties must be an object");
    chat.destroy();
}
