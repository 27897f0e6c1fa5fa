//! Small DOM helpers for the elements the host makes (the widget, the "chat unavailable" notice) and the
//! selectors it queries. URLs that reach an `href` or `src` pass [`safe_url`](crate::client::url::safe_url) first.

use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Document, Element, HtmlElement, Node};

pub type R<T> = Result<T, JsValue>;

/// Show or hide one of the widget's elements (all HTML elements: the cast needs no check).
pub fn set_hidden(e: &Element, hidden: bool) {
    e.unchecked_ref::<HtmlElement>().set_hidden(hidden);
}

/// `document.querySelector(selector)`: `Err` for a selector that does not parse.
pub fn query(doc: &Document, selector: &str) -> R<Option<Element>> {
    doc.query_selector(selector)
}

/// `e.setAttribute(name, value)`, with no error path: it throws only for an invalid attribute name, and every
/// name the widget sets is a constant.
pub fn attr(e: &Element, name: &str, value: &str) {
    let _ = e.set_attribute(name, value);
}

/// `parent.appendChild(child)`, with no error path: it throws only for a hierarchy error (a node into its own
/// subtree, or into a node that cannot hold one), and the widget only appends nodes it made, into elements or its
/// shadow root.
pub fn add(parent: &Node, child: &Node) {
    let _ = parent.append_child(child);
}

/// `document.createElement(tag)`. It throws only for a tag name that is not a valid name, and every tag the widget
/// creates is a constant of this crate: a throw would be a bug here, so it panics (and the panic hook shows
/// "Chat unavailable") rather than going on with something that is not an element.
pub fn create(doc: &Document, tag: &str) -> Element {
    match doc.create_element(tag) {
        Ok(e) => e,
        Err(_) => unreachable!("createElement of a constant tag name"),
    }
}

/// Set the text of `e` (its `textContent`: one text node, never markup).
pub fn set_text(e: &Element, text: &str) {
    e.set_text_content(Some(text));
}

/// Scroll `e` to its end.
pub fn scroll_end(e: &Element) {
    e.set_scroll_top(e.scroll_height());
}

/// `<tag class="...">`.
pub fn el(doc: &Document, tag: &str, class: &str) -> Element {
    let e = create(doc, tag);
    if !class.is_empty() {
        attr(&e, "class", class);
    }
    e
}

/// `<img class src alt>`, with `loading="lazy"` when `lazy`; `src` has passed [`safe_url`]. One helper for the
/// avatar, image trace, card and markdown images.
pub fn img(doc: &Document, class: &str, src: &str, alt: &str, lazy: bool) -> Element {
    let e = el(doc, "img", class);
    attr(&e, "src", src);
    attr(&e, "alt", alt);
    if lazy {
        attr(&e, "loading", "lazy");
    }
    e
}

/// `<tag class="...">text</tag>`, the text as a text node.
pub fn text_el(doc: &Document, tag: &str, class: &str, text: &str) -> Element {
    let e = el(doc, tag, class);
    set_text(&e, text);
    e
}

/// A `<button type="button">` carrying a `data-ef` command; `label` is its text. (Icon buttons are constant
/// `Spec`s of the widget's chrome.)
pub fn button(doc: &Document, class: &str, command: &str, label: &str) -> Element {
    let b = text_el(doc, "button", class, label);
    attr(&b, "type", "button");
    attr(&b, "data-ef", command);
    b
}
