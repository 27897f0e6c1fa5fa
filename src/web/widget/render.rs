//! Traces and transcript entries to DOM: bubbles, choice buttons, cards, carousels, images, the end state,
//! errors. Live traces come here through the player (after their typing delay); a restored conversation
//! comes here all at once from the transcript, so both look the same.

use crate::json::Value;
use crate::web::{bm, br};
use web_sys::Element;

use super::chrome::{build, Build};
use super::{chrome, markdown, EndBar, Widget};
use super::{safe_url, UrlUse};
use crate::client::rating::{self, Thumb};
use crate::web::dom::{add, attr, button, el, img, text_el};
use crate::wire::{Body, Button, CardPayload, Entry, Trace, TraceKind};

impl Widget {
    /// Show one trace: a response extension's rendering or the built-in one, with the matching effect extensions
    /// run beside it. `replay` is true when it comes from a saved transcript (effects do not run again).
    pub(crate) fn show_trace(&self, trace: &Trace, replay: bool) {
        if let Some(i) = self.extensions.handle(trace, replay) {
            if let TraceKind::Text(_) = trace.kind {
                // Still the agent's next message: the ones after it keep their places.
                self.texts.set(self.texts.get() + 1);
            }
            let (row, body) = self.agent_row("ef-ext");
            if let Some(cleanup) = self.extensions.render(i, trace, &body) {
                bm(&self.cleanups).push(cleanup);
            }
            self.append(&row);
            self.scroll_to_end();
            return;
        }
        match &trace.kind {
            TraceKind::Text(t) => self.show_text(&t.message, None),
            TraceKind::Choice(c) => self.show_choices(&c.buttons),
            TraceKind::CardV2(c) => self.show_block(&self.card(c)),
            TraceKind::Carousel(c) => self.show_carousel(&c.layout, &c.cards),
            TraceKind::Visual(v) => {
                if let Some(src) = v.image.as_deref().and_then(|u| safe_url(u, UrlUse::Image)) {
                    let img = img(&self.doc, "ef-image", &src, "Image", false);
                    if let Some(d) = &v.dimensions {
                        attr(&img, "width", &d.width.to_string());
                        attr(&img, "height", &d.height.to_string());
                        attr(&img, "style", "height:auto");
                    }
                    self.show_block(&img);
                }
            }
            TraceKind::End { .. } => self.show_end(true),
            // no-reply timers live in the engine session (local mode); path, debug, flow, block and custom types
            // without an extension are not shown, as in the real widget.
            _ => {}
        }
        self.scroll_to_end();
    }

    /// Show a saved conversation: what the user said, what the agent showed, and the ratings in force.
    pub(crate) fn replay(&self, entries: &[Entry], user_id: &str) {
        let rated = rating::ratings(entries);
        let mut started = false;
        for e in entries {
            if e.author_id == user_id {
                if let Some(text) = crate::client::turns::user_text(e) {
                    self.user_said(&text);
                }
                continue;
            }
            match &e.body {
                Body::Message { text } => {
                    self.show_text(text, rating::rating_of(&rated, &e.id));
                }
                Body::Custom { content } => {
                    if let Ok(t) = Trace::from_value(content.clone()) {
                        self.show_trace(&t, true);
                    }
                }
                Body::SystemMessage { system_message_type, .. } => match system_message_type.as_str() {
                    "session_ended" => self.show_end(false),
                    "session_started" if started => self.divider("New conversation"),
                    "session_started" => started = true,
                    _ => {}
                },
                _ => {}
            }
        }
        self.scroll_to_end();
    }

    /// A user bubble. It answers whatever buttons were waiting, so those go away. The row, for
    /// [`Widget::set_pending`].
    pub(crate) fn user_said(&self, text: &str) -> Element {
        self.retire_choices();
        let row = el(&self.doc, "div", "ef-row ef-user");
        add(&row, &text_el(&self.doc, "div", "ef-bubble", text));
        self.append(&row);
        self.scroll_to_end();
        row
    }

