//! Built-in intent matcher. Text is lexed into normalised tokens (Unicode case folding, apostrophes
//! dropped, light English suffix stripping, CJK split per character; numbers and e-mail addresses
//! kept whole) and interned to `u32` ids against the vocabulary of all utterances and slot values.
//! An utterance is a sequence of literal ids and slot markers. For an input, the spans that are slot
//! values are found once per distinct slot type (longest phrase first), and an inverted index gives
//! every utterance an upper bound of its score, so only promising utterances are scored exactly.
//! The score is a weighted Dice coefficient (a stop word weighs 1/4 of a word; a filled slot marker
//! counts as one word whatever the span length; a typo-corrected token, one edit on >= 5 chars,
//! earns 3/4) times a word-order factor in 0.9..=1 (share of the utterance's bigrams found in the
//! input), so an exact, slot-filled match scores 1.0. Only the first 2,000 chars of a text are used.

use crate::json::Named;
use std::cmp::Ordering;

use crate::json::Value;

use crate::json;
use crate::json::float::parse_f64;
use crate::json::fold::{fold, fold_char};
use crate::util::{slice, sort_by};

/// One slot's accepted values.
#[derive(Debug, Clone, PartialEq)]
pub enum SlotType {
    /// Listed values; each value has synonyms. A match yields the canonical value (a JSON string).
    Values(Vec<SlotValue>),
    /// "@number": an integer or decimal in the text ("3", "2.5", "-4"), and the English words zero..twenty, yields a JSON number.
    Number,
    /// "@email": something@domain.tld, yields the JSON string.
    Email,
    /// "@any": used only by `extract_slot` (one-shot capture): yields the whole trimmed text. In an utterance, "@any" slots
    /// match one or more tokens greedily between the surrounding literal words (best effort).
    Any,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SlotValue {
    /// The canonical value, then its synonyms: every phrase that matches the value (never empty).
    pub phrases: Vec<String>,
}

impl SlotValue {
    /// The canonical value: the first phrase.
    pub fn value(&self) -> &str {
        self.phrases.first().map_or("", |v| v)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct IntentSpec {
    pub name: String,
    pub utterances: Vec<String>,
    /// Sorted by name, each name once (the order of the agent file's `slots` object).
    pub slots: Vec<(String, SlotType)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IntentMatch {
    pub intent: String,
    pub confidence: f64,
    pub slots: Named<Value>,
}

/// Only this many leading chars of an input are considered by `classify` and `extract_slot`.
const MAX_INPUT_CHARS: usize = 2000;
const W_STOP: u32 = 1;
const W_WORD: u32 = 4;
const W_SLOT: u32 = 4;
const NONE: u32 = u32::MAX;
const STOP_WORDS: &str = "a am an and are at be can could do for i im in is it its just me my of on or please pls so some that the this to us was we will would you your";
const NUMBER_WORDS: &str = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty";

// ---------------------------------------------------------------- lexing

#[derive(Debug, Clone, Copy, PartialEq)]
enum Num {
    Int(i64),
    Float(f64),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Word,
    Num(Num),
    Email,
}

#[derive(Debug, Clone)]
struct Tok {
    norm: String,
    start: usize,
    end: usize,
    kind: Kind,
}

/// Normalised tokens of a text: Unicode case folding (`fold`), split on anything not alphanumeric (apostrophes are
/// removed without splitting: "don't" -> "dont"), CJK ideographs and kana one token per char, light
/// English suffix stripping on ASCII words longer than 4 chars ("pizzas" -> "pizza", "ordering" -> "order").
pub fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    split_words(text, 0, &mut out);
    out.into_iter().map(|t| t.norm).collect()
}

fn truncate(text: &str) -> &str {
    text.char_indices().nth(MAX_INPUT_CHARS).map_or(text, |(i, _)| slice(text, 0, i))
}

fn is_stop(w: &str) -> bool {
    STOP_WORDS.split(' ').any(|s| s == w)
}

fn is_dropped(c: char) -> bool {
    matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{02BC}' | '\u{00AD}' | '\u{200B}'..='\u{200D}' | '\u{2060}'
        | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}')
}

fn is_cjk(c: char) -> bool {
    matches!(c, '\u{3041}'..='\u{30FA}' | '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{2FA1F}')
}

/// Alphanumeric, or a combining mark of a common script (so that e.g. Devanagari words stay whole).
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
        || matches!(c, '\u{0300}'..='\u{036F}' | '\u{0483}'..='\u{0489}' | '\u{0591}'..='\u{05BD}' | '\u{05BF}'
            | '\u{05C1}' | '\u{05C2}' | '\u{05C4}' | '\u{05C5}' | '\u{05C7}' | '\u{0610}'..='\u{061A}'
            | '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{06D6}'..='\u{06ED}' | '\u{0900}'..='\u{0963}'
            | '\u{0966}'..='\u{0DFF}' | '\u{0E31}'..='\u{0E3A}' | '\u{0E47}'..='\u{0E4E}' | '\u{1AB0}'..='\u{1AFF}'
            | '\u{1DC0}'..='\u{1DFF}' | '\u{20D0}'..='\u{20FF}' | '\u{FE20}'..='\u{FE2F}')
}

fn split_words(text: &str, base: usize, out: &mut Vec<Tok>) {
    let mut cur = String::new();
    let (mut start, mut end) = (0, 0);
    for (i, c) in text.char_indices() {
        if is_dropped(c) {
            continue;
        }
        let cjk = is_cjk(c);
        if !cjk && is_word_char(c) {
            if cur.is_empty() {
                start = i;
            }
            cur.push(fold_char(c));
            end = i + c.len_utf8();
            continue;
        }
        push_word(out, &mut cur, base + start, base + end);
        if cjk {
            cur.push(c);
            push_word(out, &mut cur, base + i, base + i + c.len_utf8());
        }
    }
    push_word(out, &mut cur, base + start, base + end);
}

fn push_word(out: &mut Vec<Tok>, cur: &mut String, start: usize, end: usize) {
    if cur.is_empty() {
        return;
    }
    let mut norm = std::mem::take(cur);
    let kind = if norm.bytes().all(|b| b.is_ascii_digit()) {
        parse_num(&norm).map_or(Kind::Word, Kind::Num)
    } else {
        stem(&mut norm);
        Kind::Word
    };
    out.push(Tok { norm, start, end, kind });
}

fn stem(w: &mut String) {
    let n = w.len();
    if n <= 4 || !w.bytes().all(|b| b.is_ascii_lowercase()) {
        return;
    }
    if w.ends_with("ies") {
        chop(w, 3);
        w.push('y');
    } else if ["sses", "zzes", "xes", "ches", "shes"].iter().any(|s| w.ends_with(s)) {
        chop(w, 2);
    } else if w.ends_with("ing") && n >= 6 {
        chop(w, 3);
        undouble(w);
    } else if w.ends_with("ed") && !w.ends_with("eed") {
        chop(w, 2);
        undouble(w);
    } else if w.ends_with('s') && !["ss", "us", "is"].iter().any(|s| w.ends_with(s)) {
        chop(w, 1);
    }
}

/// Removes the last `k` chars of `w`: its last `k` bytes for the ASCII words `stem` changes. Unlike `truncate`,
/// which checks that the new length is a char boundary, this has no panic path.
fn chop(w: &mut String, k: usize) {
    for _ in 0..k {
        w.pop();
    }
}

/// "runn" -> "run", "stopp" -> "stop"; keeps "call", "miss", "buzz", "add".
fn undouble(w: &mut String) {
    let b = w.as_bytes();
    let n = b.len();
    if n >= 4 && b[n - 1] == b[n - 2] && !b"aeiouylsz".contains(&b[n - 1]) {
        chop(w, 1);
    }
}

/// Full lexer used for matching: like `tokens`, but a whitespace-separated chunk that is a number
/// ("-4", "2.5") or an e-mail address (surrounding punctuation ignored) stays one token.
fn lex(text: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut chunk = None;
    for (i, c) in text.char_indices() {
        if c.is_whitespace() {
            if let Some(s) = chunk.take() {
                lex_chunk(text, s, i, &mut out);
            }
        } else if chunk.is_none() {
            chunk = Some(i);
        }
    }
    if let Some(s) = chunk {
        lex_chunk(text, s, text.len(), &mut out);
    }
    out
}

fn lex_chunk(text: &str, s: usize, e: usize, out: &mut Vec<Tok>) {
    let chunk = slice(text, s, e);
    let first = chunk.char_indices().find(|&(i, c)| {
        c.is_alphanumeric() || (c == '-' && chunk.as_bytes().get(i + 1).is_some_and(u8::is_ascii_digit))
    });
    let last = chunk.char_indices().rev().find(|&(_, c)| c.is_alphanumeric());
    if let (Some((cs, _)), Some((l, lc))) = (first, last) {
        let ce = l + lc.len_utf8();
        if ce > cs {
            let core = slice(chunk, cs, ce);
            let kind = if is_email(core) { Some(Kind::Email) } else { parse_num(core).map(Kind::Num) };
            if let Some(kind) = kind {
                let norm = fold(core);
                out.push(Tok { norm, start: s + cs, end: s + ce, kind });
                return;
            }
        }
    }
    split_words(chunk, s, out);
}

fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    // At least two labels; the last is the TLD.
    let Some((_, tld)) = domain.rsplit_once('.') else {
        return false;
    };
    !local.is_empty()
        && local.chars().all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-' | '\''))
        && domain.split('.').all(|l| !l.is_empty() && l.chars().all(|c| c.is_alphanumeric() || c == '-'))
        && tld.chars().count() >= 2
        && tld.chars().all(char::is_alphabetic)
}

