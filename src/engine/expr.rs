//! A tiny expression language for `condition` (`"if"`) and `set` steps in agent files.
//!
//! Values are JSON: numbers (`12`, `3.5`), strings (`"a"` or `'a'`, escapes `\" \' \\ \n \t`),
//! `true`, `false`, `null`, and variable paths such as `cart_total` or `items.0.sku` (missing
//! variables are `null`). Operators, loosest first: `or`/`||`, `and`/`&&` (short-circuit, give a
//! bool), prefix `not`/`!`, comparisons `== != < <= > >= contains` (non-associative), `+ -`,
//! `* / %`, unary `-`, then parentheses. Keywords are case-insensitive.
//! Evaluation is loose and never fails: numeric strings compare as numbers, `+` concatenates when
//! a string is involved, bad arithmetic (wrong types, division by zero) gives `null`.
//! Expressions are parsed once (errors carry a 0-based character position) and evaluated often.

use crate::json::{Number, Value};
use std::cmp::Ordering;
use std::num::NonZeroU64;

use super::template::text_of;
use crate::json::float::parse_f64;
use crate::json::fold::fold;

/// Longest accepted source, in characters.
const MAX_LEN: usize = 4096;
/// Deepest accepted nesting of parentheses and prefix operators.
const MAX_DEPTH: usize = 64;
/// The error past [`MAX_DEPTH`] (its number spelled out: a constant string needs no formatting).
const TOO_DEEP: &str = "expression is nested too deeply (more than 64 levels of parentheses or prefix operators)";
const EXPECTED_EXPR: &str = "expected an expression but found ";
/// 2^53: every integer up to this magnitude is exact in an f64.
const MAX_SAFE: f64 = 9_007_199_254_740_992.0;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message} (at character {position})")]
pub struct ExprError {
    pub message: String,
    /// 0-based character (not byte) offset into the source.
    pub position: usize,
}

fn fail<T>(message: impl Into<String>, position: usize) -> Result<T, ExprError> {
    Err(ExprError { message: message.into(), position })
}

/// A parsed expression, ready to be evaluated many times.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    root: Node,
}

