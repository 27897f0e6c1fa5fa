//! Live traces are shown one after another, each after its typing delay (the text trace's `delay`, in ms),
//! with the typing indicator up meanwhile. One gloo timer at a time; when the user acts, what is still waiting
//! is shown at once ([`Widget::flush`]) so their message lands after everything the agent already said.

use crate::web::{bm, br, timeout};
use std::cell::{Cell, RefCell};

use gloo_timers::callback::Timeout;

use super::Widget;
use crate::wire::{Trace, TraceKind};

#[derive(Default)]
pub struct Player {
    /// Traces still to show, in order (a handful at a time: a Vec, not a VecDeque, for less code).
    queue: RefCell<Vec<Trace>>,
    /// The running typing delay of the first queued trace.
    timer: RefCell<Option<Timeout>>,
    typing: Cell<bool>,
}

/// The longest typing delay honoured, so a broken agent cannot stall the chat.
const MAX_DELAY_MS: u64 = 10_000;

impl Player {
    pub fn clear(&self) {
        bm(&self.timer).take();
        bm(&self.queue).clear();
        self.typing.set(false);
    }

    pub fn is_idle(&self) -> bool {
        br(&self.queue).is_empty() && br(&self.timer).is_none()
    }
}

impl Widget {
    /// Queue a turn's traces for display.
    pub(crate) fn play(&self, mut traces: Vec<Trace>) {
        bm(&self.player.queue).append(&mut traces);
        self.pump();
    }

    /// Show everything still waiting, now.
    pub(crate) fn flush(&self) {
        bm(&self.player.timer).take();
        loop {
            let next = super::super::pop_front(&mut bm(&self.player.queue));
            let Some(trace) = next else { break };
            self.show_trace(&trace, false);
        }
        self.player.typing.set(false);
        self.update_typing();
    }

    fn pump(&self) {
        loop {
            if br(&self.player.timer).is_some() {
                return;
            }
            let delay = match br(&self.player.queue).first() {
                None => break,
                // This trace's delay has just run.
                Some(_) if self.player.typing.get() => 0,
                Some(t) => delay_of(t),
            };
            if delay > 0 {
                self.player.typing.set(true);
                self.update_typing();
                let me = self.me.clone();
                let timeout = timeout(
                    delay.min(MAX_DELAY_MS) as u32,
                    Box::new(move || {
                        if let Some(w) = me.upgrade() {
                            bm(&w.player.timer).take();
                            w.pump();
                        }
                    }),
                );
                *bm(&self.player.timer) = Some(timeout);
                return;
            }
            self.player.typing.set(false);
            let next = super::super::pop_front(&mut bm(&self.player.queue));
            if let Some(trace) = next {
                self.show_trace(&trace, false);
            }
        }
        self.player.typing.set(false);
        self.update_typing();
    }

    pub(super) fn update_typing(&self) {
        let on = self.player.typing.get() || self.busy.get();
        crate::web::dom::set_hidden(&self.typing, !on);
        if on {
            self.scroll_to_end();
        }
    }
}

/// How long the typing indicator shows before this trace.
fn delay_of(t: &Trace) -> u64 {
    match &t.kind {
        TraceKind::Text(p) => p.delay,
        _ => 0,
    }
}