fn parse_num(s: &str) -> Option<Num> {
    let body = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = match body.split_once('.') {
        Some((a, b)) => (a, Some(b)),
        None => (body, None),
    };
    let digits = |d: &str| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || !frac.map_or(true, digits) {
        return None;
    }
    if frac.is_none() {
        // Accumulated as a negative number so that i64::MIN fits; None on overflow.
        let mut v = Some(0i64);
        for b in int.bytes() {
            v = v.and_then(|v| v.checked_mul(10)?.checked_sub(i64::from(b - b'0')));
        }
        if let Some(i) = if body.len() < s.len() { v } else { v.and_then(i64::checked_neg) } {
            return Some(Num::Int(i));
        }
    }
    parse_f64(s).filter(|f| f.is_finite()).map(Num::Float)
}

fn tok_number(t: &Tok) -> Option<Num> {
    match t.kind {
        Kind::Num(n) => Some(n),
        Kind::Word => NUMBER_WORDS.split(' ').position(|w| w == t.norm).map(|i| Num::Int(i as i64)),
        Kind::Email => None,
    }
}

fn num_value(n: Num) -> Option<Value> {
    match n {
        Num::Int(i) => Some(Value::from(i)),
        Num::Float(f) => crate::json::Number::from_f64(f).map(Value::Number),
    }
}

/// Optimal-string-alignment distance <= 1 (one insertion, deletion, substitution or transposition).
fn within_one_edit(a: &str, b: &str) -> bool {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let (s, l) = if a.len() <= b.len() { (&a, &b) } else { (&b, &a) };
    let n = s.len();
    if l.len() - n > 1 {
        return false;
    }
    // Lengths of the common prefix and the common suffix: the edit must lie between them.
    let p = s.iter().zip(l.iter()).take_while(|(x, y)| x == y).count();
    let q = s.iter().rev().zip(l.iter().rev()).take_while(|(x, y)| x == y).count();
    if n < l.len() {
        return p + q >= n;
    }
    p + q + 1 >= n || (p + q + 2 >= n && s.get(p) == l.get(p + 1) && s.get(p + 1) == l.get(p))
}

/// Offsets to group items by key (< n): the items of key k go to `[off[k]..off[k + 1]]`.
fn offsets(keys: &[u32], n: usize) -> Vec<u32> {
    let mut off = vec![0u32; n + 1];
    for &k in keys {
        let count = off.get_mut(k as usize + 1);
        debug_assert!(count.is_some(), "key {k} is below {n}");
        if let Some(c) = count {
            *c += 1;
        }
    }
    let mut sum = 0;
    for o in &mut off {
        sum += *o;
        *o = sum;
    }
    off
}

// The matcher's ranges and indices are in range by construction (word ids into `words`/`weights`, token positions
// into an input's vectors, the `(start, end)` ranges kept in the compiled tables). They are read through `part`
// and `at`, whose fallbacks are never taken (debug builds assert it): no bounds-check panic to generate.

/// `v[r.0..r.1]`.
fn part<T>(v: &[T], r: (u32, u32)) -> &[T] {
    let items = v.get(r.0 as usize..r.1 as usize);
    debug_assert!(items.is_some(), "range {r:?} of {} items", v.len());
    items.unwrap_or_default()
}

/// `v[i]`.
fn at<T: Copy + Default>(v: &[T], i: usize) -> T {
    let item = v.get(i).copied();
    debug_assert!(item.is_some(), "index {i} of {} items", v.len());
    item.unwrap_or_default()
}

/// The items of key `k` of a grouping by `offsets`.
fn group<'a, T>(v: &'a [T], off: &[u32], k: usize) -> &'a [T] {
    part(v, (at(off, k), at(off, k + 1)))
}

/// `w` with one char removed, for each char.
fn deletions(w: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, c) in w.char_indices() {
        let mut d = String::with_capacity(w.len());
        d.push_str(slice(w, 0, i));
        d.push_str(slice(w, i + c.len_utf8(), w.len()));
        out.push(d);
    }
    out
}

