//! A server-sent event stream cut into events, as the HTML standard's `EventSource` does
//! (html.spec.whatwg.org, "Interpreting an event stream"), from the raw bytes of a `fetch` body.
//!
//! The widget reads the stream with `fetch` rather than `EventSource` so it sees every byte: heartbeat
//! comments keep its dead-connection watchdog quiet (an `EventSource` hides comments), a 404 or a body that is not
//! `text/event-stream` tells it the runtime has no stream, and reconnection follows its own backoff. Text comes in
//! chunks cut anywhere (the browser decodes the UTF-8), even between `\r` and `\n`; lines are split on their
//! ASCII ends. Every byte is looked at once, and a line or event longer than the limit is an error rather than
//! unbounded memory.

/// One dispatched event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// The last event id seen on the stream (the `id:` of this event, or of an earlier one).
    pub id: String,
    /// The `event:` type; `message` when the event named none.
    pub kind: String,
    /// The `data:` lines, joined with `\n`.
    pub data: String,
}

/// A line or an event over the parser's limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TooLarge;

pub struct Parser {
    /// The bytes of the line being read.
    line: Vec<u8>,
    /// The last chunk ended with `\r`: a `\n` starting the next one belongs to that line end.
    after_cr: bool,
    /// No line read yet (a byte order mark may start the stream).
    at_start: bool,
    data: String,
    kind: String,
    last_id: String,
    /// The reconnection time the server asked for with `retry:`.
    pub retry_ms: Option<u64>,
    max_bytes: usize,
}

impl Parser {
    /// A parser that refuses lines and events over `max_bytes`.
    pub fn new(max_bytes: usize) -> Parser {
        Parser {
            line: Vec::new(),
            after_cr: false,
            at_start: true,
            data: String::new(),
            kind: String::new(),
            last_id: String::new(),
            retry_ms: None,
            max_bytes,
        }
    }

    /// Read the next text of the stream; events it completes are pushed to `out`, in order.
    pub fn feed(&mut self, chunk: &str, out: &mut Vec<Event>) -> Result<(), TooLarge> {
        let mut rest = chunk.as_bytes();
        if std::mem::take(&mut self.after_cr) {
            rest = rest.strip_prefix(b"\n").unwrap_or(rest);
        }
        while let Some(end) = rest.iter().position(|&b| b == b'\n' || b == b'\r') {
            let (head, tail) = rest.split_at(end);
            self.line.extend_from_slice(head);
            rest = match tail {
                [b'\r', b'\n', more @ ..] => more,
                [b'\r'] => {
                    self.after_cr = true;
                    &[]
                }
                [_, more @ ..] => more,
                [] => &[],
            };
            let line = std::mem::take(&mut self.line);
            self.line_done(&line, out)?;
        }
        self.line.extend_from_slice(rest);
        if self.line.len() > self.max_bytes {
            return Err(TooLarge);
        }
        Ok(())
    }