/// AST. Chains of same-precedence operators are stored flat, so the tree depth is bounded by
/// the nesting depth of the source (which the parser limits), not by its length.
#[derive(Debug, Clone, PartialEq)]
enum Node {
    Lit(Value),
    Var(String),
    Not(Box<Node>),
    Neg(Box<Node>),
    And(Vec<Node>),
    Or(Vec<Node>),
    Cmp(CmpOp, Box<Node>, Box<Node>),
    Arith(Box<Node>, Vec<(ArithOp, Node)>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Contains,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl Expr {
    /// Parse an expression. Errors name what was expected, e.g.
    /// "expected ')' but found end of input".
    pub fn parse(src: &str) -> Result<Expr, ExprError> {
        let len = src.chars().count();
        if len > MAX_LEN {
            return fail(format!("expression is too long ({len} characters, limit is {MAX_LEN})"), MAX_LEN);
        }
        let chars: Vec<char> = src.chars().collect();
        let toks = lex(&chars)?;
        let eof = Token { tok: Tok::Eof, pos: len, end: len };
        let mut p = Parser { chars, toks, i: 0, depth: 0, eof };
        let root = p.parse_logic(true)?;
        let t = p.peek();
        if !matches!(t.tok, Tok::Eof) {
            return p.fail_found("expected an operator or end of input but found ", "");
        }
        Ok(Expr { root })
    }

    /// Evaluate. `lookup` resolves a whole dotted variable path as written. Never panics.
    pub fn eval(&self, lookup: &dyn Fn(&str) -> Option<Value>) -> Value {
        eval_node(&self.root, lookup)
    }

    /// Evaluate and convert to bool with [`truthy`].
    pub fn test(&self, lookup: &dyn Fn(&str) -> Option<Value>) -> bool {
        truthy(&self.eval(lookup))
    }

    /// Every variable path the expression reads, in order of first appearance, without duplicates.
    pub fn variables(&self) -> Vec<String> {
        let mut out = Vec::new();
        collect_vars(&self.root, &mut out);
        out
    }
}

/// JS-like truthiness: null, false, 0, NaN, "" are false; everything else (incl. empty
/// array/object) true.
pub fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

// ---------------------------------------------------------------- lexer

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Str(String),
    Var(String),
    True,
    False,
    Null,
    And,
    Or,
    Not,
    Cmp(CmpOp),
    /// `-` doubles as unary minus.
    Arith(ArithOp),
    LParen,
    RParen,
    Eof,
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    /// Char range in the source.
    pos: usize,
    end: usize,
}

/// The chars `a..b` of the source, a token's range: always in range, which debug builds check.
fn slice(chars: &[char], a: usize, b: usize) -> String {
    let mut out = String::new();
    let part = chars.get(a..b);
    debug_assert!(part.is_some(), "chars {a}..{b} of {}", chars.len());
    for &c in part.unwrap_or_default() {
        out.push(c);
    }
    out
}

fn is_word(c: &char) -> bool {
    c.is_ascii_alphanumeric() || *c == '_'
}

fn lex(chars: &[char]) -> Result<Vec<Token>, ExprError> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        let start = i;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let tok = if c.is_ascii_digit() {
            while chars.get(i).is_some_and(char::is_ascii_digit) {
                i += 1;
            }
            if chars.get(i) == Some(&'.') && chars.get(i + 1).is_some_and(char::is_ascii_digit) {
                i += 1;
                while chars.get(i).is_some_and(char::is_ascii_digit) {
                    i += 1;
                }
            }
            let n = parse_f64(&slice(chars, start, i)).unwrap_or(f64::INFINITY);
            if !n.is_finite() {
                return fail("number is too large", start);
            }
            Tok::Num(n)
        } else if c.is_ascii_alphabetic() || c == '_' {
            while chars.get(i).is_some_and(is_word) {
                i += 1;
            }
            match slice(chars, start, i).to_ascii_lowercase().as_str() {
                "and" => Tok::And,
                "or" => Tok::Or,
                "not" => Tok::Not,
                "contains" => Tok::Cmp(CmpOp::Contains),
                "true" => Tok::True,
                "false" => Tok::False,
                "null" => Tok::Null,
                _ => {
                    while chars.get(i) == Some(&'.') {
                        let seg = i + 1;
                        i = seg;
                        while chars.get(i).is_some_and(is_word) {
                            i += 1;
                        }
                        if i == seg {
                            return fail("expected a name or index after '.'", seg);
                        }
                    }
                    Tok::Var(slice(chars, start, i))
                }
            }
        } else if c == '"' || c == '\'' {
            let (text, end) = lex_string(chars, start, c)?;
            i = end;
            Tok::Str(text)
        } else {
            let next = chars.get(i + 1).copied();
            let (tok, n) = match (c, next) {
                ('=', Some('=')) => (Tok::Cmp(CmpOp::Eq), 2),
                ('!', Some('=')) => (Tok::Cmp(CmpOp::Ne), 2),
                ('<', Some('=')) => (Tok::Cmp(CmpOp::Le), 2),
                ('>', Some('=')) => (Tok::Cmp(CmpOp::Ge), 2),
                ('&', Some('&')) => (Tok::And, 2),
                ('|', Some('|')) => (Tok::Or, 2),
                ('<', _) => (Tok::Cmp(CmpOp::Lt), 1),
                ('>', _) => (Tok::Cmp(CmpOp::Gt), 1),
                ('!', _) => (Tok::Not, 1),
                ('+', _) => (Tok::Arith(ArithOp::Add), 1),
                ('-', _) => (Tok::Arith(ArithOp::Sub), 1),
                ('*', _) => (Tok::Arith(ArithOp::Mul), 1),
                ('/', _) => (Tok::Arith(ArithOp::Div), 1),
                ('%', _) => (Tok::Arith(ArithOp::Rem), 1),
                ('(', _) => (Tok::LParen, 1),
                (')', _) => (Tok::RParen, 1),
                ('=', _) => return fail("unexpected '=': use '==' to compare", start),
                ('&', _) => return fail("unexpected '&': use '&&' or 'and'", start),
                ('|', _) => return fail("unexpected '|': use '||' or 'or'", start),
                _ => return fail(around("unexpected character '", c, "'"), start),
            };
            i += n;
            tok
        };
        out.push(Token { tok, pos: start, end: i });
    }
    Ok(out)
}

/// Lex a string literal opened by `quote` at `start`; returns its value and the index after it.
fn lex_string(chars: &[char], start: usize, quote: char) -> Result<(String, usize), ExprError> {
    let unterminated = || fail(around("unterminated string: missing closing ", quote, ""), start);
    let mut s = String::new();
    let mut i = start + 1;
    loop {
        match chars.get(i) {
            None => return unterminated(),
            Some(&q) if q == quote => return Ok((s, i + 1)),
            Some('\\') => {
                s.push(match chars.get(i + 1) {
                    Some('"') => '"',
                    Some('\'') => '\'',
                    Some('\\') => '\\',
                    Some('n') => '\n',
                    Some('t') => '\t',
                    None => return unterminated(),
                    Some(o) => {
                        return fail(around("invalid escape '\\", *o, "' (allowed: \\\" \\' \\\\ \\n \\t)"), i);
                    }
                });
                i += 2;
            }
            Some(&o) => {
                s.push(o);
                i += 1;
            }
        }
    }
}

