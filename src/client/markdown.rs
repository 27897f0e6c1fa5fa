//! Agent markdown to a flat list of elements, in time linear in the input. The widget builds DOM nodes from the
//! list one by one (`src/web/widget/markdown.rs`, never `innerHTML`): text only ever becomes text nodes, so raw
//! HTML in a message (`<script>`, `<img onerror>`) shows as the literal text it is.
//!
//! Why not pulldown-cmark: measured in the widget it cost 69 KB of gzip (entity tables, the full CommonMark block
//! machinery), more than half of the page-weight budget (SPEC §9.1). Chat messages use a small, stable subset:
//! paragraphs (a single newline is a line break, as chat users expect), `#` headings, `-`/`*`/`+`/`1.` lists,
//! `>` quotes, fenced code, `---` rules; inline `**strong**`, `*em*`/`_em_`, `~~del~~`, `` `code` ``,
//! `[links](url "title")`, `![images](url)`, `<autolinks>`, bare `https://` URLs, backslash escapes and the
//! common entities. Links keep only http, https and mailto, images only http, https and `data:image`
//! ([`safe_url`]); a link to anything else keeps its label as plain text.
//!
//! A message is a list of items in document order: a leaf (text, a break, code, an image, a rule), the start of
//! an element, or the end of the innermost one. The inline scan writes that list as it reads, with one stack of
//! open containers (CommonMark's delimiter stack in the form cmark uses for brackets): a run of `*`, `_` or `~~`
//! that may open (CommonMark's flanking rules) opens a frame, its characters written as placeholders; one that may
//! close closes the nearest open frame of its character (never past a `[`: a link's label is closed first),
//! turning the frame's placeholders nearest its content into the element's start, while the frames above it stay
//! text; `]` turns the innermost bracket into a link's start, or leaves it as text. A frame's content is always
//! the end of the list, so nothing is ever moved: each frame is opened and closed once, and the scan is linear.
//! (Unlike CommonMark, a run that can both open and close, `a**b**c`, closes what it can: the "rule of three" is
//! left out.) Code spans find their closing run through a table built in one pass, and every look-ahead (a link's
//! destination and title, an autolink) stops at a character that ends it. Nothing recurses on the nesting of
//! inline elements; [`Markdown::walk`] leaves out the elements of emphasis nested deeper than [`MAX_EMPHASIS`].

use super::url::{safe_url, starts_ci, UrlUse};
use crate::util::slice;

/// Emphasis (strong, em, del) nested deeper than this is walked without its own element: its text stays.
pub const MAX_EMPHASIS: usize = 8;
/// Quotes nested deeper than this keep their text as it is.
const MAX_QUOTE: usize = 8;
/// The deepest nesting of parentheses in a link destination (as cmark bounds it): a failed look-ahead stays short.
const MAX_PARENS: usize = 32;

/// A parsed message.
#[derive(Debug, Clone, PartialEq)]
pub struct Markdown {
    items: Vec<Item>,
}

/// One item of a message, in document order.
#[derive(Debug, Clone, PartialEq)]
enum Item {
    Leaf(Kind),
    /// An element starts; it holds the items up to its matching `End`.
    Start(Kind),
    End,
    /// While the inline scan runs: one character of an opener (`*`, `_`, `~`, `[`, `!`) that may still become an
    /// element's start. Those left at the end are text.
    Opener(u8),
}

/// What an element or a leaf is. The widget maps each to one element (or a text node); [`Kind::tag`] names it.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Paragraph,
    /// `#` to `######`: 1 to 6.
    Heading(u8),
    Quote,
    /// `start` is `Some` for an ordered list.
    List {
        start: Option<u32>,
    },
    Item,
    CodeBlock(String),
    Rule,
    Text(String),
    /// A newline inside a paragraph.
    Break,
    Code(String),
    Strong,
    Em,
    Del,
    /// A link whose URL passed [`safe_url`].
    Link {
        href: String,
        title: Option<String>,
    },
    /// A link whose URL did not: its label alone.
    Span,
    /// An image whose URL passed [`safe_url`] (one that did not is its alt text).
    Image {
        src: String,
        alt: String,
        title: Option<String>,
    },
}