/// Index of the first of `len` ascending keys (`key(i)`) that is not below `k`.
fn lower_bound<'a>(len: usize, k: &str, key: &dyn Fn(usize) -> &'a str) -> usize {
    let (mut lo, mut hi) = (0, len);
    while lo < hi {
        let mid = (lo + hi) / 2;
        if key(mid) < k {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

fn fuzzy_candidate(w: &str) -> bool {
    w.chars().count() >= 5 && w.chars().all(char::is_alphabetic)
}

// ---------------------------------------------------------------- matcher

/// One item of an utterance: a literal word or a slot marker.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Item {
    /// A word id.
    Lit(u32),
    /// A slot marker: an index into the intent's `slots`.
    Slot(u32),
}

/// One utterance of an intent, compiled.
#[derive(Debug, Clone)]
struct Utt {
    /// Its literal word ids, sorted: a range of `Matcher::lits`.
    lits: (u32, u32),
    /// Its items in order: a range of `Matcher::items`.
    items: (u32, u32),
    /// The weight of its items: each literal's word weight, `W_SLOT` for each slot marker.
    weight: u32,
    /// Whether it has slot markers.
    has_slots: bool,
    /// Whether one of its slot markers is of type "@any".
    has_any_slot: bool,
}

#[derive(Debug, Clone)]
struct Intent {
    name: String,
    /// The name folded, for `classify_among`.
    lower: String,
    /// Its utterances: a range of `Matcher::utts`.
    utts: (u32, u32),
    /// (slot name, index into `Matcher::types`), sorted by name.
    slots: Vec<(String, u32)>,
}

/// A phrase of a listed slot value (the value or a synonym), as word ids.
#[derive(Debug, Clone)]
struct Phrase {
    toks: Vec<u32>,
    /// Its slot type, an index into `Matcher::types`.
    ty: u32,
    /// Its value, an index into the type's `SlotType::Values`.
    canon: u32,
}

/// What a span of the input means as a slot value.
#[derive(Debug, Clone, Copy)]
enum SpanVal {
    /// The listed value of this index.
    Canon(u32),
    Num(Num),
    /// The input's own text (an e-mail address, an "@any" span).
    Text,
}

/// Tokens `start..end` of the input that can fill a slot marker.
#[derive(Debug, Clone, Copy)]
struct Span {
    start: usize,
    end: usize,
    /// The input weight of the span's tokens.
    weight: u32,
    /// What filling a marker with it earns: `W_SLOT`, less if a token was typo-corrected.
    credit: u32,
    value: SpanVal,
}

/// An input text, lexed and looked up once for all utterances.
struct Input<'t> {
    text: &'t str,
    toks: Vec<Tok>,
    /// Each token's word id, `NONE` for a word outside the vocabulary.
    ids: Vec<u32>,
    /// Whether each token's id was found by typo correction.
    fuzzy: Vec<bool>,
    /// Each token's weight: its word's, or `W_STOP`/`W_WORD` for an unknown word.
    weights: Vec<u32>,
    total_weight: u32,
    /// (word id, position) of the known tokens, sorted by id (exact before fuzzy, then by position).
    known: Vec<(u32, u32)>,
    /// Candidate spans per slot type, ascending, non-overlapping.
    spans: Vec<Vec<Span>>,
}

/// What scoring one utterance marks on the input, reused from one utterance to the next: a token is taken by
/// the current attempt when its entry in `taken` equals `attempt`, so starting an attempt clears every mark.
struct Scratch {
    attempt: u32,
    taken: Vec<u32>,
    /// The span each item of the utterance took (slot markers only).
    slot_spans: Vec<Option<Span>>,
    /// The input as `order_factor` reads it: word ids and slot codes.
    sequence: Vec<u32>,
}

impl Scratch {
    fn new(tokens: usize) -> Scratch {
        Scratch { attempt: 0, taken: vec![0; tokens], slot_spans: Vec::new(), sequence: Vec::new() }
    }

    /// Start scoring an utterance of `items` items: no token taken, no slot filled.
    fn start(&mut self, items: usize) {
        self.attempt += 1;
        self.slot_spans.clear();
        self.slot_spans.resize(items, None);
    }

    /// Whether token `p` is free in the current attempt.
    fn is_free_at(&self, p: usize) -> bool {
        at(&self.taken, p) != self.attempt
    }

    /// True when none of the span's tokens is taken by the current attempt.
    fn is_free(&self, sp: &Span) -> bool {
        let toks = self.taken.get(sp.start..sp.end);
        debug_assert!(toks.is_some(), "a span lies in the input");
        toks.unwrap_or_default().iter().all(|&s| s != self.attempt)
    }

    /// Marks the span's tokens as taken by the current attempt.
    fn consume(&mut self, sp: &Span) {
        let toks = self.taken.get_mut(sp.start..sp.end);
        debug_assert!(toks.is_some(), "a span lies in the input");
        if let Some(toks) = toks {
            toks.fill(self.attempt);
        }
    }
}

/// The compiled matcher; cheap to share, immutable after `new`.
#[derive(Debug, Clone)]
pub struct Matcher {
    threshold: f64,
    /// Word ids sorted by word, for lookups by binary search.
    vocab: Vec<u32>,
    words: Vec<String>,
    weights: Vec<u32>,
    /// (one-char deletion, word id) of vocabulary words (>= 5 chars), sorted by deletion, for typo tolerance.
    deletes: Vec<(String, u32)>,
    types: Vec<SlotType>,
    number_ty: Option<usize>,
    email_ty: Option<usize>,
    phrases: Vec<Phrase>,
    /// First token id -> phrases, longest first, in `phrase_order[phrase_off[id]..phrase_off[id + 1]]`.
    phrase_off: Vec<u32>,
    phrase_order: Vec<u32>,
    intents: Vec<Intent>,
    utts: Vec<Utt>,
    lits: Vec<u32>,
    items: Vec<Item>,
    /// Inverted index: token id -> (utterance, count) in `post[post_off[id]..post_off[id + 1]]`.
    post_off: Vec<u32>,
    post: Vec<(u32, u32)>,
}

impl Intent {
    /// The index into `Matcher::types` of slot `s` (an index of `slots` by construction; else one past any type).
    fn slot_ty(&self, s: u32) -> usize {
        let slot = self.slots.get(s as usize);
        debug_assert!(slot.is_some(), "slot {s} of {}", self.slots.len());
        slot.map_or(usize::MAX, |t| t.1 as usize)
    }
}

impl Input<'_> {
    /// The candidate spans of slot type `ty` (none for an index that is not a type).
    fn spans(&self, ty: usize) -> &[Span] {
        let spans = self.spans.get(ty);
        debug_assert!(spans.is_some(), "slot type {ty} of {}", self.spans.len());
        spans.map_or(&[], |l| l)
    }
}

impl Matcher {
    /// Precompute everything (token interning, slot value tables, inverted index). `threshold` is clamped
    /// to 0..=1 (NaN means 0.6); a match also needs a confidence above 0. Returns Err(message) if an
    /// utterance names an undeclared slot: "intent 'order_pizza': utterances[1] uses undeclared slot {colour}".
    pub fn new(intents: &[IntentSpec], threshold: f64) -> Result<Matcher, String> {
        let mut m = Matcher {
            threshold: if threshold.is_nan() { 0.6 } else { threshold.clamp(0.0, 1.0) },
            vocab: Vec::new(),
            words: Vec::new(),
            weights: Vec::new(),
            deletes: Vec::new(),
            types: Vec::new(),
            number_ty: None,
            email_ty: None,
            phrases: Vec::new(),
            phrase_off: Vec::new(),
            phrase_order: Vec::new(),
            intents: Vec::new(),
            utts: Vec::new(),
            lits: Vec::new(),
            items: Vec::new(),
            post_off: Vec::new(),
            post: Vec::new(),
        };
        for spec in intents {
            let mut slots = Vec::with_capacity(spec.slots.len());
            for (n, t) in &spec.slots {
                slots.push((n.clone(), m.add_type(t)));
            }
            let first = m.utts.len() as u32;
            for (ui, text) in spec.utterances.iter().enumerate() {
                let start = m.items.len();
                let (mut has_slots, mut has_any_slot) = (false, false);
                let mut rest = text.as_str();
                while let Some((head, tail)) = rest.split_once('}') {
                    rest = tail;
                    let Some((before, name)) = head.rsplit_once('{') else {
                        m.push_lits(head);
                        continue;
                    };
                    m.push_lits(before);
                    let name = name.trim();
                    let Some((idx, (_, ty))) = slots.iter().enumerate().find(|(_, (n, _))| n == name) else {
                        return Err(format!(
                            "intent '{}': utterances[{ui}] uses undeclared slot {{{name}}}",
                            spec.name
                        ));
                    };
                    m.items.push(Item::Slot(idx as u32));
                    has_slots = true;
                    has_any_slot |= m.is_any(*ty as usize);
                }
                m.push_lits(rest);
                if m.items.len() == start {
                    continue;
                }
                // `lits` and `weight` are set below.
                let items = (start as u32, m.items.len() as u32);
                m.utts.push(Utt { lits: (0, 0), items, weight: 0, has_slots, has_any_slot });
            }
            let utts = (first, m.utts.len() as u32);
            m.intents.push(Intent { name: spec.name.clone(), lower: fold(spec.name.trim()), utts, slots });
        }
        for u in &mut m.utts {
            let lit_start = m.lits.len();
            let mut weight = 0;
            for it in part(&m.items, u.items) {
                weight += match *it {
                    Item::Lit(id) => {
                        m.lits.push(id);
                        at(&m.weights, id as usize)
                    }
                    Item::Slot(_) => W_SLOT,
                };
            }
            let lits = m.lits.get_mut(lit_start..);
            debug_assert!(lits.is_some(), "the literals just pushed");
            sort_by(lits.unwrap_or_default(), &|a, b| a < b);
            u.lits = (lit_start as u32, m.lits.len() as u32);
            u.weight = weight;
        }
        let mut firsts = Vec::new();
        for p in &m.phrases {
            // Never empty: `add_type` keeps only phrases with tokens.
            debug_assert!(!p.toks.is_empty());
            firsts.push(p.toks.first().copied().unwrap_or_default());
        }
        m.phrase_off = offsets(&firsts, m.words.len());
        m.phrase_order = (0..m.phrases.len() as u32).collect();
        // By first token, then longest first, then declaration order.
        let key = |pi: u32| {
            let phrase = m.phrases.get(pi as usize);
            debug_assert!(phrase.is_some(), "phrase_order holds phrase indices");
            let len = phrase.map_or(0, |p| p.toks.len());
            (at(&firsts, pi as usize), usize::MAX - len, pi)
        };
        sort_by(&mut m.phrase_order, &|a, b| key(a) < key(b));
        let mut dels = Vec::new();
        for (id, w) in m.words.iter().enumerate() {
            if fuzzy_candidate(w) {
                for d in deletions(w) {
                    dels.push((d, id as u32));
                }
            }
        }
        let mut order: Vec<u32> = (0..dels.len() as u32).collect();
        sort_by(&mut order, &|a, b| dels.get(a as usize) < dels.get(b as usize));
        for i in order {
            if let Some(d) = dels.get_mut(i as usize) {
                m.deletes.push(std::mem::take(d));
            }
        }
        // Runs of equal literals: (token id, utterance, count).
        let (mut ids, mut runs) = (Vec::new(), Vec::new());
        for (ui, u) in m.utts.iter().enumerate() {
            for run in part(&m.lits, u.lits).chunk_by(|a, b| a == b) {
                if let Some(&id) = run.first() {
                    ids.push(id);
                    runs.push((ui as u32, run.len() as u32));
                }
            }
        }
        m.post_off = offsets(&ids, m.words.len());
        let mut next = m.post_off.clone();
        m.post = vec![(0, 0); runs.len()];
        for (&id, &r) in ids.iter().zip(&runs) {
            if let Some(n) = next.get_mut(id as usize) {
                if let Some(p) = m.post.get_mut(*n as usize) {
                    *p = r;
                }
                *n += 1;
            }
        }
        Ok(m)
    }