/// `{before}{c}{after}`: the lexer's messages that name a character, without a `format!` each.
fn around(before: &str, c: char, after: &str) -> String {
    let mut m = String::from(before);
    m.push(c);
    m.push_str(after);
    m
}

// ---------------------------------------------------------------- parser

struct Parser {
    chars: Vec<char>,
    toks: Vec<Token>,
    i: usize,
    depth: usize,
    eof: Token,
}

impl Parser {
    fn peek(&self) -> &Token {
        self.toks.get(self.i).unwrap_or(&self.eof)
    }

    /// The error `{before}{the next token, quoted, or "end of input"}{after}`, at the next token.
    fn fail_found<T>(&self, before: &str, after: &str) -> Result<T, ExprError> {
        let t = self.peek();
        let mut m = before.to_string();
        if matches!(t.tok, Tok::Eof) {
            m.push_str("end of input");
        } else {
            m.push('\'');
            m.push_str(&slice(&self.chars, t.pos, t.end.min(t.pos + 30)));
            if t.end - t.pos > 30 {
                m.push_str("...");
            }
            m.push('\'');
        }
        m.push_str(after);
        fail(m, t.pos)
    }

    fn bump(&mut self) {
        if self.i < self.toks.len() {
            self.i += 1;
        }
    }

    /// Count one level of nesting; all parser recursion goes through here.
    fn enter(&mut self, pos: usize) -> Result<(), ExprError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return fail(TOO_DEEP, pos);
        }
        Ok(())
    }

    /// `or` selects the `or` level, otherwise the `and` level.
    fn parse_logic(&mut self, or: bool) -> Result<Node, ExprError> {
        let operand = |p: &mut Self| if or { p.parse_logic(false) } else { p.parse_prefix(true) };
        let mut items = Vec::new();
        items.push(operand(self)?);
        while matches!((or, &self.peek().tok), (true, Tok::Or) | (false, Tok::And)) {
            self.bump();
            items.push(operand(self)?);
        }
        if items.len() == 1 {
            return Ok(items.pop().unwrap_or(Node::Lit(Value::Null)));
        }
        Ok(if or { Node::Or(items) } else { Node::And(items) })
    }

    /// `not` selects the prefix `not`/`!` level (above comparisons), otherwise unary minus (above primaries).
    fn parse_prefix(&mut self, not: bool) -> Result<Node, ExprError> {
        let t = self.peek();
        let is_op = if not { matches!(t.tok, Tok::Not) } else { matches!(t.tok, Tok::Arith(ArithOp::Sub)) };
        if !is_op {
            return if not { self.parse_cmp() } else { self.parse_primary() };
        }
        let pos = t.pos;
        self.bump();
        self.enter(pos)?;
        let inner = Box::new(self.parse_prefix(not)?);
        self.depth -= 1;
        Ok(if not { Node::Not(inner) } else { Node::Neg(inner) })
    }

    fn parse_cmp(&mut self) -> Result<Node, ExprError> {
        let left = self.parse_arith(true)?;
        let Tok::Cmp(op) = self.peek().tok else {
            return Ok(left);
        };
        self.bump();
        let right = self.parse_arith(true)?;
        if let Tok::Cmp(_) = self.peek().tok {
            return self.fail_found(
                "comparisons cannot be chained: found ",
                " after a comparison; combine them with 'and', e.g. a < b and b < c",
            );
        }
        Ok(Node::Cmp(op, Box::new(left), Box::new(right)))
    }

    /// `additive` selects the `+ -` level; otherwise the `* / %` level.
    fn parse_arith(&mut self, additive: bool) -> Result<Node, ExprError> {
        let operand = |p: &mut Self| {
            if additive {
                p.parse_arith(false)
            } else {
                p.parse_prefix(false)
            }
        };
        let first = operand(self)?;
        let mut rest = Vec::new();
        while let Tok::Arith(op) = self.peek().tok {
            let ours = matches!(op, ArithOp::Add | ArithOp::Sub) == additive;
            if !ours {
                break;
            }
            self.bump();
            rest.push((op, operand(self)?));
        }
        if rest.is_empty() {
            Ok(first)
        } else {
            Ok(Node::Arith(Box::new(first), rest))
        }
    }

    fn parse_primary(&mut self) -> Result<Node, ExprError> {
        let t = self.peek();
        let pos = t.pos;
        let node = match &t.tok {
            Tok::Num(n) => Node::Lit(num_value(*n)),
            Tok::Str(s) => Node::Lit(Value::String(s.clone())),
            Tok::True => Node::Lit(Value::Bool(true)),
            Tok::False => Node::Lit(Value::Bool(false)),
            Tok::Null => Node::Lit(Value::Null),
            Tok::Var(p) => Node::Var(p.clone()),
            Tok::LParen => {
                self.bump();
                self.enter(pos)?;
                let inner = self.parse_logic(true)?;
                self.depth -= 1;
                if !matches!(self.peek().tok, Tok::RParen) {
                    return self.fail_found("expected ')' but found ", "");
                }
                self.bump();
                return Ok(inner);
            }
            Tok::Not => return self.fail_found(EXPECTED_EXPR, "; wrap it in parentheses, e.g. (not x)"),
            _ => return self.fail_found(EXPECTED_EXPR, ""),
        };
        self.bump();
        Ok(node)
    }
}