/// One step of [`Markdown::walk`]: an element opens or closes, or a leaf (text, break, code, rule, image).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Event<'a> {
    Enter(&'a Kind),
    Leave(&'a Kind),
    Leaf(&'a Kind),
}

impl Kind {
    /// The element this node becomes; `None` for text. Headings start at `h3`: the widget's own title is `h2`.
    pub fn tag(&self) -> Option<&'static str> {
        Some(match self {
            Kind::Paragraph => "p",
            Kind::Heading(4) => "h4",
            Kind::Heading(5) => "h5",
            Kind::Heading(6) => "h6",
            Kind::Heading(_) => "h3",
            Kind::Quote => "blockquote",
            Kind::List { start: Some(_) } => "ol",
            Kind::List { start: None } => "ul",
            Kind::Item => "li",
            Kind::CodeBlock(_) => "pre",
            Kind::Rule => "hr",
            Kind::Text(_) => return None,
            Kind::Break => "br",
            Kind::Code(_) => "code",
            Kind::Strong => "strong",
            Kind::Em => "em",
            Kind::Del => "del",
            Kind::Link { .. } => "a",
            Kind::Span => "span",
            Kind::Image { .. } => "img",
        })
    }

    fn is_emphasis(&self) -> bool {
        matches!(self, Kind::Strong | Kind::Em | Kind::Del)
    }
}

/// Parse a message.
pub fn parse(src: &str) -> Markdown {
    // Lines end at `\n` or `\r\n`; a `\r` not before `\n` stays.
    let mut lines = Vec::new();
    let mut rest = src;
    while let Some((line, tail)) = rest.split_once('\n') {
        lines.push(line.strip_suffix('\r').unwrap_or(line));
        rest = tail;
    }
    lines.push(rest.strip_suffix('\r').unwrap_or(rest));
    let mut items = Vec::new();
    blocks(&mut items, &lines, 0);
    // Openers left are text; adjacent text is one leaf, and empty text none.
    let mut out: Vec<Item> = Vec::with_capacity(items.len());
    for item in items {
        let item = match item {
            Item::Opener(c) => Item::Leaf(Kind::Text(char::from(c).to_string())),
            item => item,
        };
        if let Item::Leaf(Kind::Text(t)) = &item {
            if let Some(Item::Leaf(Kind::Text(last))) = out.last_mut() {
                last.push_str(t);
                continue;
            }
            if t.is_empty() {
                continue;
            }
        }
        out.push(item);
    }
    Markdown { items: out }
}

impl Markdown {
    /// Visit the elements and leaves in document order. Emphasis nested deeper than [`MAX_EMPHASIS`] gives no
    /// events of its own (what it holds is visited in its place).
    pub fn walk(&self, mut visit: impl FnMut(Event<'_>)) {
        // The open elements, innermost last, and how many of them are emphasis.
        let mut open = Vec::new();
        let mut emphasis = 0;
        for item in &self.items {
            match item {
                Item::Start(k) => {
                    if !k.is_emphasis() || emphasis < MAX_EMPHASIS {
                        visit(Event::Enter(k));
                    }
                    emphasis += usize::from(k.is_emphasis());
                    open.push(k);
                }
                Item::End => {
                    let Some(k) = open.pop() else { continue };
                    emphasis -= usize::from(k.is_emphasis());
                    if !k.is_emphasis() || emphasis < MAX_EMPHASIS {
                        visit(Event::Leave(k));
                    }
                }
                Item::Leaf(k) => visit(Event::Leaf(k)),
                Item::Opener(_) => {}
            }
        }
    }

    /// The tree as HTML, every text and attribute escaped, exactly as the widget's DOM serialises (`innerHTML`).
    /// For tests and tools: the widget itself builds nodes, never markup.
    pub fn to_html(&self) -> String {
        let mut out = String::new();
        self.walk(|ev| match ev {
            Event::Leaf(Kind::Text(t)) => escape(&mut out, t, false),
            Event::Enter(k) | Event::Leaf(k) => {
                out.push('<');
                out.push_str(k.tag().unwrap_or("span"));
                attributes(k, |name, value| {
                    out.push(' ');
                    out.push_str(name);
                    out.push_str("=\"");
                    escape(&mut out, value, true);
                    out.push('"');
                });
                out.push('>');
                match k {
                    Kind::Code(t) => {
                        escape(&mut out, t, false);
                        out.push_str("</code>");
                    }
                    Kind::CodeBlock(t) => {
                        out.push_str("<code>");
                        escape(&mut out, t, false);
                        out.push_str("</code></pre>");
                    }
                    _ => {}
                }
            }
            Event::Leave(k) => {
                out.push_str("</");
                out.push_str(k.tag().unwrap_or("span"));
                out.push('>');
            }
        });
        out
    }
}

/// The attributes of an element, in the order the widget sets them: `set(name, value)` for each.
pub fn attributes(k: &Kind, mut set: impl FnMut(&'static str, &str)) {
    match k {
        Kind::List { start: Some(start) } if *start != 1 => set("start", &start.to_string()),
        Kind::Link { href, title } => {
            set("href", href);
            set("target", "_blank");
            set("rel", "noopener noreferrer");
            if let Some(t) = title {
                set("title", t);
            }
        }
        Kind::Image { src, alt, title } => {
            set("class", "ef-md-img");
            set("src", src);
            set("alt", alt);
            set("loading", "lazy");
            if let Some(t) = title {
                set("title", t);
            }
        }
        _ => {}
    }
}

/// `s` escaped as the DOM serialises text (`&`, `<`, `>`, no-break space) or attribute values (`&`, `"`, `<`,
/// `>`, no-break space).
fn escape(out: &mut String, s: &str, attribute: bool) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\u{a0}' => out.push_str("&nbsp;"),
            c => out.push(c),
        }
    }
}

