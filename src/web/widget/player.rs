//! Live traces are shown one after another, each after its typing delay (the text trace's `delay`, in ms),
//! with the typing indicator up meanwhile. One gloo timer at a time; when the user acts, what is still waiting
//! is shown at once ([`Widget::flush`]) so their message lands after everything the agent already said.

use std::cell::{Cell, RefCell};

use gloo_timers::callback::Timeout;

use super::Widget;
use crate::engine::{Trace, TraceKind};

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
        self.timer.borrow_mut().take();
        self.queue.borrow_mut().clear();
        self.typing.set(false);
    }

    pub fn is_idle(&self) -> bool {
        self.queue.borrow().is_empty() && self.timer.borrow().is_none()
    }
}

impl Widget {
    /// Queue a turn's traces for display.
    pub(crate) fn play(&self, traces: Vec<Trace>) {
        self.player.queue.borrow_mut().extend(traces);
        self.pump();
    }

    /// Show everything still waiting, now.
    pub(crate) fn flush(&self) {
        self.player.timer.borrow_mut().take();
        loop {
            let next = super::super::pop_front(&mut self.player.queue.borrow_mut());
            let Some(trace) = next else { break };
            self.show_trace(&trace, false);
        }
        self.player.typing.set(false);
        self.update_typing();
    }

    fn pump(&self) {
        loop {
            if self.player.timer.borrow().is_some() {
                return;
            }
            let delay = match self.player.queue.borrow().first() {
                None => break,
                // This trace's delay has just run.
                Some(_) if self.player.typing.get() => 0,
                Some(t) => delay_of(t),
            };
            if delay > 0 {
                self.player.typing.set(true);
                self.update_typing();
                let me = self.me.clone();
                let timeout = Timeout::new(delay.min(MAX_DELAY_MS) as u32, move || {
                    if let Some(w) = me.upgrade() {
                        w.player.timer.borrow_mut().take();
                        w.pump();
                    }
                });
                *self.player.timer.borrow_mut() = Some(timeout);
                return;
            }
            self.player.typing.set(false);
            let next = super::super::pop_front(&mut self.player.queue.borrow_mut());
            if let Some(trace) = next {
                self.show_trace(&trace, false);
            }
        }
        self.player.typing.set(false);
        self.update_typing();
    }

    pub(super) fn update_typing(&self) {
        let on = self.player.typing.get() || self.busy.get();
        super::dom::set_hidden(&self.typing, !on);
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