    /// The id of word `w`, added if new (ids in order of first occurrence; `vocab` stays sorted by word).
    fn intern(&mut self, w: String) -> u32 {
        let (i, known) = self.find(&w);
        if let Some(id) = known {
            return id;
        }
        let id = self.words.len() as u32;
        self.weights.push(if is_stop(&w) { W_STOP } else { W_WORD });
        self.words.push(w);
        // `self.vocab.insert(i, id)`, without its panic path (`i <= len` by `find`).
        let mut carry = id;
        for v in self.vocab.iter_mut().skip(i) {
            carry = std::mem::replace(v, carry);
        }
        self.vocab.push(carry);
        id
    }

    /// Word `id` (every id is an index of `words`; "" otherwise).
    fn word(&self, id: u32) -> &str {
        let word = self.words.get(id as usize);
        debug_assert!(word.is_some(), "word {id} of {}", self.words.len());
        word.map_or("", |w| w)
    }

    /// Whether slot type `ty` is "@any".
    fn is_any(&self, ty: usize) -> bool {
        matches!(self.types.get(ty), Some(SlotType::Any))
    }

    fn word_id(&self, w: &str) -> Option<u32> {
        self.find(w).1
    }

    /// Where `w` is or would be inserted in `vocab`, and its id if known.
    fn find(&self, w: &str) -> (usize, Option<u32>) {
        let i = lower_bound(self.vocab.len(), w, &|i| self.word(at(&self.vocab, i)));
        (i, self.vocab.get(i).copied().filter(|&id| self.word(id) == w))
    }

    fn push_lits(&mut self, s: &str) {
        for t in lex(s) {
            let id = self.intern(t.norm);
            self.items.push(Item::Lit(id));
        }
    }

    fn add_type(&mut self, t: &SlotType) -> u32 {
        if let Some(i) = self.types.iter().position(|x| x == t) {
            return i as u32;
        }
        let ty = self.types.len();
        match t {
            SlotType::Values(vs) => {
                for (ci, v) in vs.iter().enumerate() {
                    for phrase in &v.phrases {
                        let mut toks = Vec::new();
                        for t in lex(phrase) {
                            toks.push(self.intern(t.norm));
                        }
                        if !toks.is_empty() {
                            self.phrases.push(Phrase { toks, ty: ty as u32, canon: ci as u32 });
                        }
                    }
                }
            }
            SlotType::Number => self.number_ty = Some(ty),
            SlotType::Email => self.email_ty = Some(ty),
            SlotType::Any => {}
        }
        self.types.push(t.clone());
        ty as u32
    }

    /// The best intent at or above the threshold, or None (a no-match). Ties go to the intent declared first.
    pub fn classify(&self, text: &str) -> Option<IntentMatch> {
        self.run(text, None)
    }

    /// Like classify but restricted to the named intents (case-insensitive names).
    pub fn classify_among(&self, text: &str, intents: &[&str]) -> Option<IntentMatch> {
        let mut wanted = Vec::new();
        for n in intents {
            wanted.push(fold(n.trim()));
        }
        let mut mask = Vec::new();
        for i in &self.intents {
            mask.push(wanted.contains(&i.lower));
        }
        self.run(text, Some(&mask))
    }

    fn fuzzy_id(&self, w: &str) -> Option<u32> {
        if !fuzzy_candidate(w) {
            return None;
        }
        let mut best = NONE;
        let mut consider = |id: u32| {
            let word = self.word(id);
            if id < best && fuzzy_candidate(word) && within_one_edit(w, word) {
                best = id;
            }
        };
        // Vocabulary words with a deletion equal to `w`, to a deletion of `w`, or equal to a deletion of `w`.
        let mut keys = deletions(w);
        keys.push(w.to_string());
        for k in &keys {
            let mut i = lower_bound(self.deletes.len(), k, &|i| self.deletes.get(i).map_or("", |d| &d.0));
            while let Some((_, id)) = self.deletes.get(i).filter(|(d, _)| d == k) {
                consider(*id);
                i += 1;
            }
            if k != w {
                if let Some(id) = self.word_id(k) {
                    consider(id);
                }
            }
        }
        (best != NONE).then_some(best)
    }