// ---------------------------------------------------------------- evaluation

fn eval_node(n: &Node, lookup: &dyn Fn(&str) -> Option<Value>) -> Value {
    match n {
        Node::Lit(v) => v.clone(),
        Node::Var(path) => lookup(path).unwrap_or(Value::Null),
        Node::Not(x) => Value::Bool(!truthy(&eval_node(x, lookup))),
        Node::Neg(x) => to_number(&eval_node(x, lookup)).map_or(Value::Null, |f| num_value(-f)),
        // `and` is true when no operand is falsy, `or` when one is truthy: both stop at the first such operand.
        Node::And(items) | Node::Or(items) => {
            let or = matches!(n, Node::Or(_));
            Value::Bool(items.iter().any(|x| truthy(&eval_node(x, lookup)) == or) == or)
        }
        Node::Cmp(op, a, b) => {
            let (a, b) = (eval_node(a, lookup), eval_node(b, lookup));
            let r = match op {
                CmpOp::Eq => loose_eq(&a, &b, 0),
                CmpOp::Ne => !loose_eq(&a, &b, 0),
                CmpOp::Contains => contains(&a, &b),
                _ => ordering(&a, &b).is_some_and(|o| match op {
                    CmpOp::Lt => o.is_lt(),
                    CmpOp::Le => o.is_le(),
                    CmpOp::Gt => o.is_gt(),
                    _ => o.is_ge(),
                }),
            };
            Value::Bool(r)
        }
        Node::Arith(first, rest) => {
            rest.iter().fold(eval_node(first, lookup), |acc, (op, x)| arith(*op, &acc, &eval_node(x, lookup)))
        }
    }
}

fn collect_vars(n: &Node, out: &mut Vec<String>) {
    match n {
        Node::Lit(_) => {}
        Node::Var(p) => {
            if !out.contains(p) {
                out.push(p.clone());
            }
        }
        Node::Not(x) | Node::Neg(x) => collect_vars(x, out),
        Node::And(items) | Node::Or(items) => items.iter().for_each(|x| collect_vars(x, out)),
        Node::Cmp(_, a, b) => {
            collect_vars(a, out);
            collect_vars(b, out);
        }
        Node::Arith(first, rest) => {
            collect_vars(first, out);
            rest.iter().for_each(|(_, x)| collect_vars(x, out));
        }
    }
}

/// A string that is entirely a (finite) number, ignoring surrounding whitespace.
fn numeric_str(s: &str) -> Option<f64> {
    let t = s.trim();
    let plausible = t.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'));
    if t.is_empty() || !plausible {
        return None; // also rejects "inf", "NaN", which Rust's parser would accept
    }
    parse_f64(t).filter(|f| f.is_finite())
}

/// Number conversion for comparisons and `- * / %`: numbers, numeric strings, bools.
fn to_number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        Value::String(s) => numeric_str(s),
        _ => None,
    }
}

/// Number conversion for `+`: only real numbers and bools (numeric strings concatenate).
fn to_add_number(v: &Value) -> Option<f64> {
    match v {
        Value::String(_) => None,
        _ => to_number(v),
    }
}

/// Integral results within ±2^53 become JSON integers; NaN/inf become null.
fn num_value(f: f64) -> Value {
    if !f.is_finite() {
        Value::Null
    } else if f.fract() == 0.0 && f.abs() <= MAX_SAFE {
        Value::from(f as i64)
    } else {
        Number::from_f64(f).map_or(Value::Null, Value::Number)
    }
}