/// The blocks of `lines`, appended to `items`.
fn blocks(items: &mut Vec<Item>, lines: &[&str], depth: usize) {
    let mut i = 0;
    while let Some(&line) = lines.get(i) {
        match classify(line) {
            Line::Blank => i += 1,
            Line::Fence => {
                let marker = if line.trim_start().starts_with('~') { "~~~" } else { "```" };
                let after = lines.get(i + 1..).unwrap_or_default();
                let len = after.iter().position(|l| l.trim_start().starts_with(marker)).unwrap_or(after.len());
                items.push(Item::Leaf(Kind::CodeBlock(after.get(..len).unwrap_or_default().join("\n"))));
                // Past the closing fence (or the end).
                i += len + 2;
            }
            Line::Heading(level, content) => {
                inline(items, Kind::Heading(level), content);
                i += 1;
            }
            Line::Quote(_) => {
                let mut inner = Vec::new();
                while let Some(Line::Quote(rest)) = lines.get(i).map(|l| classify(l)) {
                    inner.push(rest);
                    i += 1;
                }
                items.push(Item::Start(Kind::Quote));
                if depth < MAX_QUOTE {
                    blocks(items, &inner, depth + 1);
                } else {
                    items.push(Item::Leaf(Kind::Text(inner.join("\n"))));
                }
                items.push(Item::End);
            }
            Line::Item { ordered, .. } => {
                items.push(Item::Start(Kind::List { start: ordered }));
                while let Some(Line::Item { ordered: o, rest }) = lines.get(i).map(|l| classify(l)) {
                    if o.is_some() != ordered.is_some() {
                        break;
                    }
                    let mut item = rest.to_string();
                    i += 1;
                    // Indented lines continue the item.
                    while let Some(next) = lines.get(i).filter(|l| l.starts_with("  ") && !l.trim().is_empty()) {
                        item.push('\n');
                        item.push_str(next.trim_start());
                        i += 1;
                    }
                    inline(items, Kind::Item, &item);
                }
                items.push(Item::End);
            }
            Line::Rule => {
                items.push(Item::Leaf(Kind::Rule));
                i += 1;
            }
            Line::Text => {
                let start = i;
                while lines.get(i).is_some_and(|l| i == start || matches!(classify(l), Line::Text)) {
                    i += 1;
                }
                inline(items, Kind::Paragraph, &lines.get(start..i).unwrap_or_default().join("\n"));
            }
        }
    }
}

/// What a line starts, once its indentation (up to three spaces) is skipped.
enum Line<'a> {
    Blank,
    Fence,
    Heading(u8, &'a str),
    Quote(&'a str),
    Item { ordered: Option<u32>, rest: &'a str },
    Rule,
    Text,
}

static BULLETS: &[&str] = &["- ", "* ", "+ "];

fn classify(line: &str) -> Line<'_> {
    let t = line.trim_start_matches(' ');
    if t.trim().is_empty() {
        return Line::Blank;
    }
    if line.len() - t.len() > 3 {
        return Line::Text;
    }
    if t.starts_with("```") || t.starts_with("~~~") {
        return Line::Fence;
    }
    let hashes = t.bytes().take_while(|&b| b == b'#').count();
    if (1..=6).contains(&hashes) && (t.len() == hashes || slice(t, hashes, t.len()).starts_with(' ')) {
        return Line::Heading(hashes as u8, slice(t, hashes, t.len()).trim().trim_end_matches('#').trim_end());
    }
    if let Some(rest) = t.strip_prefix('>') {
        return Line::Quote(rest.strip_prefix(' ').unwrap_or(rest));
    }
    // A rule: three or more of one of `-*_`, spaces allowed between them.
    if let Some(first @ (b'-' | b'*' | b'_')) = t.bytes().next() {
        if t.bytes().all(|b| b == first || b == b' ') && t.bytes().filter(|&b| b == first).count() >= 3 {
            return Line::Rule;
        }
    }
    for bullet in BULLETS {
        if let Some(rest) = t.strip_prefix(bullet) {
            return Line::Item { ordered: None, rest };
        }
    }
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    if (1..=9).contains(&digits) {
        let after = slice(t, digits, t.len());
        if after.starts_with(". ") || after.starts_with(") ") {
            return Line::Item { ordered: slice(t, 0, digits).parse().ok(), rest: slice(after, 2, after.len()) };
        }
    }
    Line::Text
}

/// The element `kind` holding the inline markup of `src`, appended to `items`.
fn inline(items: &mut Vec<Item>, kind: Kind, src: &str) {
    items.push(Item::Start(kind));
    // Every backtick run, and for each the next one of the same length: a code span's closer in O(1).
    let mut ticks = Vec::new();
    let b = src.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let len = b[i..].iter().take_while(|&&c| c == b'`').count();
        if len > 0 {
            ticks.push((i, len));
        }
        i += len.max(1);
    }
    let longest = ticks.iter().map(|t| t.1).max().unwrap_or(0);
    let mut last = vec![usize::MAX; longest + 1];
    let mut next_tick = vec![usize::MAX; ticks.len()];
    for (r, &(_, len)) in ticks.iter().enumerate().rev() {
        next_tick[r] = last[len];
        last[len] = r;
    }
    let mut scan = Inline {
        items,
        src,
        frames: Vec::new(),
        open: [0; 3],
        brackets: 0,
        links_off_below: 0,
        images_off_below: 0,
        ticks,
        next_tick,
        tick_cursor: 0,
    };
    scan.scan();
    scan.items.push(Item::End);
}