    fn prepare<'t>(&self, text: &'t str) -> Input<'t> {
        let text = truncate(text);
        let toks = lex(text);
        let n = toks.len();
        let (mut ids, mut fuzzy, mut weights) = (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
        for t in &toks {
            let (id, fz) = match self.word_id(&t.norm) {
                Some(id) => (id, false),
                None if matches!(t.kind, Kind::Word) => self.fuzzy_id(&t.norm).map_or((NONE, false), |id| (id, true)),
                None => (NONE, false),
            };
            ids.push(id);
            fuzzy.push(fz);
            weights.push(match id {
                NONE if is_stop(&t.norm) => W_STOP,
                NONE => W_WORD,
                _ => at(&self.weights, id as usize),
            });
        }
        let mut known = Vec::new();
        for (p, &id) in ids.iter().enumerate() {
            if id != NONE {
                known.push(p as u32);
            }
        }
        let key = |p: u32| (at(&ids, p as usize), at(&fuzzy, p as usize), p);
        sort_by(&mut known, &|a, b| key(a) < key(b));
        let mut by_id = Vec::with_capacity(known.len());
        for p in known {
            by_id.push((at(&ids, p as usize), p));
        }
        let mut spans: Vec<Vec<Span>> = Vec::with_capacity(self.types.len());
        for _ in &self.types {
            spans.push(Vec::new());
        }
        for (p, (tok, &id)) in toks.iter().zip(&ids).enumerate() {
            let phrases = if id == NONE { &[][..] } else { group(&self.phrase_order, &self.phrase_off, id as usize) };
            for &pi in phrases {
                let phrase = self.phrases.get(pi as usize);
                debug_assert!(phrase.is_some(), "phrase_order holds phrase indices");
                let Some(ph) = phrase else { continue };
                let end = p + ph.toks.len();
                if ids.get(p..end) != Some(&ph.toks[..]) {
                    continue;
                }
                let list = spans.get_mut(ph.ty as usize);
                debug_assert!(list.is_some(), "a phrase's type is a type");
                let Some(list) = list else { continue };
                if list.last().map_or(true, |l| l.end <= p) {
                    let mut sp = span(p, end, &weights, SpanVal::Canon(ph.canon));
                    // In range: `ids.get(p..end)` matched above.
                    if fuzzy.get(p..end).unwrap_or_default().contains(&true) {
                        sp.credit = W_SLOT * 3 / 4;
                    }
                    list.push(sp);
                }
            }
            // A token is a number or an e-mail address, never both.
            let single = match (tok_number(tok), tok.kind) {
                (Some(num), _) => self.number_ty.map(|ty| (ty, SpanVal::Num(num))),
                (None, Kind::Email) => self.email_ty.map(|ty| (ty, SpanVal::Text)),
                _ => None,
            };
            if let Some((list, val)) = single.and_then(|(ty, val)| Some((spans.get_mut(ty)?, val))) {
                list.push(span(p, p + 1, &weights, val));
            }
        }
        let total_weight = weights.iter().sum();
        Input { text, toks, ids, fuzzy, weights, total_weight, known: by_id, spans }
    }

    /// Classify `text` among the intents `mask` allows (all of them without a mask).
    ///
    /// Each utterance's score is a weighted Dice coefficient of the words it shares with the input, times a
    /// word-order factor (see [`Matcher::score`]). Scoring an utterance exactly takes a merge of two sorted lists
    /// and the slot spans, so it runs in two passes:
    /// 1. the bound pass ([`Matcher::shared_weight_bounds`], [`Matcher::score_bound`]): an upper bound of each
    ///    utterance's score from the inverted index, one look at each posting of the input's words;
    /// 2. the scoring pass: the utterances in declaration order; one whose bound cannot reach the threshold or
    ///    beat the best score so far is skipped, the others are scored exactly. Ties keep the first.
    ///
    /// The winner is scored once more to read its slot values.
    fn run(&self, text: &str, mask: Option<&[bool]>) -> Option<IntentMatch> {
        let input = self.prepare(text);
        if input.toks.is_empty() {
            return None;
        }
        // The bound pass.
        let shared_weight = self.shared_weight_bounds(&input);
        let least_input_weight = least_input_weight(&input);
        // The scoring pass.
        let mut scratch = Scratch::new(input.toks.len());
        let mut best: Option<(f64, &Intent, &Utt)> = None;
        let mut best_score = 0.0;
        for (intent_index, intent) in self.intents.iter().enumerate() {
            if mask.is_some_and(|m| m.get(intent_index) == Some(&false)) {
                continue;
            }
            let first = intent.utts.0 as usize;
            for (k, utt) in part(&self.utts, intent.utts).iter().enumerate() {
                let shared = at(&shared_weight, first + k);
                let Some(bound) = self.score_bound(&input, intent, utt, shared, least_input_weight) else { continue };
                if bound < self.threshold || bound <= best_score {
                    continue;
                }
                let score = self.score(&input, &mut scratch, intent, utt, best_score, None);
                if score > best_score && score >= self.threshold {
                    best_score = score;
                    best = Some((score, intent, utt));
                }
            }
        }
        let (confidence, intent, utt) = best?;
        let mut slots = Named::new();
        self.score(&input, &mut scratch, intent, utt, 0.0, Some(&mut slots));
        Some(IntentMatch { intent: intent.name.clone(), confidence, slots })
    }

    /// For each utterance, at least the literal weight it shares with the input: for each word of the input,
    /// its weight times the smaller of its counts in the input and in the utterance, summed over the utterances
    /// that have it (the inverted index `post`). A bound, because typo-corrected tokens count in full here and a
    /// token a slot span takes counts here as a literal too.
    fn shared_weight_bounds(&self, input: &Input) -> Vec<u32> {
        let mut shared = vec![0u32; self.utts.len()];
        // `known` is sorted by word id: each run of one id is that word's count in the input.
        for run in input.known.chunk_by(|a, b| a.0 == b.0) {
            let id = run[0].0 as usize;
            let in_input = run.len() as u32;
            let weight = at(&self.weights, id);
            for &(utt, in_utt) in group(&self.post, &self.post_off, id) {
                let slot = shared.get_mut(utt as usize);
                debug_assert!(slot.is_some(), "postings name utterances");
                if let Some(s) = slot {
                    *s += weight * in_input.min(in_utt);
                }
            }
        }
        shared
    }

    /// An upper bound of the score of `utt` (`None` when it cannot match at all), from `shared`, its bound of the
    /// literal weight shared with the input: each slot marker whose type has a candidate span in the input (or is
    /// "@any") may earn `W_SLOT` more, and the input side of the Dice denominator is at least
    /// `least_input_weight` (1 when an "@any" span could take any number of tokens). The order factor is at most 1.
    fn score_bound(
        &self,
        input: &Input,
        intent: &Intent,
        utt: &Utt,
        shared: u32,
        least_input_weight: u32,
    ) -> Option<f64> {
        let mut matched = shared;
        if utt.has_slots {
            for item in part(&self.items, utt.items) {
                if let Item::Slot(s) = *item {
                    let ty = intent.slot_ty(s);
                    if !input.spans(ty).is_empty() || self.is_any(ty) {
                        matched += W_SLOT;
                    }
                }
            }
        }
        if matched == 0 {
            return None;
        }
        let input_weight = if utt.has_any_slot { 1 } else { least_input_weight };
        Some(f64::from(2 * matched.min(utt.weight)) / f64::from(utt.weight + input_weight))
    }

    /// The exact score of one utterance: `2 × matched / (utterance weight + input weight)` times the order factor,
    /// at most 1.0, where
    /// - the slot markers take spans first: each the first free candidate span of its type after the previous
    ///   marker's, else the first free one; then "@any" markers take the free tokens between their neighbours.
    ///   A filled marker earns its span's credit, and the span counts as one `W_SLOT` item on the input side;
    /// - the literals are matched against the input's tokens not taken by a span, by merging the two lists
    ///   sorted by word id; a match earns the word's weight (3/4 of it for a typo-corrected token).
    ///
    /// With `fill`, also writes the slot values of the match. Without, a Dice coefficient that cannot reach the
    /// threshold or beat `floor` is returned as it is, without the order factor (it only lowers the score).
    fn score(
        &self,
        input: &Input,
        scratch: &mut Scratch,
        intent: &Intent,
        utt: &Utt,
        floor: f64,
        fill: Option<&mut Named<Value>>,
    ) -> f64 {
        let items = part(&self.items, utt.items);
        scratch.start(items.len());
        let mut matched = 0u32;
        let mut input_weight = input.total_weight;
        if utt.has_slots {
            let mut last_end = 0;
            for (k, &item) in items.iter().enumerate() {
                let Item::Slot(s) = item else { continue };
                let spans = input.spans(intent.slot_ty(s));
                let after_last = spans.iter().find(|sp| sp.start >= last_end && scratch.is_free(sp));
                if let Some(&sp) = after_last.or_else(|| spans.iter().find(|sp| scratch.is_free(sp))) {
                    last_end = sp.end;
                    take(scratch, k, sp, &mut matched, &mut input_weight);
                }
            }
            if utt.has_any_slot {
                for (k, &item) in items.iter().enumerate() {
                    let Item::Slot(s) = item else { continue };
                    if self.is_any(intent.slot_ty(s)) {
                        if let Some(sp) = any_span(input, scratch, items, k) {
                            take(scratch, k, sp, &mut matched, &mut input_weight);
                        }
                    }
                }
            }
        }
        // Both lists are sorted by word id; a token a span took does not count.
        let lits = part(&self.lits, utt.lits);
        let (mut li, mut ki) = (0, 0);
        while let (Some(&lit), Some(&(id, pos))) = (lits.get(li), input.known.get(ki)) {
            let pos = pos as usize;
            if !scratch.is_free_at(pos) {
                ki += 1;
                continue;
            }
            match lit.cmp(&id) {
                Ordering::Less => li += 1,
                Ordering::Greater => ki += 1,
                Ordering::Equal => {
                    let weight = at(&self.weights, id as usize);
                    matched += if at(&input.fuzzy, pos) { weight * 3 / 4 } else { weight };
                    li += 1;
                    ki += 1;
                }
            }
        }
        let denominator = utt.weight + input_weight;
        if matched == 0 || denominator == 0 {
            return 0.0;
        }
        let dice = f64::from(2 * matched) / f64::from(denominator);
        if fill.is_none() && (dice < self.threshold || dice <= floor) {
            return dice;
        }
        let score = (dice * order_factor(input, scratch, items, utt.has_slots)).min(1.0);
        if let Some(out) = fill {
            self.fill(input, scratch, intent, items, out);
        }
        score
    }

    /// The slot values of a scored utterance: the spans its markers took, then, for declared slots it does not
    /// mention, the first free span of their type.
    fn fill(&self, input: &Input, scratch: &mut Scratch, intent: &Intent, items: &[Item], out: &mut Named<Value>) {
        for (item, sp) in items.iter().zip(&scratch.slot_spans) {
            if let (Item::Slot(s), Some(sp)) = (*item, sp) {
                let slot = intent.slots.get(s as usize);
                debug_assert!(slot.is_some(), "a marker names a slot of its intent");
                let Some((name, ty)) = slot else { continue };
                if let Some(v) = self.span_value(input, *ty, sp) {
                    out.insert_first(name, v);
                }
            }
        }
        for (name, ty) in &intent.slots {
            if out.contains_key(name) {
                continue;
            }
            if let Some(sp) = input.spans(*ty as usize).iter().find(|sp| scratch.is_free(sp)) {
                scratch.consume(sp);
                if let Some(v) = self.span_value(input, *ty, sp) {
                    out.insert_first(name, v);
                }
            }
        }
    }

    fn span_value(&self, input: &Input, ty: u32, sp: &Span) -> Option<Value> {
        match sp.value {
            SpanVal::Canon(c) => match self.types.get(ty as usize) {
                Some(SlotType::Values(vs)) => vs.get(c as usize).map(|v| json::text(v.value())),
                _ => None,
            },
            SpanVal::Num(n) => num_value(n),
            SpanVal::Text => {
                let (first, last) = (input.toks.get(sp.start), input.toks.get(sp.end - 1));
                debug_assert!(first.is_some() && last.is_some(), "a span lies in the input");
                Some(json::text(slice(input.text, first?.start, last?.end)))
            }
        }
    }
}