/// String form used by `+` concatenation and `contains`: whole f64s up to ±2^53 read as integers (no f64 lies
/// between 2^53 and 2^53 + 2).
fn to_text(v: &Value) -> String {
    text_of(v, MAX_SAFE + 2.0)
}

fn arith(op: ArithOp, a: &Value, b: &Value) -> Value {
    if op == ArithOp::Add {
        return match (to_add_number(a), to_add_number(b)) {
            (Some(x), Some(y)) => num_value(x + y),
            _ if a.is_string() || b.is_string() => Value::String(to_text(a) + &to_text(b)),
            _ => Value::Null,
        };
    }
    let (Some(x), Some(y)) = (to_number(a), to_number(b)) else {
        return Value::Null;
    };
    match op {
        ArithOp::Sub => num_value(x - y),
        ArithOp::Mul => num_value(x * y),
        _ if y == 0.0 => Value::Null,
        ArithOp::Div => num_value(x / y),
        _ => num_value(fmod(x, y)),
    }
}

/// `x % y` for finite `x` and non-zero finite `y`, exact like IEEE fmod, using only u64 arithmetic (std's `%`
/// on f64 brings in 128-bit integer division).
fn fmod(x: f64, y: f64) -> f64 {
    // (integer mantissa, exponent of its unit) of a finite non-negative value.
    let split = |a: f64| {
        let b = a.to_bits();
        let (e, m) = ((b >> 52) as i32, b & ((1 << 52) - 1));
        if e == 0 {
            (m, -1074)
        } else {
            (m | 1 << 52, e - 1075)
        }
    };
    let ((mx, ex), (my, ey)) = (split(x.abs()), split(y.abs()));
    if x.abs() < y.abs() {
        return x;
    }
    // Only a zero `y` has a zero mantissa (NaN, as IEEE, though callers never pass it); dividing by a `NonZeroU64`
    // has no division-by-zero panic path.
    let Some(my) = NonZeroU64::new(my) else { return f64::NAN };
    // |x| = mx * 2^ex with ex >= ey; reduce mx * 2^(ex - ey) modulo my one doubling at a time.
    let mut r = mx % my;
    for _ in 0..ex - ey {
        r = (r << 1) % my;
    }
    let unit = if ey >= -1022 { f64::from_bits(((ey + 1023) as u64) << 52) } else { f64::from_bits(1 << (ey + 1074)) };
    (r as f64 * unit).copysign(x)
}

fn loose_eq(a: &Value, b: &Value, depth: usize) -> bool {
    match (a, b) {
        (Value::Number(_), Value::Number(_))
        | (Value::Number(_), Value::String(_))
        | (Value::String(_), Value::Number(_)) => match (to_number(a), to_number(b)) {
            (Some(x), Some(y)) => x == y,
            _ => false,
        },
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Null, Value::Null) => true,
        _ if depth > MAX_DEPTH => a == b,
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| loose_eq(p, q, depth + 1))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, p)| y.get(k).is_some_and(|q| loose_eq(p, q, depth + 1)))
        }
        _ => false,
    }
}