    /// Mark a user bubble as on its way (remote mode), or no longer.
    pub(crate) fn set_pending(&self, row: &Element, pending: bool) {
        attr(row, "class", if pending { "ef-row ef-user ef-pending" } else { "ef-row ef-user" });
        if pending {
            attr(row, "title", "Sending…");
        } else {
            crate::web::by_name::remove_attribute(row, "title");
        }
    }

    /// An error in the chat: after `after` (the bubble of the turn that failed) or at the end, with a Retry
    /// button when the turn `resend` can be sent again.
    pub(crate) fn show_error(&self, message: &str, resend: Option<&str>, after: Option<&Element>) {
        let row = text_el(&self.doc, "div", "ef-error", message);
        attr(&row, "role", "alert");
        if let Some(id) = resend {
            let mut command = String::from("resend:");
            command.push_str(id);
            add(&row, &button(&self.doc, "", &command, "Retry"));
        }
        match after {
            Some(bubble) => {
                crate::web::by_name::after(bubble, &row);
            }
            None => self.append(&row),
        }
        self.scroll_to_end();
    }

    /// A line across the chat that tells the user something about the conversation itself.
    pub(crate) fn notice(&self, text: &str) {
        self.divider(text);
        self.scroll_to_end();
    }

    /// The request of a live choice button whose label equals the typed text (trimmed, any case).
    pub(crate) fn button_for_text(&self, text: &str) -> Option<Value> {
        let wanted = text.trim();
        for (label, request) in br(&self.live_choices).iter() {
            if label.trim().eq_ignore_ascii_case(wanted) {
                return Some(request.clone());
            }
        }
        None
    }

    /// Remove the choice buttons still waiting for an answer.
    pub(crate) fn retire_choices(&self) {
        bm(&self.live_choices).clear();
        self.remove_all(".ef-choices");
    }

    /// Remove the elements of the log that match `selector`.
    pub(super) fn remove_all(&self, selector: &str) {
        if let Ok(nodes) = self.log.query_selector_all(selector) {
            for i in 0..nodes.length() {
                // `querySelectorAll` finds elements only: the cast needs no check.
                if let Some(n) = nodes.get(i) {
                    crate::web::by_name::remove(&n);
                }
            }
        }
    }

    /// Append to the log, before the typing row (which stays last): `typing.before(node)` through
    /// [`call_method`](crate::web::convert::call_method), no `insertBefore` binding. Like [`add`], it cannot
    /// throw here (a new element into the log), so there is no error path.
    pub(super) fn append(&self, node: &Element) {
        crate::web::by_name::before(&self.typing, node);
    }

    /// A row with the agent's avatar and an empty body of the given class.
    fn agent_row(&self, class: &str) -> (Element, Element) {
        let row = el(&self.doc, "div", "ef-row ef-agent");
        add(&row, &super::avatar_el(&self.doc, self.avatar.as_deref(), &self.title));
        let body = el(&self.doc, "div", class);
        add(&row, &body);
        (row, body)
    }

    /// The agent's next message, with its rating buttons (`thumb`: the rating in force). Messages are counted
    /// from the start of the conversation: the buttons name the message by its place (`rate:up:N`).
    fn show_text(&self, markdown_text: &str, thumb: Option<Thumb>) {
        let index = self.texts.get();
        self.texts.set(index + 1);
        let (row, bubble) = self.agent_row("ef-bubble ef-md");
        markdown::render(&self.doc, &bubble, markdown_text);
        if self.feedback {
            let pressed = |t| if thumb == Some(t) { "true" } else { "false" };
            let (up, down) = (format!("rate:up:{index}"), format!("rate:down:{index}"));
            let mut b = Build {
                doc: &self.doc,
                vals: &[Some(&up), Some(&down), Some(pressed(Thumb::Up)), Some(pressed(Thumb::Down))],
                flags: 0,
                elements: &[],
                kept: Default::default(),
            };
            b.node(&chrome::RATE, &row);
            if let Some(group) = b.kept.into_iter().flatten().next() {
                bm(&self.rate_groups).push((index, group));
            }
        }
        self.append(&row);
    }