    fn line_done(&mut self, line: &[u8], out: &mut Vec<Event>) -> Result<(), TooLarge> {
        let mut line = line;
        if std::mem::take(&mut self.at_start) {
            line = line.strip_prefix("\u{feff}".as_bytes()).unwrap_or(line);
        }
        if line.len() > self.max_bytes {
            return Err(TooLarge);
        }
        if line.is_empty() {
            self.dispatch(out);
            return Ok(());
        }
        // Text cut at ASCII line ends is still UTF-8: the fallback is never taken.
        let line = std::str::from_utf8(line).unwrap_or_else(|_| {
            debug_assert!(false, "a line of UTF-8 text cut at its ASCII end is UTF-8");
            ""
        });
        if line.starts_with(':') {
            // A comment: a heartbeat.
            return Ok(());
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line, ""),
        };
        match field {
            "event" => self.kind = value.to_string(),
            "data" => {
                self.data.push_str(value);
                self.data.push('\n');
                if self.data.len() > self.max_bytes {
                    return Err(TooLarge);
                }
            }
            "id" if !value.contains('\0') => self.last_id = value.to_string(),
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                self.retry_ms = value.parse().ok();
            }
            _ => {}
        }
        Ok(())
    }

    /// A blank line ends an event; one without data is not dispatched.
    fn dispatch(&mut self, out: &mut Vec<Event>) {
        let kind = std::mem::take(&mut self.kind);
        if self.data.is_empty() {
            return;
        }
        let mut data = std::mem::take(&mut self.data);
        data.pop();
        let kind = if kind.is_empty() { "message".to_string() } else { kind };
        out.push(Event { id: self.last_id.clone(), kind, data });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(chunks: &[&str]) -> Vec<Event> {
        let mut p = Parser::new(1 << 20);
        let mut out = Vec::new();
        for c in chunks {
            p.feed(c, &mut out).expect("under the limit");
        }
        out
    }

    fn ev(id: &str, kind: &str, data: &str) -> Event {
        Event { id: id.into(), kind: kind.into(), data: data.into() }
    }

    const STREAM: &str = "retry: 2000\n: ping\n\nid: 1\nevent: trace\ndata: {\"trace\":[]}\n\n\
                          id: 2\nevent: trace\ndata: {\"trace\":\ndata: [1]}\n\n";

    #[test]
    fn items_of_the_contract() {
        let got = events(&[STREAM]);
        assert_eq!(got, [ev("1", "trace", "{\"trace\":[]}"), ev("2", "trace", "{\"trace\":\n[1]}")]);
    }

    #[test]
    fn chunks_cut_anywhere_give_the_same_events() {
        let text = "id: 7\nevent: trace\ndata: é→😀\r\n\r\n: ping\r\rid: 8\rdata: x\r\r";
        let whole = events(&[text]);
        assert_eq!(whole, [ev("7", "trace", "é→😀"), ev("8", "message", "x")]);
        for (cut, _) in text.char_indices() {
            assert_eq!(events(&[&text[..cut], &text[cut..]]), whole, "cut at {cut}");
        }
        let singles: Vec<String> = text.chars().map(String::from).collect();
        let singles: Vec<&str> = singles.iter().map(String::as_str).collect();
        assert_eq!(events(&singles), whole, "one character at a time");
    }

    #[test]
    fn retry_comments_and_unknown_fields() {
        let mut p = Parser::new(1 << 20);
        let mut out = Vec::new();
        p.feed("\u{feff}retry: 1500\nretry: soon\nfoo: bar\ndata\n\n", &mut out).unwrap();
        assert_eq!(p.retry_ms, Some(1500));
        assert_eq!(out, [ev("", "message", "")], "a `data` line without a colon is an empty data line");
        out.clear();
        p.feed("event: trace\n\nid: 3\n\n: only a comment\n\n", &mut out).unwrap();
        assert!(out.is_empty(), "events without data are not dispatched");
        p.feed("data:no space\n\n", &mut out).unwrap();
        assert_eq!(out, [ev("3", "message", "no space")], "the id carries over; the type does not");
    }

    #[test]
    fn an_unfinished_event_is_not_dispatched() {
        assert_eq!(events(&["id: 1\ndata: half"]), []);
        assert_eq!(events(&["id: 1\ndata: whole\n"]), [], "no blank line yet");
    }

    #[test]
    fn over_the_limit_is_an_error_not_memory() {
        let mut p = Parser::new(16);
        let mut out = Vec::new();
        assert_eq!(p.feed(&"a".repeat(17), &mut out), Err(TooLarge), "a line without its end");
        let mut p = Parser::new(16);
        assert_eq!(p.feed("data: 0123456789\ndata: 0123456789\n", &mut out), Err(TooLarge), "an event");
        let mut p = Parser::new(16);
        assert_eq!(p.feed("data: 0123456789\n\n", &mut out), Ok(()));
    }

    #[test]
    fn a_long_stream_costs_linear_time() {
        // 200,000 one-byte lines and a megabyte line: both finish at once (a quadratic scan would not).
        let mut p = Parser::new(4 << 20);
        let mut out = Vec::new();
        p.feed(&"data: x\n".repeat(200_000), &mut out).unwrap();
        p.feed(&"y".repeat(1 << 20), &mut out).unwrap();
        p.feed("\n\n", &mut out).unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].data.len(), 200_000 * 2 - 1);
    }
}