/// An open container of the inline scan: an emphasis opener waiting for its closer, or a `[` or `![` waiting for
/// its `]`. Its content is every item after its opener's.
struct Frame {
    /// `*`, `_` or `~` for emphasis, `[` for a link, `!` for an image.
    opener: u8,
    /// Emphasis: the opening run's characters not yet used (the first `count` of its placeholders).
    count: usize,
    /// The index of its first placeholder in the list.
    at: usize,
    /// A bracket: the open emphasis counts below it, in force again once it closes.
    saved: [usize; 3],
}

/// The inline scan of one block's text.
struct Inline<'m, 's> {
    items: &'m mut Vec<Item>,
    src: &'s str,
    frames: Vec<Frame>,
    /// Open emphasis frames per character (`*`, `_`, `~`) above the innermost bracket: a closer searches only
    /// when one is open, and never past a bracket (a link's label is closed first).
    open: [usize; 3],
    /// How many bracket frames are open (no search for one when there is none).
    brackets: usize,
    /// Link frames below this depth are inactive (a link formed above them: no links in links).
    links_off_below: usize,
    /// Image frames below this depth are inactive (no image in an image's text).
    images_off_below: usize,
    /// Backtick runs `(start, length)` in order, and for each the index of the next run of the same length.
    ticks: Vec<(usize, usize)>,
    next_tick: Vec<usize>,
    /// The first backtick run not yet behind the scan.
    tick_cursor: usize,
}

/// The index of an emphasis character in `Inline::open`.
fn class(ch: u8) -> usize {
    match ch {
        b'*' => 0,
        b'_' => 1,
        _ => 2,
    }
}

impl Inline<'_, '_> {
    fn scan(&mut self) {
        let src = self.src;
        let b = src.as_bytes();
        let mut i = 0;
        while let Some(&c) = b.get(i) {
            i = match c {
                b'\\' => match b.get(i + 1) {
                    Some(&n) if n.is_ascii_punctuation() => self.plain(i + 1, i + 2),
                    _ => self.plain(i, i + 1),
                },
                b'\n' => {
                    self.items.push(Item::Leaf(Kind::Break));
                    i + 1
                }
                b'&' => match entity(slice(src, i, src.len())) {
                    Some((decoded, len)) => {
                        self.text(decoded.encode_utf8(&mut [0; 4]));
                        i + len
                    }
                    None => self.plain(i, i + 1),
                },
                b'`' => self.code_span(i),
                b'*' | b'_' | b'~' => self.delimiter_run(i),
                b'[' => self.bracket(i, b'['),
                b'!' if b.get(i + 1) == Some(&b'[') => self.bracket(i, b'!'),
                b']' => self.close_bracket(i),
                b'<' => self.autolink(i),
                b'h' | b'H' => self.bare_url(i),
                _ => {
                    // A run of ordinary characters at once (every special byte is ASCII: a char boundary).
                    let end = b[i..].iter().position(|&c| SPECIAL.contains(&c)).map_or(b.len(), |n| i + n.max(1));
                    self.plain(i, end)
                }
            };
        }
        while !self.frames.is_empty() {
            self.pop();
        }
    }

    /// Append text: to the text just before, if any.
    fn text(&mut self, s: &str) {
        match self.items.last_mut() {
            Some(Item::Leaf(Kind::Text(t))) => t.push_str(s),
            _ => self.items.push(Item::Leaf(Kind::Text(s.to_string()))),
        }
    }

    /// `src[start..end]` as plain text; returns `end`.
    fn plain(&mut self, start: usize, end: usize) -> usize {
        self.text(slice(self.src, start, end));
        end
    }

    /// The character before byte `i` (a space at the start).
    fn before(&self, i: usize) -> char {
        slice(self.src, 0, i).chars().next_back().unwrap_or(' ')
    }

    /// Take the innermost frame off the stack: its placeholders not used stay, as text. The depth limits of
    /// inactive brackets are kept in step.
    fn pop(&mut self) -> Option<Frame> {
        let f = self.frames.pop()?;
        let depth = self.frames.len();
        self.links_off_below = self.links_off_below.min(depth);
        self.images_off_below = self.images_off_below.min(depth);
        match f.opener {
            b'[' | b'!' => {
                self.open = f.saved;
                self.brackets -= 1;
            }
            ch => self.open[class(ch)] -= 1,
        }
        Some(f)
    }

    fn code_span(&mut self, i: usize) -> usize {
        while self.ticks.get(self.tick_cursor).is_some_and(|t| t.0 < i) {
            self.tick_cursor += 1;
        }
        let run = self.tick_cursor;
        let Some(&(start, len)) = self.ticks.get(run).filter(|t| t.0 == i) else {
            // The rest of a run whose first backtick was escaped: literal.
            let len = self.src.as_bytes()[i..].iter().take_while(|&&c| c == b'`').count();
            return self.plain(i, i + len);
        };
        let Some(&(close, _)) = self.next_tick.get(run).and_then(|&r| self.ticks.get(r)) else {
            return self.plain(i, i + len);
        };
        // Line ends become spaces; one space each side is stripped when both are there (CommonMark).
        let mut inner = slice(self.src, start + len, close);
        let b = inner.as_bytes();
        if b.len() >= 2 && is_space(b[0]) && is_space(b[b.len() - 1]) && !b.iter().all(|&c| is_space(c)) {
            inner = slice(inner, 1, inner.len() - 1);
        }
        self.items.push(Item::Leaf(Kind::Code(inner.replace('\n', " "))));
        close + len
    }