/// The least the input side of a Dice denominator can be: the input's weight, with every candidate span
/// counted as one slot marker (`W_SLOT`) instead of its tokens' weight; at least 1.
fn least_input_weight(input: &Input) -> u32 {
    let mut saving = 0u32;
    for spans in &input.spans {
        for sp in spans {
            saving += sp.weight.saturating_sub(W_SLOT);
        }
    }
    input.total_weight.saturating_sub(saving).max(1)
}

/// The span of tokens `start..end` of an input whose token weights are `weights`, earning `W_SLOT`.
fn span(start: usize, end: usize, weights: &[u32], value: SpanVal) -> Span {
    let toks = weights.get(start..end);
    debug_assert!(toks.is_some(), "a span lies in the input");
    let weight = toks.unwrap_or_default().iter().sum();
    Span { start, end, weight, credit: W_SLOT, value }
}

/// Item `k` of the utterance takes the span `sp`: its tokens are taken, it earns its credit, and on the input
/// side it weighs `W_SLOT` instead of its tokens.
fn take(scratch: &mut Scratch, k: usize, sp: Span, matched: &mut u32, input_weight: &mut u32) {
    scratch.consume(&sp);
    let slot = scratch.slot_spans.get_mut(k);
    debug_assert!(slot.is_some(), "item {k} is an item of the utterance");
    if let Some(slot) = slot {
        *slot = Some(sp);
    }
    *matched += sp.credit;
    *input_weight = input_weight.saturating_sub(sp.weight) + W_SLOT;
}

/// The span of an "@any" marker at item `k`: the free tokens from just after its left neighbour's match (the
/// first free token of that literal, or that slot's span) up to its right neighbour's (the next free token of
/// that literal after the start, or that slot's span), cut at the first taken token.
fn any_span(input: &Input, scratch: &Scratch, items: &[Item], k: usize) -> Option<Span> {
    let n = input.ids.len();
    let find = |id: u32, from: usize| (from..n).find(|&p| at(&input.ids, p) == id && scratch.is_free_at(p));
    let slot_span = |k: usize| scratch.slot_spans.get(k).copied().flatten();
    let start = match k.checked_sub(1) {
        None => 0,
        Some(j) => match *items.get(j)? {
            Item::Lit(id) => find(id, 0)? + 1,
            Item::Slot(_) => slot_span(j)?.end,
        },
    };
    let end = match items.get(k + 1) {
        None => n,
        Some(&Item::Lit(id)) => find(id, start)?,
        Some(Item::Slot(_)) => slot_span(k + 1).filter(|sp| sp.start >= start)?.start,
    };
    let end = (start..end).find(|&p| !scratch.is_free_at(p)).unwrap_or(end);
    (end > start).then(|| span(start, end, &input.weights, SpanVal::Text))
}

/// 1.0 minus 0.1 times the share of the utterance's bigrams (slot spans as one item) missing from the input.
fn order_factor(input: &Input, scratch: &mut Scratch, items: &[Item], has_slots: bool) -> f64 {
    if items.len() < 2 {
        return 1.0;
    }
    // The input as a sequence: a filled slot's span as its marker's code, the free tokens as their word ids.
    scratch.sequence.clear();
    let mut p = 0;
    while let Some(&id) = input.ids.get(p) {
        if has_slots {
            let starting_here = |(k, sp): (usize, &Option<Span>)| Some((k, sp.filter(|sp| sp.start == p)?));
            if let Some((k, sp)) = scratch.slot_spans.iter().enumerate().find_map(starting_here) {
                scratch.sequence.push(slot_code(k));
                p = sp.end;
                continue;
            }
        }
        if scratch.is_free_at(p) {
            scratch.sequence.push(id);
        }
        p += 1;
    }
    let code = |k: usize, item: &Item| match *item {
        Item::Lit(id) => id,
        Item::Slot(_) => slot_code(k),
    };
    let bigrams = items.len() - 1;
    let mut found = 0;
    for (k, (a, b)) in items.iter().zip(items.iter().skip(1)).enumerate() {
        let pair = [code(k, a), code(k + 1, b)];
        found += usize::from(scratch.sequence.windows(2).any(|w| w == pair));
    }
    1.0 - 0.1 * (bigrams - found) as f64 / bigrams as f64
}

/// The code of the slot marker at item `k` in `order_factor`'s sequences: counted down from below `NONE`, so it
/// never equals a word id (ids count up from 0; words and items together cannot approach 2^32 in memory).
fn slot_code(k: usize) -> u32 {
    NONE - 1 - k as u32
}

