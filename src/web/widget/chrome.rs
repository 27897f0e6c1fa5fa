//! The widget's fixed chrome as data: header, log, composer, footer, proactive area, launcher. Built by
//! [`Build`](super::dom::Build) with one small interpreter instead of a web-sys call site per attribute.
//! Values: `$0` shell class, `$1` window role, `$2` title, `$3` `hidden` (overlay), `$4` description,
//! `$5` placeholder, `$6` typing label. Elements: `@0`, `@1` header and intro avatars, `@2` the agent avatar.

use super::dom::{
    Spec, ICON_ATTACH, ICON_CHAT, ICON_CLOSE, ICON_MINUS, ICON_NEXT, ICON_PREV, ICON_SEND, ICON_THUMB, SPEC,
};
use crate::web::config::Position;

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
