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
        if let Some(c) = off.get_mut(k as usize + 1) {
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

/// `v[r.0..r.1]`, or nothing if out of range: the one non-panicking slice of the `(start, end)` ranges kept below.
fn part<T>(v: &[T], r: (u32, u32)) -> &[T] {
    v.get(r.0 as usize..r.1 as usize).unwrap_or_default()
}

/// `v[i]`, or the default value if `i` is out of range. For the indices that are in range by construction (word
/// ids into `words`/`weights`, token positions into an input's vectors): the fallback is never taken, and there
/// is no bounds-check panic to generate.
fn at<T: Copy + Default>(v: &[T], i: usize) -> T {
    v.get(i).copied().unwrap_or_default()
}

/// The items of key `k` of a grouping by `offsets`.
fn group<'a, T>(v: &'a [T], off: &[u32], k: usize) -> &'a [T] {
    match (off.get(k), off.get(k + 1)) {
        (Some(&a), Some(&b)) => part(v, (a, b)),
        _ => &[],
    }
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

#[derive(Debug, Clone, Copy, PartialEq)]
enum Item {
    Lit(u32),
    /// Index into the intent's `slots`.
    Slot(u32),
}

#[derive(Debug, Clone)]
struct Utt {
    lits: (u32, u32),
    items: (u32, u32),
    weight: u32,
    markers: bool,
    any: bool,
}

#[derive(Debug, Clone)]
struct Intent {
    name: String,
    lower: String,
    utts: (u32, u32),
    /// (slot name, index into `Matcher::types`), sorted by name.
    slots: Vec<(String, u32)>,
}

#[derive(Debug, Clone)]
struct Phrase {
    toks: Vec<u32>,
    ty: u32,
    canon: u32,
}

#[derive(Debug, Clone, Copy)]
enum SpanVal {
    Canon(u32),
    Num(Num),
    Text,
}

#[derive(Debug, Clone, Copy)]
struct Span {
    start: usize,
    end: usize,
    /// Input weight of the span's tokens, and what filling a marker with it earns (less if typo-corrected).
    w: u32,
    credit: u32,
    val: SpanVal,
}

struct Input<'t> {
    text: &'t str,
    toks: Vec<Tok>,
    ids: Vec<u32>,
    fuzzy: Vec<bool>,
    w: Vec<u32>,
    total: u32,
    /// (id, position) of known tokens, sorted by id (exact before fuzzy).
    sorted: Vec<(u32, u32)>,
    /// Candidate spans per slot type, ascending, non-overlapping.
    spans: Vec<Vec<Span>>,
}

struct Scratch {
    stamp: u32,
    consumed: Vec<u32>,
    assigned: Vec<Option<Span>>,
    seq: Vec<u32>,
}

impl Scratch {
    /// True when none of the span's tokens is taken by the current attempt.
    fn is_free(&self, sp: &Span) -> bool {
        self.consumed.get(sp.start..sp.end).unwrap_or_default().iter().all(|&s| s != self.stamp)
    }