/// One-shot slot extraction for a capture step: find a value of `slot` anywhere in `text` (first 2,000 chars;
/// "@any" returns the whole trimmed text). Values: canonical value of the longest matching value/synonym
/// phrase (exact tokens preferred over one-typo matches, then declaration order); Number; Email.
pub fn extract_slot(slot: &SlotType, text: &str) -> Option<Value> {
    let toks = || lex(truncate(text));
    match slot {
        SlotType::Any => Some(text.trim()).filter(|t| !t.is_empty()).map(json::text),
        SlotType::Number => toks().iter().find_map(tok_number).and_then(num_value),
        SlotType::Email => toks()
            .iter()
            .find(|t| matches!(t.kind, Kind::Email))
            .map(|t| json::text(slice(truncate(text), t.start, t.end))),
        SlotType::Values(vs) => {
            let input = toks();
            let mut best: Option<((usize, bool), &str)> = None;
            for v in vs {
                for phrase in &v.phrases {
                    let pt = lex(phrase);
                    if pt.is_empty() || pt.len() > input.len() {
                        continue;
                    }
                    for win in input.windows(pt.len()) {
                        let exact = win.iter().zip(&pt).all(|(a, b)| a.norm == b.norm);
                        let near = exact
                            || win.iter().zip(&pt).all(|(a, b)| {
                                a.norm == b.norm
                                    || (fuzzy_candidate(&a.norm)
                                        && fuzzy_candidate(&b.norm)
                                        && within_one_edit(&a.norm, &b.norm))
                            });
                        let key = (pt.len(), exact);
                        if near && best.map_or(true, |(k, _)| key > k) {
                            best = Some((key, v.value()));
                        }
                    }
                }
            }
            best.map(|(_, v)| json::text(v))
        }
    }
}

const SYNONYMS: &str = "\"synonyms\" must be an array of strings";

/// Parse the JSON form of a slot type: an array of strings / {"value", "synonyms"} objects, or one of the
/// strings "@number", "@email", "@any".
pub fn parse_slot_type(v: &Value) -> Result<SlotType, String> {
    const EXPECTED: &str = "expected \"@number\", \"@email\", \"@any\" or an array of values";
    // Strings are quoted as JSON literals in these messages: `{:?}` would link core's `Debug` escaping and its
    // Unicode tables (about 4 KB of the wasm module) for them alone.
    match v {
        Value::String(s) => match s.trim() {
            "@number" => Ok(SlotType::Number),
            "@email" => Ok(SlotType::Email),
            "@any" => Ok(SlotType::Any),
            other => Err(format!("{EXPECTED}, got the string {}", json::to_string(other))),
        },
        Value::Array(items) if items.is_empty() => Err("a slot needs at least one value".to_string()),
        Value::Array(items) => {
            let mut out = Vec::new();
            for (i, item) in items.iter().enumerate() {
                out.push(parse_slot_value(item).map_err(|e| format!("value {i}: {e}"))?);
            }
            Ok(SlotType::Values(out))
        }
        _ => Err(EXPECTED.to_string()),
    }
}