    /// Show `thumb` as the chosen rating of the agent's `index`-th message.
    pub(crate) fn show_rating(&self, index: usize, thumb: Thumb) {
        let groups = br(&self.rate_groups);
        let Some((_, group)) = groups.iter().find(|(i, _)| *i == index) else { return };
        let buttons = [(group.first_element_child(), Thumb::Up), (group.last_element_child(), Thumb::Down)];
        for (button, t) in buttons {
            if let Some(b) = button {
                attr(&b, "aria-pressed", if t == thumb { "true" } else { "false" });
            }
        }
    }

    /// A built block (a card, an image) in an agent row.
    fn show_block(&self, node: &Element) {
        let (row, body) = self.agent_row("ef-ext");
        add(&body, node);
        self.append(&row);
    }

    fn show_choices(&self, buttons: &[Button]) {
        self.retire_choices();
        if buttons.is_empty() {
            return;
        }
        let row = el(&self.doc, "div", "ef-row ef-choices");
        attr(&row, "role", "group");
        attr(&row, "aria-label", "Choices");
        for b in buttons {
            let command = self.register("act", b.request.clone());
            add(&row, &button(&self.doc, "ef-chip", &command, &b.name));
            bm(&self.live_choices).push((b.name.clone(), b.request.clone()));
        }
        self.append(&row);
    }

    fn card(&self, c: &CardPayload) -> Element {
        let card = el(&self.doc, "div", "ef-card");
        attr(&card, "role", "group");
        if !c.title.is_empty() {
            attr(&card, "aria-label", &c.title);
        }
        if let Some(src) = c.image_url.as_deref().and_then(|u| safe_url(u, UrlUse::Image)) {
            add(&card, &img(&self.doc, "", &src, &c.title, true));
        }
        if !c.title.is_empty() || !c.description.text.is_empty() {
            let body = el(&self.doc, "div", "ef-card-body");
            if !c.title.is_empty() {
                add(&body, &text_el(&self.doc, "h4", "ef-card-title", &c.title));
            }
            if !c.description.text.is_empty() {
                let d = el(&self.doc, "div", "ef-md");
                markdown::render(&self.doc, &d, &c.description.text);
                add(&body, &d);
            }
            add(&card, &body);
        }
        for b in &c.buttons {
            let command = self.register("act", b.request.clone());
            add(&card, &button(&self.doc, "ef-card-btn", &command, &b.name));
        }
        card
    }

    fn show_carousel(&self, layout: &str, cards: &[CardPayload]) {
        if cards.is_empty() {
            return;
        }
        let (row, body) = self.agent_row("ef-carousel-wrap");
        let list = layout.eq_ignore_ascii_case("list");
        let strip = el(&self.doc, "div", if list { "ef-list" } else { "ef-carousel" });
        attr(&strip, "role", "group");
        attr(&strip, "aria-roledescription", if list { "list" } else { "carousel" });
        for c in cards {
            add(&strip, &self.card(c));
        }
        add(&body, &strip);
        if !list && cards.len() > 1 {
            for nav in &super::chrome::NAV {
                build(&self.doc, nav, &body);
            }
        }
        self.append(&row);
    }

    /// The end of a conversation: a divider and, live, the "Start new chat" bar.
    fn show_end(&self, live: bool) {
        self.retire_choices();
        self.divider("Chat ended");
        if live {
            self.set_endbar(EndBar::Restart);
        }
    }

    fn divider(&self, text: &str) {
        self.append(&text_el(&self.doc, "div", "ef-divider", text));
    }

    /// Keep a button's request: the `data-ef` command that carries its index (`verb:N`).
    fn register(&self, verb: &str, request: Value) -> String {
        let mut a = bm(&self.actions);
        a.push(request);
        format!("{verb}:{}", a.len() - 1)
    }
}