    /// A run of `*`, `_` or `~~`: it closes the nearest open frames of its character it can, then opens a frame
    /// with what is left, or is text.
    fn delimiter_run(&mut self, i: usize) -> usize {
        let b = self.src.as_bytes();
        let ch = b[i];
        let len = b[i..].iter().take_while(|&&c| c == ch).count();
        let end = i + len;
        // Strikethrough takes exactly two tildes; any other run of them is text.
        if ch == b'~' && len != 2 {
            return self.plain(i, end);
        }
        // CommonMark's flanking rules: an opener is followed by a non-space, a closer preceded by one, with
        // punctuation deciding the ambiguous cases; `_` does not open or close inside a word.
        let before = self.before(i);
        let after = slice(self.src, end, self.src.len()).chars().next().unwrap_or(' ');
        let (ws_before, ws_after) = (before.is_whitespace(), after.is_whitespace());
        let (p_before, p_after) = (is_punctuation(before), is_punctuation(after));
        let left = !ws_after && (!p_after || ws_before || p_before);
        let right = !ws_before && (!p_before || ws_after || p_after);
        let (can_open, can_close) =
            if ch == b'_' { (left && (!right || p_before), right && (!left || p_after)) } else { (left, right) };
        let c = class(ch);
        let mut left_over = len;
        while can_close && left_over > 0 && self.open[c] > 0 {
            // The nearest frame of this character is above the innermost bracket: the frames above it are
            // openers without a closer.
            while self.frames.last().is_some_and(|f| f.opener != ch) {
                self.pop();
            }
            let Some(f) = self.frames.last_mut() else { break };
            let used = if ch == b'~' || (f.count >= 2 && left_over >= 2) { 2 } else { 1 };
            let kind = match (ch, used) {
                (b'~', _) => Kind::Del,
                (_, 2) => Kind::Strong,
                _ => Kind::Em,
            };
            // The placeholders nearest the content become the element's start (an empty text for a second one);
            // the outer ones stay for a later closer.
            f.count -= used;
            let at = f.at + f.count;
            let closed = f.count == 0;
            if let Some(p) = self.items.get_mut(at) {
                *p = Item::Start(kind);
            }
            if let Some(p) = self.items.get_mut(at + 1).filter(|_| used == 2) {
                *p = Item::Leaf(Kind::Text(String::new()));
            }
            self.items.push(Item::End);
            left_over -= used;
            if closed {
                self.pop();
            }
        }
        if left_over > 0 {
            if can_open {
                self.open[c] += 1;
                self.frames.push(Frame { opener: ch, count: left_over, at: self.items.len(), saved: [0; 3] });
                for _ in 0..left_over {
                    self.items.push(Item::Opener(ch));
                }
            } else {
                self.plain(end - left_over, end);
            }
        }
        end
    }

    fn bracket(&mut self, i: usize, opener: u8) -> usize {
        let saved = std::mem::take(&mut self.open);
        self.brackets += 1;
        self.frames.push(Frame { opener, count: 0, at: self.items.len(), saved });
        if opener == b'!' {
            self.items.push(Item::Opener(b'!'));
        }
        self.items.push(Item::Opener(b'['));
        i + if opener == b'!' { 2 } else { 1 }
    }

    fn close_bracket(&mut self, i: usize) -> usize {
        // The frames above the innermost bracket are given back below, so this search is paid for.
        let at =
            if self.brackets == 0 { None } else { self.frames.iter().rposition(|f| matches!(f.opener, b'[' | b'!')) };
        let Some(at) = at else { return self.plain(i, i + 1) };
        // Emphasis opened inside the label and not closed there is text.
        while self.frames.len() > at + 1 {
            self.pop();
        }
        let image = self.frames.last().is_some_and(|f| f.opener == b'!');
        let active = at >= if image { self.images_off_below } else { self.links_off_below };
        let tail = if active { link_tail(slice(self.src, i + 1, self.src.len())) } else { None };
        let (Some((dest, title, used)), Some(f)) = (tail, self.pop()) else { return self.plain(i, i + 1) };
        // The opener's placeholders, then the label.
        let label = self.items.get_mut(f.at..).unwrap_or_default();
        if image {
            let alt = alt_text(label.get(2..).unwrap_or_default());
            self.items.truncate(f.at);
            self.images_off_below = at;
            self.items.push(Item::Leaf(match allowed(&dest, UrlUse::Image) {
                Some(src) => Kind::Image { src, alt, title },
                None => Kind::Text(alt),
            }));
        } else {
            // Autolinks and bare URLs in the label turn back into their text: no link inside a link. An autolink
            // is three items: its start, its text, its end.
            for j in 0..label.len() {
                if let Some(Item::Start(Kind::Link { .. })) = label.get(j) {
                    for k in [j, j + 2] {
                        if let Some(p) = label.get_mut(k) {
                            *p = Item::Leaf(Kind::Text(String::new()));
                        }
                    }
                }
            }
            if let Some(p) = label.first_mut() {
                *p = Item::Start(match allowed(&dest, UrlUse::Link) {
                    Some(href) => Kind::Link { href, title },
                    None => Kind::Span,
                });
            }
            self.links_off_below = at;
            self.items.push(Item::End);
        }
        i + 1 + used
    }

