//! The widget's fixed chrome as data: header, log, composer, footer, proactive area, launcher. Built by
//! [`Build`] with one small interpreter instead of a web-sys call site per attribute.
//! Values: `$0` shell class, `$1` window role, `$2` title, `$3` `hidden` (overlay), `$4` description,
//! `$5` placeholder, `$6` typing label. Elements: `@0`, `@1` header and intro avatars, `@2` the agent avatar.

use web_sys::{Document, Element, Node};

use crate::web::config::Position;
use crate::web::dom::{add, attr, create, set_text};

/// The shell's whole class attribute (set in one call: no `classList` binding).
pub fn shell_class(overlay: bool, position: Position, open: bool) -> &'static str {
    match (overlay, position, open) {
        (false, ..) => "ef ef-embedded",
        (true, Position::Left, false) => "ef ef-overlay ef-left",
        (true, Position::Left, true) => "ef ef-overlay ef-left ef-open",
        (true, Position::Right, false) => "ef ef-overlay ef-right",
        (true, Position::Right, true) => "ef ef-overlay ef-right ef-open",
    }
}

pub const OVERLAY: u8 = 1;
pub const DESCRIPTION: u8 = 2;

/// Slots of the kept elements, in the order `Widget::new` takes them: the required ones first, then the overlay's.
pub const SHELL: usize = 1;
pub const WINDOW: usize = 2;
pub const LOG: usize = 3;
pub const TYPING: usize = 4;
pub const ENDBAR: usize = 5;
pub const ENDBAR_BUTTON: usize = 6;
pub const FILE: usize = 7;
pub const INPUT: usize = 8;
pub const PROACTIVE: usize = 9;
pub const LAUNCHER: usize = 10;

const BUTTON: Spec = Spec { tag: "button", ..SPEC };
const ICON: Spec = Spec { tag: "svg", ..SPEC };

/// A carousel's previous and next buttons.
pub const NAV: [Spec; 2] = [
    Spec {
        class: "ef-nav ef-nav-prev",
        attrs: &[("type", "button"), ("data-ef", "prev"), ("aria-label", "Previous card"), ("title", "Previous card")],
        kids: &[Spec { text: ICON_PREV, ..ICON }],
        ..BUTTON
    },
    Spec {
        class: "ef-nav ef-nav-next",
        attrs: &[("type", "button"), ("data-ef", "next"), ("aria-label", "Next card"), ("title", "Next card")],
        kids: &[Spec { text: ICON_NEXT, ..ICON }],
        ..BUTTON
    },
];

/// The rating buttons of an agent message, kept in slot 1. Values: `$0`, `$1` the commands of thumbs up and
/// down (`rate:up:ID`), `$2`, `$3` their `aria-pressed`. The down thumb is the up one turned by CSS.
pub const RATE: Spec = Spec {
    class: "ef-rate",
    attrs: &[("role", "group"), ("aria-label", "Rate this answer")],
    keep: 1,
    kids: &[
        Spec {
            class: "ef-thumb",
            attrs: &[
                ("type", "button"),
                ("data-ef", "$0"),
                ("aria-pressed", "$2"),
                ("aria-label", "Good answer"),
                ("title", "Good answer"),
            ],
            kids: &[Spec { text: ICON_THUMB, ..ICON }],
            ..BUTTON
        },
        Spec {
            class: "ef-thumb ef-down",
            attrs: &[
                ("type", "button"),
                ("data-ef", "$1"),
                ("aria-pressed", "$3"),
                ("aria-label", "Bad answer"),
                ("title", "Bad answer"),
            ],
            kids: &[Spec { text: ICON_THUMB, ..ICON }],
            ..BUTTON
        },
    ],
    ..SPEC
};

/// The dismiss button of a proactive message.
pub const PROACTIVE_CLOSE: Spec = Spec {
    class: "ef-pro-x",
    attrs: &[("type", "button"), ("data-ef", "proactive-close"), ("aria-label", "Dismiss"), ("title", "Dismiss")],
    kids: &[Spec { text: ICON_CLOSE, ..ICON }],
    ..BUTTON
};