    /// Marks the span's tokens as taken by the current attempt.
    fn consume(&mut self, sp: &Span) {
        if let Some(toks) = self.consumed.get_mut(sp.start..sp.end) {
            toks.fill(self.stamp);
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
        self.slots.get(s as usize).map_or(usize::MAX, |t| t.1 as usize)
    }
}

impl Input<'_> {
    /// The candidate spans of slot type `ty` (none for an index that is not a type).
    fn spans(&self, ty: usize) -> &[Span] {
        self.spans.get(ty).map_or(&[], |l| l)
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
                let (mut markers, mut any) = (false, false);
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
                    markers = true;
                    any |= m.is_any(*ty as usize);
                }
                m.push_lits(rest);
                if m.items.len() == start {
                    continue;
                }
                // `lits` and `weight` are set below.
                let items = (start as u32, m.items.len() as u32);
                m.utts.push(Utt { lits: (0, 0), items, weight: 0, markers, any });
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
            sort_by(m.lits.get_mut(lit_start..).unwrap_or_default(), &|a, b| a < b);
            u.lits = (lit_start as u32, m.lits.len() as u32);
            u.weight = weight;
        }
        let mut firsts = Vec::new();
        for p in &m.phrases {
            // Never empty: `add_type` keeps only phrases with tokens.
            firsts.push(p.toks.first().copied().unwrap_or_default());
        }
        m.phrase_off = offsets(&firsts, m.words.len());
        m.phrase_order = (0..m.phrases.len() as u32).collect();
        // By first token, then longest first, then declaration order.
        let key = |pi: u32| {
            let len = m.phrases.get(pi as usize).map_or(0, |p| p.toks.len());
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
        self.words.get(id as usize).map_or("", |w| w)
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
        let (mut ids, mut fuzzy, mut w) = (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
        for t in &toks {
            let (id, fz) = match self.word_id(&t.norm) {
                Some(id) => (id, false),
                None if matches!(t.kind, Kind::Word) => self.fuzzy_id(&t.norm).map_or((NONE, false), |id| (id, true)),
                None => (NONE, false),
            };
            ids.push(id);
            fuzzy.push(fz);
            w.push(match id {
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
        let mut sorted = Vec::with_capacity(known.len());
        for p in known {
            sorted.push((at(&ids, p as usize), p));
        }
        let mut spans: Vec<Vec<Span>> = Vec::with_capacity(self.types.len());
        for _ in &self.types {
            spans.push(Vec::new());
        }
        for (p, (tok, &id)) in toks.iter().zip(&ids).enumerate() {
            let phrases = if id == NONE { &[][..] } else { group(&self.phrase_order, &self.phrase_off, id as usize) };
            for &pi in phrases {
                let Some(ph) = self.phrases.get(pi as usize) else { continue };
                let end = p + ph.toks.len();
                if ids.get(p..end) != Some(&ph.toks[..]) {
                    continue;
                }
                let Some(list) = spans.get_mut(ph.ty as usize) else { continue };
                if list.last().map_or(true, |l| l.end <= p) {
                    let mut sp = span(p, end, &w, SpanVal::Canon(ph.canon));
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
                list.push(span(p, p + 1, &w, val));
            }
        }
        let total = w.iter().sum();
        Input { text, toks, ids, fuzzy, w, total, sorted, spans }
    }

    fn run(&self, text: &str, mask: Option<&[bool]>) -> Option<IntentMatch> {
        let inp = self.prepare(text);
        if inp.toks.is_empty() {
            return None;
        }
        // Upper bound of the literal weight each utterance shares with the input.
        let mut acc = vec![0u32; self.utts.len()];
        let mut g = 0;
        while let Some(&(id, _)) = inp.sorted.get(g) {
            let mut c = 0;
            while inp.sorted.get(g).is_some_and(|s| s.0 == id) {
                c += 1;
                g += 1;
            }
            let id = id as usize;
            let wt = at(&self.weights, id);
            for &(u, cu) in group(&self.post, &self.post_off, id) {
                if let Some(a) = acc.get_mut(u as usize) {
                    *a += wt * c.min(cu);
                }
            }
        }
        let mut reduce = 0u32;
        for list in &inp.spans {
            for sp in list {
                reduce += sp.w.saturating_sub(W_SLOT);
            }
        }
        let i_min = inp.total.saturating_sub(reduce).max(1);
        let mut sc = Scratch { stamp: 0, consumed: vec![0; inp.toks.len()], assigned: Vec::new(), seq: Vec::new() };
        let mut best: Option<(f64, &Intent, &Utt)> = None;
        let mut best_score = 0.0;
        for (ii, intent) in self.intents.iter().enumerate() {
            if mask.is_some_and(|m| m.get(ii) == Some(&false)) {
                continue;
            }
            let first = intent.utts.0 as usize;
            for (k, u) in part(&self.utts, intent.utts).iter().enumerate() {
                let ui = first + k;
                let mut m_ub = acc.get(ui).copied().unwrap_or(0);
                if u.markers {
                    for it in part(&self.items, u.items) {
                        if let Item::Slot(s) = *it {
                            let ty = intent.slot_ty(s);
                            if !inp.spans(ty).is_empty() || self.is_any(ty) {
                                m_ub += W_SLOT;
                            }
                        }
                    }
                }
                let i_lo = if u.any { 1 } else { i_min };
                let ub = f64::from(2 * m_ub.min(u.weight)) / f64::from(u.weight + i_lo);
                if m_ub == 0 || ub < self.threshold || ub <= best_score {
                    continue;
                }
                let s = self.score(&inp, &mut sc, intent, u, best_score, None);
                if s > best_score && s >= self.threshold {
                    best_score = s;
                    best = Some((s, intent, u));
                }
            }
        }
        let (confidence, intent, u) = best?;
        let mut slots = Named::new();
        self.score(&inp, &mut sc, intent, u, 0.0, Some(&mut slots));
        Some(IntentMatch { intent: intent.name.clone(), confidence, slots })
    }

    /// Exact score of one utterance; with `fill`, also writes the slot values of the match.
    /// Without `fill`, a score that cannot beat `floor` or the threshold may be returned unrefined.
    fn score(
        &self,
        inp: &Input,
        sc: &mut Scratch,
        intent: &Intent,
        u: &Utt,
        floor: f64,
        fill: Option<&mut Named<Value>>,
    ) -> f64 {
        let items = part(&self.items, u.items);
        sc.stamp += 1;
        let stamp = sc.stamp;
        sc.assigned.clear();
        for _ in items {
            sc.assigned.push(None);
        }
        let (mut matched, mut in_w) = (0u32, inp.total);
        if u.markers {
            let mut last_end = 0;
            for (k, &it) in items.iter().enumerate() {
                let Item::Slot(s) = it else { continue };
                // The first free span after the previous slot's, else the first free one.
                let list = inp.spans(intent.slot_ty(s));
                let pick = list.iter().find(|sp| sp.start >= last_end && sc.is_free(sp));
                if let Some(&sp) = pick.or_else(|| list.iter().find(|sp| sc.is_free(sp))) {
                    last_end = sp.end;
                    take(sc, k, sp, &mut matched, &mut in_w);
                }
            }
            for (k, &it) in items.iter().enumerate() {
                let Item::Slot(s) = it else { continue };
                if u.any && self.is_any(intent.slot_ty(s)) {
                    if let Some(sp) = any_span(inp, sc, items, k) {
                        take(sc, k, sp, &mut matched, &mut in_w);
                    }
                }
            }
        }
        let lits = part(&self.lits, u.lits);
        let (mut a, mut b) = (0, 0);
        while let (Some(&lit), Some(&(id, pos))) = (lits.get(a), inp.sorted.get(b)) {
            let pos = pos as usize;
            if at(&sc.consumed, pos) == stamp {
                b += 1;
                continue;
            }
            match lit.cmp(&id) {
                Ordering::Less => a += 1,
                Ordering::Greater => b += 1,
                Ordering::Equal => {
                    let wt = at(&self.weights, id as usize);
                    matched += if at(&inp.fuzzy, pos) { wt * 3 / 4 } else { wt };
                    a += 1;
                    b += 1;
                }
            }
        }
        let denom = u.weight + in_w;
        if matched == 0 || denom == 0 {
            return 0.0;
        }
        let dice = f64::from(2 * matched) / f64::from(denom);
        if fill.is_none() && (dice < self.threshold || dice <= floor) {
            return dice;
        }
        let score = (dice * order_factor(inp, sc, items, u.markers)).min(1.0);
        if let Some(out) = fill {
            self.fill(inp, sc, intent, items, out);
        }
        score
    }

    fn fill(&self, inp: &Input, sc: &mut Scratch, intent: &Intent, items: &[Item], out: &mut Named<Value>) {
        for (it, sp) in items.iter().zip(&sc.assigned) {
            if let (Item::Slot(s), Some(sp)) = (*it, sp) {
                let Some((name, ty)) = intent.slots.get(s as usize) else { continue };
                if let Some(v) = self.span_value(inp, *ty, sp) {
                    out.insert_first(name, v);
                }
            }
        }
        // Declared slots the utterance does not mention are filled from the remaining spans.
        for (name, ty) in &intent.slots {
            if out.contains_key(name) {
                continue;
            }
            for sp in inp.spans(*ty as usize) {
                if sc.is_free(sp) {
                    sc.consume(sp);
                    if let Some(v) = self.span_value(inp, *ty, sp) {
                        out.insert_first(name, v);
                    }
                    break;
                }
            }
        }
    }

    fn span_value(&self, inp: &Input, ty: u32, sp: &Span) -> Option<Value> {
        match sp.val {
            SpanVal::Canon(c) => match self.types.get(ty as usize) {
                Some(SlotType::Values(vs)) => vs.get(c as usize).map(|v| json::text(v.value())),
                _ => None,
            },
            SpanVal::Num(n) => num_value(n),
            SpanVal::Text => {
                let (s, e) = (inp.toks.get(sp.start)?.start, inp.toks.get(sp.end - 1)?.end);
                Some(json::text(slice(inp.text, s, e)))
            }
        }
    }
}

fn span(start: usize, end: usize, w: &[u32], val: SpanVal) -> Span {
    let w = w.get(start..end).unwrap_or_default().iter().sum();
    let credit = W_SLOT;
    Span { start, end, w, credit, val }
}

fn take(sc: &mut Scratch, k: usize, sp: Span, matched: &mut u32, in_w: &mut u32) {
    sc.consume(&sp);
    if let Some(a) = sc.assigned.get_mut(k) {
        *a = Some(sp);
    }
    *matched += sp.credit;
    *in_w = in_w.saturating_sub(sp.w) + W_SLOT;
}

/// The span of an "@any" marker: the free tokens between its neighbours' matches.
fn any_span(inp: &Input, sc: &Scratch, items: &[Item], k: usize) -> Option<Span> {
    let n = inp.ids.len();
    let free = |p: usize| at(&sc.consumed, p) != sc.stamp;
    let find = |id: u32, from: usize| (from..n).find(|&p| at(&inp.ids, p) == id && free(p));
    let assigned = |k: usize| sc.assigned.get(k).copied().flatten();
    let start = match k.checked_sub(1) {
        None => 0,
        Some(j) => match *items.get(j)? {
            Item::Lit(id) => find(id, 0)? + 1,
            Item::Slot(_) => assigned(j)?.end,
        },
    };
    let end = match items.get(k + 1) {
        None => n,
        Some(&Item::Lit(id)) => find(id, start)?,
        Some(Item::Slot(_)) => assigned(k + 1).filter(|sp| sp.start >= start)?.start,
    };
    let end = (start..end).find(|&p| !free(p)).unwrap_or(end);
    (end > start).then(|| span(start, end, &inp.w, SpanVal::Text))
}

/// 1.0 minus 0.1 times the share of the utterance's bigrams (slot spans as one item) missing from the input.
fn order_factor(inp: &Input, sc: &mut Scratch, items: &[Item], markers: bool) -> f64 {
    if items.len() < 2 {
        return 1.0;
    }
    sc.seq.clear();
    let mut p = 0;
    while let Some(&id) = inp.ids.get(p) {
        if markers {
            let at_p = |(k, s): (usize, &Option<Span>)| Some((k, s.filter(|sp| sp.start == p)?));
            if let Some((k, sp)) = sc.assigned.iter().enumerate().find_map(at_p) {
                sc.seq.push(slot_code(k));
                p = sp.end;
                continue;
            }
        }
        if at(&sc.consumed, p) != sc.stamp {
            sc.seq.push(id);
        }
        p += 1;
    }
    let code = |k: usize, it: &Item| match *it {
        Item::Lit(id) => id,
        Item::Slot(_) => slot_code(k),
    };
    let total = items.len() - 1;
    let mut found = 0;
    for (k, (a, b)) in items.iter().zip(items.iter().skip(1)).enumerate() {
        let pair = [code(k, a), code(k + 1, b)];
        found += usize::from(sc.seq.windows(2).any(|w| w == pair));
    }
    1.0 - 0.1 * (total - found) as f64 / total as f64
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