    fn autolink(&mut self, i: usize) -> usize {
        let b = self.src.as_bytes();
        // The look-ahead stops at a space, `<` or `>`: each byte is read by one autolink look-ahead at most.
        let end = b[i + 1..].iter().position(|&c| c <= b' ' || c == b'<' || c == b'>').map(|n| i + 1 + n);
        let Some(end) = end.filter(|&e| b.get(e) == Some(&b'>')) else { return self.plain(i, i + 1) };
        let inner = slice(self.src, i + 1, end);
        let is_url = starts_ci(inner, "http://") || starts_ci(inner, "https://") || starts_ci(inner, "mailto:");
        let is_email = inner.contains('@') && !inner.contains(':');
        if !(is_url || is_email) || inner.is_empty() {
            return self.plain(i, i + 1);
        }
        let mut dest = String::from(if is_email { "mailto:" } else { "" });
        dest.push_str(inner);
        self.link_to(&dest, inner);
        end + 1
    }

    /// A bare `http(s)://` URL at a word start, without trailing punctuation; something must follow the `//`.
    fn bare_url(&mut self, i: usize) -> usize {
        let s = slice(self.src, i, self.src.len());
        let word_start = !self.before(i).is_alphanumeric();
        let scheme = if starts_ci(s, "https://") {
            8
        } else if starts_ci(s, "http://") {
            7
        } else {
            0
        };
        if !word_start || scheme == 0 {
            return self.plain(i, i + 1);
        }
        // Inside a link's label it also ends at the `]` (the label is parsed first, as cmark-gfm does).
        let in_label = self.brackets > 0;
        let mut end = s.bytes().position(|c| c <= b' ' || c == b'<' || (in_label && c == b']')).unwrap_or(s.len());
        // The parentheses of `s[..end]`, counted once: only a trimmed `)` changes them.
        let (mut open, mut close) = (0, 0);
        for b in s.bytes().take(end) {
            match b {
                b'(' => open += 1,
                b')' => close += 1,
                _ => {}
            }
        }
        while let Some(&last) = s.as_bytes().get(end.wrapping_sub(1)) {
            let unbalanced = last == b')' && open < close;
            if b".,;:!?'\"*_~".contains(&last) || unbalanced {
                close -= usize::from(last == b')');
                end -= 1;
            } else {
                break;
            }
        }
        if end <= scheme {
            return self.plain(i, i + 1);
        }
        let url = slice(s, 0, end);
        self.link_to(url, url);
        i + end
    }

    /// A link (or, with a URL that is not allowed, a span) holding `label` as text.
    fn link_to(&mut self, dest: &str, label: &str) {
        self.items.push(Item::Start(match allowed(dest, UrlUse::Link) {
            Some(href) => Kind::Link { href, title: None },
            None => Kind::Span,
        }));
        self.items.push(Item::Leaf(Kind::Text(label.to_string())));
        self.items.push(Item::End);
    }
}

/// The text of a label, as an image's alt text.
fn alt_text(label: &[Item]) -> String {
    let mut out = String::new();
    for item in label {
        match item {
            Item::Leaf(Kind::Text(t) | Kind::Code(t)) => out.push_str(t),
            Item::Leaf(Kind::Image { alt, .. }) => out.push_str(alt),
            Item::Leaf(Kind::Break) => out.push(' '),
            Item::Opener(c) => out.push(char::from(*c)),
            _ => {}
        }
    }
    out
}

/// A space or a line end, as a code span's edges count them.
fn is_space(b: u8) -> bool {
    b == b' ' || b == b'\n'
}

/// Bytes the scan looks at; everything else is copied as text in runs.
const SPECIAL: &[u8] = b"\\\n&`*_~[!]<hH";

/// ASCII punctuation, or a Unicode character that is neither alphanumeric nor whitespace (CommonMark's
/// punctuation and symbols, approximated without Unicode's category tables).
fn is_punctuation(c: char) -> bool {
    c.is_ascii_punctuation() || (!c.is_ascii() && !c.is_alphanumeric() && !c.is_whitespace())
}

