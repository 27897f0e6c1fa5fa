//! Small DOM helpers for the widget's own elements. URLs that reach an `href` or `src` pass
//! [`safe_url`](crate::client::url::safe_url) first.

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

const SVG_NS: &str = "http://www.w3.org/2000/svg";

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
/// [`Spec`]s, built by [`build`].)
pub fn button(doc: &Document, class: &str, command: &str, label: &str) -> Element {
    let b = text_el(doc, "button", class, label);
    attr(&b, "type", "button");
    attr(&b, "data-ef", command);
    b
}

/// An SVG element; as [`create`], the names are constants, so a throw would be a bug.
fn create_svg(doc: &Document, tag: &str) -> Element {
    match doc.create_element_ns(Some(SVG_NS), tag) {
        Ok(e) => e,
        Err(_) => unreachable!("createElementNS of a constant tag name"),
    }
}

/// A 24x24 stroke icon from constant path data (never from content).
fn icon(doc: &Document, path: &'static str) -> Element {
    let svg = create_svg(doc, "svg");
    attr(&svg, "viewBox", "0 0 24 24");
    attr(&svg, "aria-hidden", "true");
    attr(&svg, "focusable", "false");
    let p = create_svg(doc, "path");
    attr(&p, "d", path);
    add(&svg, &p);
    svg
}

pub const ICON_CHAT: &str = "M4 5.5A2.5 2.5 0 0 1 6.5 3h11A2.5 2.5 0 0 1 20 5.5v8a2.5 2.5 0 0 1-2.5 2.5H10l-4.2 3.6c-.5.4-1.3.1-1.3-.6V16A2.5 2.5 0 0 1 4 13.5z";
pub const ICON_CLOSE: &str = "M6 6l12 12M18 6L6 18";
pub const ICON_MINUS: &str = "M6 12h12";
pub const ICON_SEND: &str = "M5 12h13M12 5l7 7-7 7";
pub const ICON_ATTACH: &str =
    "M20 11.5l-7.8 7.8a5 5 0 0 1-7.1-7.1l8.5-8.5a3.3 3.3 0 0 1 4.7 4.7l-8.5 8.5a1.7 1.7 0 0 1-2.4-2.4l7.8-7.8";
pub const ICON_PREV: &str = "M15 6l-6 6 6 6";
pub const ICON_NEXT: &str = "M9 6l6 6-6 6";
/// A raised thumb: the hand and its cuff.
pub const ICON_THUMB: &str =
    "M7 10v10H4V10zM7 10l4.2-6.3a1.6 1.6 0 0 1 2.9 1.2L13 9h5.6a2 2 0 0 1 2 2.4l-1.4 6.9A2 2 0 0 1 17.2 20H7";

/// One element of a fixed DOM description (the widget's chrome), built by [`Build::node`]. Only constant
/// strings and the values the builder is given reach the DOM, as attributes and text nodes (never markup).
#[derive(Clone, Copy)]
pub struct Spec {
    /// A tag; `svg` is an [`icon`] whose path is `text`; `@i` appends the builder's element `i`.
    pub tag: &'static str,
    pub class: &'static str,
    /// A value `$i` is the builder's value `i`; the attribute is left out when that is `None`.
    pub attrs: &'static [(&'static str, &'static str)],
    pub text: &'static str,
    pub kids: &'static [Spec],
    /// Built only when every bit of `when` is in the builder's flags.
    pub when: u8,
    /// Non-zero: the element is kept at `kept[keep]`.
    pub keep: u8,
}

pub const SPEC: Spec = Spec { tag: "div", class: "", attrs: &[], text: "", kids: &[], when: 0, keep: 0 };

/// Build the constant `spec` (no values, no elements) into `parent`.
pub fn build(doc: &Document, spec: &Spec, parent: &Node) {
    Build { doc, vals: &[], flags: 0, elements: &[], kept: Default::default() }.node(spec, parent);
}

/// How many [`Spec::keep`] slots a [`Build`] has: the chrome's, after slot 0 ("not kept").
pub const KEPT: usize = super::chrome::LAUNCHER + 1;

/// Builds [`Spec`]s.
pub struct Build<'a> {
    pub doc: &'a Document,
    pub vals: &'a [Option<&'a str>],
    pub flags: u8,
    pub elements: &'a [Element],
    /// The elements built with a non-zero `keep`, at that index.
    pub kept: [Option<Element>; KEPT],
}

impl Build<'_> {
    fn val<'s>(&'s self, s: &'s str) -> Option<&'s str> {
        match s.strip_prefix('$') {
            Some(i) => self.vals.get(i.parse::<usize>().ok()?).copied().flatten(),
            None => Some(s),
        }
    }

    /// Build `n` (unless its `when` rules it out) and append it to `parent`. An `@i` past the builder's elements
    /// appends nothing.
    pub fn node(&mut self, n: &Spec, parent: &Node) {
        if self.flags & n.when != n.when {
            return;
        }
        if let Some(i) = n.tag.strip_prefix('@') {
            if let Some(e) = i.parse::<usize>().ok().and_then(|i| self.elements.get(i)) {
                add(parent, e);
            }
            return;
        }
        let e = if n.tag == "svg" { icon(self.doc, n.text) } else { create(self.doc, n.tag) };
        if let Some(c) = self.val(n.class).filter(|c| !c.is_empty()) {
            attr(&e, "class", c);
        }
        for (k, v) in n.attrs {
            if let Some(v) = self.val(v) {
                attr(&e, k, v);
            }
        }
        if n.tag != "svg" {
            if let Some(t) = self.val(n.text).filter(|t| !t.is_empty()) {
                set_text(&e, t);
            }
        }
        for k in n.kids {
            self.node(k, &e);
        }
        add(parent, &e);
        if let Some(slot) = self.kept.get_mut(n.keep as usize).filter(|_| n.keep != 0) {
            *slot = Some(e);
        }
    }
}