fn parse_slot_value(item: &Value) -> Result<SlotValue, String> {
    let mut phrases = Vec::new();
    match item {
        Value::String(s) => phrases.push(s.clone()),
        Value::Object(o) => {
            if let Some(k) = o.keys().find(|k| *k != "value" && *k != "synonyms") {
                return Err(format!("unknown key {}, expected \"value\" and \"synonyms\"", json::to_string(k)));
            }
            let Some(Value::String(value)) = o.get("value") else {
                return Err("\"value\" must be a string".to_string());
            };
            phrases.push(value.clone());
            match o.get("synonyms") {
                None => {}
                Some(Value::Array(a)) => {
                    for s in a {
                        let Value::String(s) = s else { return Err(SYNONYMS.to_string()) };
                        phrases.push(s.clone());
                    }
                }
                Some(_) => return Err(SYNONYMS.to_string()),
            }
        }
        _ => return Err("expected a string or {\"value\": ..., \"synonyms\": [...]}".to_string()),
    }
    for s in &phrases {
        if lex(s).is_empty() {
            return Err(format!("{} has no letters or digits", json::to_string(s)));
        }
    }
    Ok(SlotValue { phrases })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    fn spec(name: &str, utts: &[&str], slots: &[(&str, SlotType)]) -> IntentSpec {
        let mut slots: Vec<(String, SlotType)> = slots.iter().map(|(n, t)| (n.to_string(), t.clone())).collect();
        slots.sort_by(|a, b| a.0.cmp(&b.0));
        IntentSpec { name: name.into(), utterances: utts.iter().map(|s| s.to_string()).collect(), slots }
    }

    fn size() -> SlotType {
        let v = json!(["small", "medium", {"value": "large", "synonyms": ["big", "xl"]},
            {"value": "extra large", "synonyms": ["really big"]}]);
        parse_slot_type(&v).unwrap()
    }

    fn agent() -> Matcher {
        let pizza = ["I want a {size} pizza", "order {count} {size} pizzas"];
        let intents = [
            spec("order_pizza", &pizza, &[("size", size()), ("count", SlotType::Number)]),
            spec("greet", &["hello", "hi there", "good morning"], &[]),
            spec("weather", &["what is the weather like", "will it rain tomorrow"], &[]),
            spec("subscribe", &["sign me up with {email}"], &[("email", SlotType::Email)]),
            spec("remind", &["remind me to {task}"], &[("task", SlotType::Any)]),
        ];
        Matcher::new(&intents, 0.6).unwrap()
    }

    /// (intent, confidence, slots as a JSON object) of a classification.
    fn top(m: &Matcher, text: &str) -> Option<(String, f64, Value)> {
        let r = m.classify(text)?;
        Some((r.intent, r.confidence, Value::Object(r.slots.into_iter().collect())))
    }

    #[test]
    fn tokens_normalise() {
        assert_eq!(tokens("Don't ORDER pizzas!"), ["dont", "order", "pizza"]);
        assert_eq!(tokens("ordering, ordered; running"), ["order", "order", "run"]);
        assert_eq!(tokens("Ça va? 🍕🍕 ÉCOLE"), ["ça", "va", "école"]);
        assert_eq!(tokens("boxes cities class status"), ["box", "city", "class", "status"]);
        assert_eq!(tokens("我想要 pizza"), ["我", "想", "要", "pizza"]);
        assert!(tokens("  \t\n ").is_empty());
    }

    #[test]
    fn exact_matches_fill_slots() {
        let a = agent();
        let cases = json!([
            ["I want a large pizza", "order_pizza", {"size": "large"}],
            ["Order 3 big pizzas!", "order_pizza", {"count": 3, "size": "large"}],
            ["order two really big pizzas", "order_pizza", {"count": 2, "size": "extra large"}],
            ["HELLO!!", "greet", {}],
            ["Sign me up with Bob.Smith@example.co.uk.", "subscribe", {"email": "Bob.Smith@example.co.uk"}],
            ["remind me to buy milk!", "remind", {"task": "buy milk"}]
        ]);
        for c in cases.as_array().unwrap() {
            let want = (c[1].as_str().unwrap().to_string(), 1.0, c[2].clone());
            assert_eq!(top(&a, c[0].as_str().unwrap()), Some(want));
        }
    }

    #[test]
    fn paraphrases_typos_and_extra_slots() {
        let a = agent();
        let (intent, c, slots) = top(&a, "could I get a big pizza please").unwrap();
        assert!(intent == "order_pizza" && (0.6..1.0).contains(&c) && slots == json!({"size": "large"}), "{c}");
        for typo in ["I want a large pizzza", "I want a lareg pizza"] {
            let (intent, c, slots) = top(&a, typo).unwrap();
            assert!(intent == "order_pizza" && (0.8..1.0).contains(&c) && slots == json!({"size": "large"}), "{c}");
        }
        let (_, _, slots) = top(&a, "I want 4 small pizzas").unwrap();
        assert_eq!(slots, json!({"count": 4, "size": "small"}));
        assert_eq!(top(&a, "what's the weather like today?").unwrap().0, "weather");
    }

    #[test]
    fn no_match_cases() {
        let a = agent();
        for t in ["", "   \n\t", "the", "a", "I", "the a I", "tell me a joke about cats", "pizza", "🍕🍕🍕"] {
            assert_eq!(a.classify(t), None, "{t:?}");
        }
        let low = Matcher::new(&[spec("p", &["I want a {size} pizza"], &[("size", size())])], 0.0).unwrap();
        for t in ["a", "the", "i", "I the a"] {
            assert!(low.classify(t).map_or(0.0, |m| m.confidence) < 0.3, "{t}");
        }
    }

    #[test]
    fn classify_among_restricts() {
        let a = agent();
        assert_eq!(a.classify_among("I want a large pizza", &["greet", "weather"]), None);
        assert_eq!(a.classify_among("I want a large pizza", &["ORDER_Pizza"]).unwrap().intent, "order_pizza");
        assert_eq!(a.classify_among("hello", &[]), None);
    }

    #[test]
    fn ties_go_to_first_declared_and_output_is_deterministic() {
        let intents = [spec("first", &["book a table"], &[]), spec("second", &["book a table"], &[])];
        assert_eq!(Matcher::new(&intents, 0.6).unwrap().classify("book a table").unwrap().intent, "first");
        let text = "order 2 small pizzas and also a big one";
        let r = agent().classify(text);
        assert!(r.is_some());
        for _ in 0..5 {
            assert_eq!(agent().classify(text), r);
        }
    }

    #[test]
    fn undeclared_slot_is_an_error() {
        let bad = spec("order_pizza", &["a {size} pizza", "a {colour} pizza"], &[("size", size())]);
        let e = Matcher::new(&[bad], 0.6).unwrap_err();
        assert_eq!(e, "intent 'order_pizza': utterances[1] uses undeclared slot {colour}");
        assert!(Matcher::new(&[spec("x", &["{}"], &[])], 0.6).is_err());
    }

    #[test]
    fn extract_slot_forms() {
        let cases = json!([
            ["size", "make it a really big one", "extra large"],
            ["size", "SMALL please", "small"],
            ["size", "mediun", "medium"],
            ["size", "no idea", null],
            ["@number", "about 2.5 kg", 2.5],
            ["@number", "it was -4 outside", -4],
            ["@number", "twelve, I think", 12],
            ["@number", "none", null],
            ["@email", "mail <ann@x.io>, thanks", "ann@x.io"],
            ["@email", "ann@x", null],
            ["@any", "  anything goes \n", "anything goes"],
            ["@any", " \n", null]
        ]);
        for c in cases.as_array().unwrap() {
            let slot = if c[0] == "size" { size() } else { parse_slot_type(&c[0]).unwrap() };
            let got = extract_slot(&slot, c[1].as_str().unwrap());
            assert_eq!(got.unwrap_or(Value::Null), c[2], "{}", c[1]);
        }
    }

    #[test]
    fn parse_slot_type_forms_and_errors() {
        assert_eq!(parse_slot_type(&json!("@number")), Ok(SlotType::Number));
        assert_eq!(parse_slot_type(&json!("@email")), Ok(SlotType::Email));
        assert_eq!(parse_slot_type(&json!("@any")), Ok(SlotType::Any));
        let v = SlotValue { phrases: vec!["large".into(), "big".into()] };
        assert_eq!(parse_slot_type(&json!([{"value": "large", "synonyms": ["big"]}])), Ok(SlotType::Values(vec![v])));
        let bad = json!(["@date", 3, [], [1], [{"synonyms": ["x"]}], ["!!"], [{"value": "a", "synonyms": "b"}],
            [{"value": "a", "synonym": []}], null]);
        for b in bad.as_array().unwrap() {
            assert!(parse_slot_type(b).is_err(), "{b}");
        }
        assert!(parse_slot_type(&json!("@date")).unwrap_err().contains("@number"));
    }

    /// `classify` without the bound pass: every utterance of every intent scored exactly.
    fn classify_exhaustively(m: &Matcher, text: &str) -> Option<IntentMatch> {
        let input = m.prepare(text);
        if input.toks.is_empty() {
            return None;
        }
        let mut scratch = Scratch::new(input.toks.len());
        let mut best: Option<(f64, &Intent, &Utt)> = None;
        for intent in &m.intents {
            for utt in part(&m.utts, intent.utts) {
                let score = m.score(&input, &mut scratch, intent, utt, 0.0, None);
                if score > best.map_or(0.0, |b| b.0) && score >= m.threshold {
                    best = Some((score, intent, utt));
                }
            }
        }
        let (confidence, intent, utt) = best?;
        let mut slots = Named::new();
        m.score(&input, &mut scratch, intent, utt, 0.0, Some(&mut slots));
        Some(IntentMatch { intent: intent.name.clone(), confidence, slots })
    }

    #[test]
    fn the_bound_pass_only_skips_utterances_that_cannot_win() {
        const WORDS: &[&str] = &[
            "i",
            "want",
            "a",
            "the",
            "pizza",
            "pizzas",
            "order",
            "large",
            "big",
            "please",
            "book",
            "table",
            "two",
            "3",
            "2.5",
            "tomorrow",
            "rain",
            "hello",
            "there",
            "cancel",
            "my",
            "subscription",
            "me",
            "up",
            "with",
            "ann@x.io",
            "remind",
            "to",
            "buy",
            "milk",
            "really",
            "medium",
            "pizzza",
            "lareg",
            "tabel",
            "école",
        ];
        const MARKERS: &[&str] = &["{size}", "{count}", "{email}", "{task}"];
        let mut rng = crate::util::TestRng(0x0DDB_1A5E_5BAD_5EED);
        let sentence = |rng: &mut crate::util::TestRng, len: u64, markers: bool| {
            let mut words = Vec::new();
            for _ in 0..1 + rng.below(len) {
                let word = if markers && rng.below(5) == 0 {
                    MARKERS[rng.below(MARKERS.len() as u64) as usize]
                } else {
                    WORDS[rng.below(WORDS.len() as u64) as usize]
                };
                words.push(word);
            }
            words.join(" ")
        };
        let slots =
            [("count", SlotType::Number), ("email", SlotType::Email), ("size", size()), ("task", SlotType::Any)];
        let (mut compared, mut matched) = (0, 0);
        for round in 0..40 {
            let mut intents = Vec::new();
            for i in 0..1 + rng.below(6) {
                let utts: Vec<String> = (0..1 + rng.below(4)).map(|_| sentence(&mut rng, 6, true)).collect();
                let utts: Vec<&str> = utts.iter().map(String::as_str).collect();
                intents.push(spec(&format!("i{i}"), &utts, &slots));
            }
            let m = Matcher::new(&intents, [0.0, 0.3, 0.6][round % 3]).unwrap();
            for _ in 0..100 {
                let text = sentence(&mut rng, 9, false);
                let got = m.classify(&text);
                assert_eq!(got, classify_exhaustively(&m, &text), "{text:?}");
                compared += 1;
                matched += usize::from(got.is_some());
            }
        }
        assert!(matched > compared / 4, "{matched} of {compared} inputs matched: the inputs test too little");
    }

    #[test]
    fn never_panics() {
        let a = agent();
        let huge = "pizza ".repeat(20_000) + &"é🍕".repeat(10_000);
        let weird = [
            "\u{0}\u{1}\u{7f}",
            "שלום עולם",
            "مرحبا بالعالم",
            "नमस्ते दुनिया",
            "👩‍👩‍👧‍👦 ️",
            "{size}",
            "@@@.",
            "-",
            "-.5",
            "1.2.3",
            "a@b.c@d.e",
            "İSTANBUL",
            "ß ǅ ﬁ",
            "9999999999999999999999",
            "x'y’z",
            &huge,
        ];
        for t in weird {
            let _ = (a.classify(t), a.classify_among(t, &["remind", "nope"]), tokens(t));
            for s in [size(), SlotType::Number, SlotType::Email, SlotType::Any] {
                let _ = extract_slot(&s, t);
            }
        }
        let odd = ["", "{", "}", "}{", "{ size }", "🍕", "{size}{size}", &huge];
        let intents =
            [spec("odd", &odd, &[("size", size())]), spec("any", &["{t}", "{t} {t}"], &[("t", SlotType::Any)])];
        let m = Matcher::new(&intents, f64::NAN).unwrap();
        for t in weird {
            let _ = m.classify(t);
        }
        assert_eq!(m.classify("large large").unwrap().intent, "odd");
    }
}