/// `(destination "title")` right after a link's `]`: destination, title and bytes used. Every look-ahead ends at
/// a character that cannot be in it (a space or an unbalanced parenthesis for the destination, the closing quote
/// for a title), and parentheses nest at most [`MAX_PARENS`] deep.
fn link_tail(s: &str) -> Option<(String, Option<String>, usize)> {
    let b = s.as_bytes();
    if b.first() != Some(&b'(') {
        return None;
    }
    let escaped = |j: usize| b.get(j) == Some(&b'\\') && b.get(j + 1).is_some_and(u8::is_ascii_punctuation);
    let mut i = skip_spaces(b, 1);
    let (dest, end) = if b.get(i) == Some(&b'<') {
        let mut j = i + 1;
        loop {
            match *b.get(j)? {
                _ if escaped(j) => j += 2,
                b'>' => break,
                b'\n' | b'<' => return None,
                _ => j += 1,
            }
        }
        (slice(s, i + 1, j), j + 1)
    } else {
        let mut j = i;
        let mut depth = 0;
        while let Some(&c) = b.get(j) {
            match c {
                _ if escaped(j) => {
                    j += 2;
                    continue;
                }
                b'(' => {
                    depth += 1;
                    if depth > MAX_PARENS {
                        return None;
                    }
                }
                b')' if depth == 0 => break,
                b')' => depth -= 1,
                c if c <= b' ' => break,
                _ => {}
            }
            j += 1;
        }
        if depth != 0 {
            return None;
        }
        (slice(s, i, j), j)
    };
    i = skip_spaces(b, end);
    let mut title = None;
    if let Some(&q @ (b'"' | b'\'' | b'(')) = b.get(i).filter(|_| i > end) {
        let close = if q == b'(' { b')' } else { q };
        let mut j = i + 1;
        loop {
            match *b.get(j)? {
                _ if escaped(j) => j += 2,
                c if c == close => break,
                b'(' if q == b'(' => return None,
                _ => j += 1,
            }
        }
        title = Some(unescape(slice(s, i + 1, j)));
        i = skip_spaces(b, j + 1);
    }
    if b.get(i) != Some(&b')') {
        return None;
    }
    Some((unescape(dest), title, i + 1))
}

fn skip_spaces(b: &[u8], mut i: usize) -> usize {
    while b.get(i).is_some_and(|&c| matches!(c, b' ' | b'\t' | b'\n')) {
        i += 1;
    }
    i
}