pub const CHROME: Spec = Spec {
    class: "$0",
    keep: SHELL as u8,
    kids: &[
        Spec {
            tag: "section",
            class: "ef-window",
            attrs: &[("role", "$1"), ("aria-label", "$2"), ("hidden", "$3")],
            keep: WINDOW as u8,
            kids: &[
                Spec {
                    tag: "header",
                    class: "ef-header",
                    kids: &[
                        Spec { tag: "@0", ..SPEC },
                        Spec {
                            class: "ef-htext",
                            kids: &[
                                Spec { tag: "h2", class: "ef-title", text: "$2", ..SPEC },
                                Spec { tag: "p", class: "ef-desc", text: "$4", when: DESCRIPTION, ..SPEC },
                            ],
                            ..SPEC
                        },
                        Spec {
                            class: "ef-iconbtn",
                            attrs: &[
                                ("type", "button"),
                                ("data-ef", "close"),
                                ("aria-label", "Close chat"),
                                ("title", "Close chat"),
                            ],
                            kids: &[Spec { text: ICON_MINUS, ..ICON }],
                            when: OVERLAY,
                            ..BUTTON
                        },
                    ],
                    ..SPEC
                },
                Spec {
                    class: "ef-log",
                    attrs: &[
                        ("role", "log"),
                        ("aria-live", "polite"),
                        ("aria-label", "Conversation"),
                        ("tabindex", "0"),
                    ],
                    keep: LOG as u8,
                    kids: &[
                        Spec {
                            class: "ef-intro",
                            attrs: &[("aria-hidden", "true")],
                            kids: &[
                                Spec { tag: "@1", ..SPEC },
                                Spec { tag: "h3", text: "$2", ..SPEC },
                                Spec { tag: "p", text: "$4", when: DESCRIPTION, ..SPEC },
                            ],
                            ..SPEC
                        },
                        Spec {
                            class: "ef-row ef-agent ef-typing",
                            attrs: &[("hidden", "")],
                            keep: TYPING as u8,
                            kids: &[
                                Spec { tag: "@2", ..SPEC },
                                Spec {
                                    class: "ef-bubble",
                                    attrs: &[("role", "status")],
                                    kids: &[
                                        Spec { tag: "span", class: "ef-sr", text: "$6", ..SPEC },
                                        Spec { tag: "i", ..SPEC },
                                        Spec { tag: "i", ..SPEC },
                                        Spec { tag: "i", ..SPEC },
                                    ],
                                    ..SPEC
                                },
                            ],
                            ..SPEC
                        },
                    ],
                    ..SPEC
                },
                Spec {
                    class: "ef-endbar",
                    attrs: &[("hidden", "")],
                    keep: ENDBAR as u8,
                    kids: &[Spec {
                        class: "ef-primary",
                        attrs: &[("type", "button"), ("data-ef", "restart")],
                        text: "Start new chat",
                        keep: ENDBAR_BUTTON as u8,
                        ..BUTTON
                    }],
                    ..SPEC
                },
                Spec {
                    class: "ef-composer",
                    kids: &[
                        Spec {
                            class: "ef-iconbtn ef-attach",
                            attrs: &[
                                ("type", "button"),
                                ("data-ef", "attach"),
                                ("aria-label", "Attach a file"),
                                ("title", "Attach a file"),
                            ],
                            kids: &[Spec { text: ICON_ATTACH, ..ICON }],
                            ..BUTTON
                        },
                        Spec {
                            tag: "input",
                            attrs: &[
                                ("type", "file"),
                                ("hidden", ""),
                                ("data-ef", "file"),
                                ("tabindex", "-1"),
                                ("aria-hidden", "true"),
                            ],
                            keep: FILE as u8,
                            ..SPEC
                        },
                        Spec {
                            tag: "input",
                            class: "ef-input",
                            attrs: &[
                                ("type", "text"),
                                ("placeholder", "$5"),
                                ("aria-label", "Message"),
                                ("autocomplete", "off"),
                                ("enterkeyhint", "send"),
                                ("maxlength", "4000"),
                            ],
                            keep: INPUT as u8,
                            ..SPEC
                        },
                        Spec {
                            class: "ef-send",
                            attrs: &[
                                ("type", "button"),
                                ("data-ef", "send"),
                                ("aria-label", "Send"),
                                ("title", "Send"),
                            ],
                            kids: &[Spec { text: ICON_SEND, ..ICON }],
                            ..BUTTON
                        },
                    ],
                    ..SPEC
                },
                Spec { class: "ef-footer", text: "Powered by eventflow", ..SPEC },
            ],
            ..SPEC
        },
        Spec { class: "ef-proactive", attrs: &[("aria-live", "polite")], when: OVERLAY, keep: PROACTIVE as u8, ..SPEC },
        Spec {
            class: "ef-launcher",
            attrs: &[
                ("type", "button"),
                ("data-ef", "launcher"),
                ("aria-label", "Open chat"),
                ("title", "Open chat"),
                ("aria-expanded", "false"),
            ],
            when: OVERLAY,
            keep: LAUNCHER as u8,
            kids: &[
                Spec { class: "ef-i-chat", text: ICON_CHAT, ..ICON },
                Spec { class: "ef-i-close", text: ICON_CLOSE, ..ICON },
            ],
            ..BUTTON
        },
    ],
    ..SPEC
};

// ---- the description language and its builder ----

const SVG_NS: &str = "http://www.w3.org/2000/svg";

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
pub const KEPT: usize = LAUNCHER + 1;

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
