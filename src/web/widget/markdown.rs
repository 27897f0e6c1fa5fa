//! Agent markdown to DOM nodes: the tree of [`crate::client::markdown`] built node by node. Never `innerHTML`:
//! text only ever becomes text nodes, and the only attributes are the ones the parser decided (URLs that passed
//! the URL policy).

use web_sys::{Document, Element};

use crate::client::markdown::{self, attributes, Event, Kind};
use crate::web::dom::{add, attr, create, set_text};

/// Append the rendering of `src` to `parent`.
pub fn render(doc: &Document, parent: &Element, src: &str) {
    let md = markdown::parse(src);
    // The open elements, innermost last: the walk never recurses, so neither does this.
    let mut open = vec![parent.clone()];
    md.walk(|ev| {
        let Some(top) = open.last() else { return };
        match ev {
            Event::Leaf(Kind::Text(t)) => text(top, t),
            Event::Leaf(k) => {
                let e = element(doc, top, k);
                match k {
                    Kind::Code(t) => set_text(&e, t),
                    Kind::CodeBlock(t) => {
                        let code = create(doc, "code");
                        set_text(&code, t);
                        add(&e, &code);
                    }
                    _ => {}
                }
            }
            Event::Enter(k) => {
                let e = element(doc, top, k);
                open.push(e);
            }
            Event::Leave(_) => {
                open.pop();
            }
        }
    });
}

/// The element of `k`, with its attributes, appended to `parent`.
fn element(doc: &Document, parent: &Element, k: &Kind) -> Element {
    let e = create(doc, k.tag().unwrap_or("span"));
    attributes(k, |name, value| attr(&e, name, value));
    add(parent, &e);
    e
}

/// Append `s` as a text node: `append` of a string, no `createTextNode` binding. Into an element it cannot throw,
/// so there is no error path.
fn text(parent: &Element, s: &str) {
    crate::web::by_name::append_text(parent, s);
}