/// `s` with backslash escapes and entities decoded (a link's destination or title).
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < b.len() {
        let rest = slice(s, i, s.len());
        if b[i] == b'\\' && b.get(i + 1).is_some_and(u8::is_ascii_punctuation) {
            out.push(char::from(b[i + 1]));
            i += 2;
        } else if let Some((c, len)) = rest.starts_with('&').then(|| entity(rest)).flatten() {
            out.push(c);
            i += len;
        } else {
            let c = rest.chars().next().unwrap_or(' ');
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// `dest` (decoded) when it is allowed for `usage`. An entity-like `&name;` left undecoded could hide a scheme
/// from the check, so it is refused.
fn allowed(dest: &str, usage: UrlUse) -> Option<String> {
    let hides = dest.match_indices('&').any(|(i, _)| {
        let rest = slice(dest, i + 1, dest.len());
        let name = rest.bytes().take_while(u8::is_ascii_alphanumeric).count();
        name > 0 && slice(rest, name, rest.len()).starts_with(';')
    });
    if hides {
        None
    } else {
        safe_url(dest, usage)
    }
}

/// Decode the entity at the start of `s` (`&amp; &lt; &gt; &quot; &apos; &nbsp;` and numeric ones): the character
/// and the bytes used.
fn entity(s: &str) -> Option<(char, usize)> {
    let semi = s.bytes().take(12).position(|b| b == b';')?;
    let name = s.get(1..semi)?;
    let c = match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => '\u{a0}',
        _ => {
            let n = name.strip_prefix('#')?;
            let code = match n.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => n.parse().ok()?,
            };
            char::from_u32(code).filter(|c| *c != '\0')?
        }
    };
    Some((c, semi + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn html(src: &str) -> String {
        parse(src).to_html()
    }

    #[test]
    fn the_chat_subset() {
        let cases = [
            ("**b** *i* _u_ ~~d~~ `c`", "<p><strong>b</strong> <em>i</em> <em>u</em> <del>d</del> <code>c</code></p>"),
            ("where_is_my_order and 2 * 3 * 4", "<p>where_is_my_order and 2 * 3 * 4</p>"),
            ("*a **b** c*", "<p><em>a <strong>b</strong> c</em></p>"),
            ("***both***", "<p><em><strong>both</strong></em></p>"),
            ("**a *b***", "<p><strong>a <em>b</em></strong></p>"),
            ("*a✓* **é✓** `✓`", "<p><em>a✓</em> <strong>é✓</strong> <code>✓</code></p>"),
            ("# Title\n\npara one\nline two", "<h3>Title</h3><p>para one<br>line two</p>"),
            ("#### four\n###### six", "<h4>four</h4><h6>six</h6>"),
            ("- a\n- b\n\n3. x\n4. y", "<ul><li>a</li><li>b</li></ul><ol start=\"3\"><li>x</li><li>y</li></ol>"),
            ("1. one\n  more", "<ol><li>one<br>more</li></ol>"),
            ("> quoted *text*", "<blockquote><p>quoted <em>text</em></p></blockquote>"),
            ("```\n<b>x</b>\n```", "<pre><code>&lt;b&gt;x&lt;/b&gt;</code></pre>"),
            ("---", "<hr>"),
            ("\\*not em\\*", "<p>*not em*</p>"),
            ("&lt;b&gt; &amp; &#65; &#x42; &unknown; &nbsp;", "<p>&lt;b&gt; &amp; A B &amp;unknown; &nbsp;</p>"),
            ("<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"),
            ("``a ` b`` `` ` ``", "<p><code>a ` b</code> <code>`</code></p>"),
            ("`unclosed and ``", "<p>`unclosed and ``</p>"),
            ("~~~\ncode\n~~~", "<pre><code>code</code></pre>"),
            ("~one~ ~~~three~~~", "<p>~one~ ~~~three~~~</p>"),
            ("snake_case_name *", "<p>snake_case_name *</p>"),
            ("a\r\nb", "<p>a<br>b</p>"),
        ];
        for (src, want) in cases {
            assert_eq!(html(src), want, "{src:?}");
        }
    }

    #[test]
    fn links_and_images() {
        let cases = [
            (
                "[the docs](https://example.com/d \"Docs\")",
                "<p><a href=\"https://example.com/d\" target=\"_blank\" rel=\"noopener noreferrer\" title=\"Docs\">the docs</a></p>",
            ),
            (
                "[**bold** label](<https://e.example/a b>)",
                "<p><a href=\"https://e.example/a b\" target=\"_blank\" rel=\"noopener noreferrer\"><strong>bold</strong> label</a></p>",
            ),
            (
                "see https://example.com/a_(b). next",
                "<p>see <a href=\"https://example.com/a_(b)\" target=\"_blank\" rel=\"noopener noreferrer\">https://example.com/a_(b)</a>. next</p>",
            ),
            ("<https://x.example>", "<p><a href=\"https://x.example\" target=\"_blank\" rel=\"noopener noreferrer\">https://x.example</a></p>"),
            ("<a@b.example>", "<p><a href=\"mailto:a@b.example\" target=\"_blank\" rel=\"noopener noreferrer\">a@b.example</a></p>"),
            (
                "![a *cat*](https://example.com/cat.png 'Cat')",
                "<p><img class=\"ef-md-img\" src=\"https://example.com/cat.png\" alt=\"a cat\" loading=\"lazy\" title=\"Cat\"></p>",
            ),
            ("[x](javascript:alert(1))", "<p><span>x</span></p>"),
            ("[x](javascript&colon;alert(1))", "<p><span>x</span></p>"),
            ("[x](&#106;avascript:alert(1))", "<p><span>x</span></p>"),
            ("![x](javascript:alert(1))", "<p>x</p>"),
            ("[x](data:text/html,hi)", "<p><span>x</span></p>"),
            ("[not a link] (https://a.example)", "<p>[not a link] (<a href=\"https://a.example\" target=\"_blank\" rel=\"noopener noreferrer\">https://a.example</a>)</p>"),
            ("[a](b", "<p>[a](b</p>"),
            ("x <y> z", "<p>x &lt;y&gt; z</p>"),
        ];
        for (src, want) in cases {
            assert_eq!(html(src), want, "{src:?}");
        }
        // No link inside a link: the inner one wins (CommonMark), and an autolink in a label is its text.
        let nested = html("[[a](https://a.example)](https://b.example)");
        assert!(nested.starts_with("<p>[<a href=\"https://a.example\""), "{nested}");
        assert!(nested.contains(">a</a>](<a href=\"https://b.example\""), "the rest is text with a bare URL: {nested}");
        let auto = html("[see https://a.example](https://b.example)");
        assert_eq!(auto.matches("<a ").count(), 1, "{auto}");
        assert!(auto.contains("href=\"https://b.example\""), "{auto}");
        // A clickable image: an image inside a link.
        let clickable = html("[![logo](https://a.example/l.png)](https://a.example)");
        assert!(clickable.starts_with("<p><a href=\"https://a.example\""), "{clickable}");
        assert!(
            clickable.contains("<img class=\"ef-md-img\" src=\"https://a.example/l.png\" alt=\"logo\""),
            "{clickable}"
        );
    }

    #[test]
    fn deep_nesting_is_walked_without_its_elements() {
        // Emphasis 20 deep: the walk enters at most MAX_EMPHASIS of them, and every letter stays.
        let src = format!("{}x{}", "*a ".repeat(20), " a*".repeat(20));
        let out = html(&src);
        assert_eq!(out.matches("<em>").count(), MAX_EMPHASIS, "{out}");
        assert_eq!(out.matches('a').count(), 40);
        let quotes = html(&">".repeat(500));
        assert_eq!(quotes.matches("<blockquote>").count(), MAX_QUOTE + 1);
    }

    #[test]
    fn the_walk_names_each_element_and_leaf() {
        let md = parse("hi **there**");
        let mut events = Vec::new();
        md.walk(|ev| events.push(format!("{ev:?}")));
        let text = |t: &str| Kind::Text(t.into());
        let want = [
            Event::Enter(&Kind::Paragraph),
            Event::Leaf(&text("hi ")),
            Event::Enter(&Kind::Strong),
            Event::Leaf(&text("there")),
            Event::Leave(&Kind::Strong),
            Event::Leave(&Kind::Paragraph),
        ];
        assert_eq!(events, want.map(|ev| format!("{ev:?}")));
    }
}