fn ordering(a: &Value, b: &Value) -> Option<Ordering> {
    match (to_number(a), to_number(b), a, b) {
        (Some(x), Some(y), _, _) => x.partial_cmp(&y),
        (_, _, Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

fn contains(hay: &Value, needle: &Value) -> bool {
    match (hay, needle) {
        (Value::String(s), Value::String(_) | Value::Number(_) | Value::Bool(_)) => {
            crate::util::find(&fold(s), &fold(&to_text(needle))).is_some()
        }
        (Value::Array(items), _) => items.iter().any(|x| loose_eq(x, needle, 0)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    fn vars() -> Value {
        json!({
            "cart_total": 150, "name": "Ada", "empty": "", "zero": 0, "count": 2,
            "price": "19.5", "flag": true, "tags": ["vip", "new", 3],
            "last_event": {"payload": {"sku": "A-1"}}, "items": [{"sku": "x1"}], "f": 3.0
        })
    }

    fn lookup(path: &str) -> Option<Value> {
        vars().pointer(&format!("/{}", path.replace('.', "/"))).cloned()
    }

    fn ev(src: &str) -> Value {
        Expr::parse(src).unwrap_or_else(|e| panic!("{src}: {e}")).eval(&lookup)
    }

    fn t(src: &str) -> bool {
        Expr::parse(src).unwrap_or_else(|e| panic!("{src}: {e}")).test(&lookup)
    }

    /// Every `;`-separated expression in `list` must test as `want`.
    fn each(list: &str, want: bool) {
        for src in list.split(';') {
            assert_eq!(t(src), want, "{src}");
        }
    }

    fn perr(src: &str) -> ExprError {
        match Expr::parse(src) {
            Err(e) => e,
            Ok(x) => panic!("{src} parsed: {x:?}"),
        }
    }

    #[test]
    fn literals_and_variables() {
        assert_eq!(ev("12"), json!(12));
        assert_eq!(ev("3.5"), json!(3.5));
        assert_eq!(ev("-2"), json!(-2));
        assert_eq!(ev(r#""a\"b\\c\n\t""#), json!("a\"b\\c\n\t"));
        assert_eq!(ev(r"'it\'s'"), json!("it's"));
        assert_eq!(ev("TRUE"), json!(true));
        assert_eq!(ev("False"), json!(false));
        assert_eq!(ev("NULL"), Value::Null);
        assert_eq!(ev("cart_total"), json!(150));
        assert_eq!(ev("last_event.payload.sku"), json!("A-1"));
        assert_eq!(ev("items.0.sku"), json!("x1"));
        assert_eq!(ev("missing"), Value::Null);
        assert_eq!(ev("missing.deep.path"), Value::Null);
        assert_eq!(ev("  ( cart_total )  "), json!(150));
    }

    #[test]
    fn precedence() {
        assert_eq!(ev("1 + 2 * 3"), json!(7));
        assert_eq!(ev("(1 + 2) * 3"), json!(9));
        assert_eq!(ev("10 - 4 - 3"), json!(3));
        assert_eq!(ev("2 * 3 % 4"), json!(2));
        assert_eq!(ev("-2 * -3"), json!(6));
        assert_eq!(ev("- -2"), json!(2));
        each(
            "1 + 1 == 2; not 1 == 2; !false && true; true or false and false; false or 2 > 1; \
             cart_total > 100 and not (name == \"\")",
            true,
        );
        each("(true or false) and false; not not false", false);
    }

    #[test]
    fn logic_short_circuit_returns_bool() {
        assert_eq!(ev("1 and 'x'"), json!(true));
        assert_eq!(ev("0 or ''"), json!(false));
        assert_eq!(ev("null || 5"), json!(true));
        assert_eq!(ev("!empty"), json!(true));
        let calls = std::cell::Cell::new(0);
        let lk = |p: &str| {
            calls.set(calls.get() + 1);
            lookup(p)
        };
        assert!(!Expr::parse("false and x").unwrap().test(&lk));
        assert!(Expr::parse("true or x").unwrap().test(&lk));
        assert_eq!(calls.get(), 0);
    }

    #[test]
    fn equality_is_loose() {
        let yes = "cart_total == '150'; ' 150 ' == cart_total; price == 19.5; f == 3; \
                   name == 'Ada'; flag == true; missing == null; cart_total != 151; name != null";
        each(yes, true);
        let no = "name == 'ada'; flag == 1; null == ''; null == 0; null == false; 'abc' == 0; \
                  '' == 0; 'nan' == 'NaN' + 1";
        each(no, false);
        let e = Expr::parse("a == b").unwrap();
        let lk = |p: &str| Some(if p == "a" { json!([1, {"k": "2"}]) } else { json!([1.0, {"k": 2}]) });
        assert!(e.test(&lk));
        let lk = |p: &str| Some(if p == "a" { json!([1, 2]) } else { json!([1]) });
        assert!(!e.test(&lk));
    }

    #[test]
    fn ordering_comparisons() {
        let yes = "cart_total > 100; cart_total >= 150; cart_total <= 150; '10' > '9'; \
                   price < 20; true > 0; 'apple' < 'banana'; 'B' < 'a'";
        each(yes, true);
        each("cart_total < 150; missing < 1; missing >= 1; 'abc' > 1; tags > 1", false);
    }

    #[test]
    fn contains_operator() {
        let yes = "name contains 'ad'; name CONTAINS 'DA'; name contains ''; \
                   'room 12' contains 12; tags contains 'vip'; tags contains '3'";
        each(yes, true);
        let no = "name contains 'x'; tags contains 'VIP'; tags contains null; \
                  missing contains 'a'; name contains null; cart_total contains 1";
        each(no, false);
    }

    #[test]
    fn arithmetic() {
        assert_eq!(ev("count + 1"), json!(3));
        assert_eq!(ev("7 / 2"), json!(3.5));
        assert_eq!(ev("6 / 2"), json!(3));
        assert!(ev("6 / 2").is_i64());
        assert!(ev("f * 1").is_i64());
        assert_eq!(ev("7 % 3"), json!(1));
        assert_eq!(ev("1 / 0"), Value::Null);
        assert_eq!(ev("1 % 0"), Value::Null);
        assert_eq!(ev("price * 2"), json!(39));
        assert_eq!(ev("'5' - 2"), json!(3));
        assert_eq!(ev("true + true"), json!(2));
        assert_eq!(ev("missing + 1"), Value::Null);
        assert_eq!(ev("missing - 1"), Value::Null);
        assert_eq!(ev("'a' * 2"), Value::Null);
        assert_eq!(ev("-name"), Value::Null);
        assert_eq!(ev("-price"), json!(-19.5));
        assert_eq!(ev("0.1 + 0.2"), json!(0.1 + 0.2));
        assert_eq!(ev("99999999999 * 99999999999"), json!(99999999999.0f64 * 99999999999.0));
        assert_eq!(ev("9007199254740992 * 2").as_f64(), Some(18014398509481984.0));
        let huge = "9".repeat(300);
        assert_eq!(ev(&format!("{huge} * {huge}")), Value::Null);
    }

    #[test]
    fn plus_concatenates() {
        assert_eq!(ev("'a' + 1"), json!("a1"));
        assert_eq!(ev("1 + '2'"), json!("12"));
        assert_eq!(ev("name + ' ' + count"), json!("Ada 2"));
        assert_eq!(ev("'x' + f"), json!("x3"));
        assert_eq!(ev("'x' + 2.5"), json!("x2.5"));
        assert_eq!(ev("'x' + missing"), json!("x"));
        assert_eq!(ev("'x' + true"), json!("xtrue"));
        assert_eq!(ev("'t:' + tags"), json!("t:[\"vip\",\"new\",3]"));
        assert_eq!(ev("null + null"), Value::Null);
        assert_eq!(ev("tags + 1"), Value::Null);
    }

    #[test]
    fn fmod_is_exact() {
        let mut rng = crate::util::TestRng(0x2545_F491_4F6C_DD1D);
        let mut next = move || rng.next();
        let special =
            [1.0, -1.0, 3.0, 0.5, 0.1, -7.25, 1e300, -1e-300, 5e-324, 2.2e-308, f64::MAX, f64::MIN_POSITIVE, 0.0];
        for i in 0..200_000 {
            let pick = |r: u64| match r % 3 {
                0 => special[(r >> 8) as usize % special.len()],
                1 => ((r >> 12) % 2001) as f64 - 1000.0 + ((r >> 40) % 8) as f64 / 8.0,
                _ => f64::from_bits(r >> 1 | (r & 1) << 63),
            };
            let (x, y) = (pick(next()), pick(next()));
            if !x.is_finite() || !y.is_finite() || y == 0.0 {
                continue;
            }
            let (got, want) = (fmod(x, y), x % y);
            assert!(got.to_bits() == want.to_bits(), "{i}: {x:e} % {y:e} = {want:e}, got {got:e}");
        }
    }

    #[test]
    fn truthiness() {
        for v in [json!(null), json!(false), json!(0), json!(0.0), json!("")] {
            assert!(!truthy(&v), "{v}");
        }
        for v in [json!(true), json!(-1), json!("0"), json!([]), json!({}), json!(" ")] {
            assert!(truthy(&v), "{v}");
        }
    }

    #[test]
    fn variables_in_order_without_duplicates() {
        let e = Expr::parse("b + a.x > 1 and (c or b) and not a.x contains d").unwrap();
        assert_eq!(e.variables(), ["b", "a.x", "c", "d"]);
        assert!(Expr::parse("1 + 'a'").unwrap().variables().is_empty());
    }

    #[test]
    fn parse_errors_have_positions() {
        let e = perr("(1 + 2");
        assert_eq!(e.message, "expected ')' but found end of input");
        assert_eq!(e.position, 6);
        assert_eq!(e.to_string(), "expected ')' but found end of input (at character 6)");
        let e = perr("a == 1 b");
        assert_eq!((e.position, e.message.contains("'b'")), (7, true));
        assert_eq!(perr("").message, "expected an expression but found end of input");
        assert_eq!(perr("   ").position, 3);
        let e = perr(r#""ab\q""#);
        assert_eq!(e.position, 3);
        assert_eq!(e.message, r#"invalid escape '\q' (allowed: \" \' \\ \n \t)"#);
        let e = perr("x == 'abc");
        assert_eq!((e.position, e.message.as_str()), (5, "unterminated string: missing closing '"));
        assert_eq!(perr("a # b").message, "unexpected character '#'");
        let e = perr("a < b < c");
        assert_eq!(e.position, 6);
        assert!(e.message.contains("cannot be chained"), "{}", e.message);
        assert_eq!(perr("a == b contains c").position, 7);
        assert_eq!(perr("1 +").position, 3);
        assert_eq!(perr("a = 1").position, 2);
        assert_eq!(perr("a & b").position, 2);
        assert_eq!(perr("a.").position, 2);
        assert_eq!(perr("a.b.").position, 4);
        assert_eq!(perr("a # b").position, 2);
        assert_eq!(perr("é == 1").position, 0);
        assert_eq!(perr("'é' == é").position, 7); // positions count chars, not bytes
        assert_eq!(perr(")").position, 0);
        assert_eq!(perr("a startsWith 'x'").position, 2);
        assert!(perr("a == not b").message.contains("(not x)"));
        assert_eq!(perr("1.").position, 1);
    }

    #[test]
    fn limits() {
        assert!(Expr::parse(&"(".repeat(10_000)).is_err()); // too long, and too deep
        let e = perr(&"(".repeat(4000));
        assert!(e.message.contains("nested too deeply"), "{}", e.message);
        assert_eq!(e.position, 64);
        assert!(perr(&"!".repeat(4000)).message.contains("nested too deeply"));
        assert!(perr(&format!("{}1", "-".repeat(4000))).message.contains("too deeply"));
        assert!(TOO_DEEP.contains(&format!("more than {MAX_DEPTH} levels")));
        let ok = format!("{}1{}", "(".repeat(64), ")".repeat(64));
        assert_eq!(ev(&ok), json!(1));
        assert!(Expr::parse(&format!("{}1{}", "(".repeat(65), ")".repeat(65))).is_err());
        assert!(t(&format!("{}true", "not ".repeat(64))));
        let e = perr(&"1".repeat(4097));
        assert!(e.message.contains("too long"), "{}", e.message);
        // Long flat chains are fine and evaluate without deep recursion.
        let chain = format!("1{}", " + 1".repeat(1000));
        assert_eq!(ev(&chain), json!(1001));
        let chain = format!("x{}", " or x".repeat(800));
        assert!(!t(&chain));
        assert_eq!(perr(&"9".repeat(400)).message, "number is too large");
        // Worst case allowed nesting, with every node kind at every level.
        let level = "1 or not 1 and 1 == 1 + 2 * -(";
        let deep = format!("{}x{}", level.repeat(32), ")".repeat(32));
        assert!(t(&deep));
        assert!(Expr::parse(&format!("{}x{}", level.repeat(33), ")".repeat(33))).is_err());
    }

    #[test]
    fn random_inputs_never_panic() {
        const PIECES: &[&str] = &[
            "a",
            "b.c",
            "items.0.sku",
            "1",
            "2.5",
            "0",
            "(",
            ")",
            "\"x\"",
            "'y'",
            "'",
            "\"",
            "\\",
            "!",
            "==",
            "!=",
            "=",
            "<",
            "<=",
            ">",
            ">=",
            "&&",
            "||",
            "&",
            "|",
            "and",
            "or",
            "not",
            "contains",
            "+",
            "-",
            "*",
            "/",
            "%",
            " ",
            ".",
            "null",
            "true",
            "false",
            "name",
            "tags",
            "é",
            "_",
            "9",
        ];
        let values = [
            json!(null),
            json!(true),
            json!(0),
            json!(-1.5),
            json!("12"),
            json!("x"),
            json!([1, "a"]),
            json!({"k": 1}),
            json!(u64::MAX),
            json!(i64::MIN),
            json!(1e300),
        ];
        let mut rng = crate::util::TestRng(0x9E37_79B9_7F4A_7C15);
        let mut next = move || rng.next();
        let mut parsed = 0;
        for _ in 0..5000 {
            let len = next() % 24;
            let src: String = (0..len).map(|_| PIECES[(next() % PIECES.len() as u64) as usize]).collect();
            if let Ok(e) = Expr::parse(&src) {
                parsed += 1;
                let _ = e.eval(&lookup);
                let _ = e.test(&|_: &str| None);
                let _ = e.test(&|p: &str| values.get(p.len() % values.len()).cloned());
                let _ = e.variables();
            }
        }
        assert!(parsed > 100, "only {parsed} parsed");
    }
}
