//! A small, table-free decimal-to-`f64` parser, bit for bit identical to `str::parse::<f64>`.
//!
//! Why it exists: core's parser (dec2flt, Eisel-Lemire) ships a table of 128-bit powers of five, 10.4 KB that
//! gzip cannot compress, plus about 6 KB of code; it was the largest single constant in the wasm module. Numbers
//! in a chat widget are few and short, so speed does not matter here, size does: this parser computes the
//! correctly rounded result exactly with a tiny big integer instead. Measured on the release module: gzip
//! 166,697 -> 153,645 bytes (raw 374,212 -> 358,942); this parser is about 2.5 KB raw.
//!
//! The method: the input is read as `D × 10^E` (`D` the significant digits as an integer). Short inputs take
//! Clinger's fast path (one exact operation on exact operands, so one rounding). Otherwise the quotient
//! `D × 10^E × 2^k` is computed to 64 bits by long division, with the remainder as a sticky bit, and rounded
//! to nearest even at the precision of the result (fewer than 53 bits for subnormals).
//!
//! At most [`MAX_DIGITS`] significant digits are kept; if a nonzero digit is dropped, a final `1` digit stands
//! for it. That is exact: a halfway point between two `f64`s has at most 767 significant digits, so no rounding
//! boundary lies strictly between the truncated value and the true one.

/// Significant digits kept (more than the 767 a halfway point can have).
const MAX_DIGITS: usize = 800;

const INF_BITS: u64 = 0x7ff0_0000_0000_0000;

/// `s.parse::<f64>().ok()`, without core's tables: the same grammar (an optional sign, then `inf`, `infinity`,
/// `nan` in any case or decimal digits with an optional `.` and exponent) and the same correctly rounded result.
pub fn parse_f64(s: &str) -> Option<f64> {
    let (sign, body) = match s.as_bytes() {
        [b'-', rest @ ..] => (1u64 << 63, rest),
        [b'+', rest @ ..] => (0, rest),
        rest => (0, rest),
    };
    let bits = if body.eq_ignore_ascii_case(b"inf") || body.eq_ignore_ascii_case(b"infinity") {
        INF_BITS
    } else if body.eq_ignore_ascii_case(b"nan") {
        f64::NAN.to_bits()
    } else {
        decimal(body)?
    };
    Some(f64::from_bits(bits | sign))
}

/// The bits of an unsigned decimal number (`12`, `1.5`, `.5`, `5.`, `1e-3`), or `None` if it is not one.
fn decimal(s: &[u8]) -> Option<u64> {
    // The value is 0.d1 d2 d3... × 10^point, digits without leading zeros.
    let mut digits: Vec<u8> = Vec::new();
    let mut point: i64 = 0;
    let mut dropped = false;
    let mut any_digit = false;
    let mut in_fraction = false;
    let mut i = 0;
    while let Some(&c) = s.get(i) {
        match c {
            b'0'..=b'9' => {
                any_digit = true;
                let d = c - b'0';
                if digits.is_empty() && d == 0 {
                    point -= i64::from(in_fraction);
                } else {
                    if digits.len() < MAX_DIGITS {
                        digits.push(d);
                    } else {
                        dropped |= d != 0;
                    }
                    point += i64::from(!in_fraction);
                }
            }
            b'.' if !in_fraction => in_fraction = true,
            _ => break,
        }
        i += 1;
    }
    if !any_digit {
        return None;
    }
    if i < s.len() {
        let exp = match &s[i..] {
            [b'e' | b'E', b'-', e @ ..] => -exponent(e)?,
            [b'e' | b'E', b'+', e @ ..] | [b'e' | b'E', e @ ..] => exponent(e)?,
            _ => return None,
        };
        point += exp;
    }
    if digits.is_empty() || point < -330 {
        return Some(0); // below 10^-331, far under half the smallest subnormal
    }
    if point > 310 {
        return Some(INF_BITS);
    }
    if dropped {
        digits.push(1);
    }
    let exp10 = point - digits.len() as i64;
    if digits.len() <= 15 && (-22..=22).contains(&exp10) {
        // Clinger: the digits (< 10^15 < 2^53) and 10^|exp10| (<= 10^22 = 5^22 × 2^22, 5^22 < 2^53) are exact
        // doubles, so one multiplication or division rounds once, correctly.
        let m = digits.iter().fold(0u64, |m, &d| m * 10 + u64::from(d)) as f64;
        let p = (0..exp10.abs()).fold(1.0, |p, _| p * 10.0);
        return Some(if exp10 < 0 { m / p } else { m * p }.to_bits());
    }
    Some(slow(&digits, exp10))
}

/// The digits of an exponent, saturated far beyond any meaningful value.
fn exponent(s: &[u8]) -> Option<i64> {
    if s.is_empty() {
        return None;
    }
    s.iter().try_fold(0i64, |e, &c| c.is_ascii_digit().then(|| (e * 10 + i64::from(c - b'0')).min(1 << 40)))
}

/// The correctly rounded bits of `digits × 10^exp10` (digits nonzero, the value within a few decades of the
/// `f64` range).
fn slow(digits: &[u8], exp10: i64) -> u64 {
    // value = num / den exactly.
    let mut num = Vec::new();
    for chunk in digits.chunks(9) {
        let n = chunk.iter().fold(0, |n, &d| n * 10 + u32::from(d));
        mul_add(&mut num, 10u32.pow(chunk.len() as u32), n);
    }
    let mut den = vec![1];
    pow10(if exp10 < 0 { &mut den } else { &mut num }, exp10.unsigned_abs());
    // Scale by 2^k so that the quotient has 63 or 64 bits: num/den is within (2^(b-1), 2^(b+1)).
    let k = 63 - (bit_len(&num) - bit_len(&den));
    if k > 0 {
        shl(&mut num, k as usize);
    } else {
        shl(&mut den, -k as usize);
    }
    // Long division, one quotient bit at a time.
    shl(&mut den, 63);
    let mut q = 0u64;
    for _ in 0..64 {
        q <<= 1;
        if num.len().cmp(&den.len()).then_with(|| num.iter().rev().cmp(den.iter().rev())).is_ge() {
            sub(&mut num, &den);
            q |= 1;
        }
        shr1(&mut den);
    }
    let sticky = !num.is_empty();
    // value = (q + a fraction, nonzero iff sticky) × 2^-k. Keep 53 bits, or fewer down to the subnormal exponent.
    let len = 64 - i64::from(q.leading_zeros());
    let exp2 = (len - 53 - k).max(-1074);
    let drop = (exp2 + k).min(127) as u32;
    let q = u128::from(q);
    let half = 1u128 << (drop - 1);
    let rest = q & ((half << 1) - 1);
    let mut m = (q >> drop) as u64;
    if rest > half || (rest == half && (sticky || m & 1 == 1)) {
        m += 1;
    }
    // A mantissa of 2^52 (subnormal rounded up) or 2^53 (carry) moves into the exponent field by itself.
    ((((exp2 + 1074) as u64) << 52) + m).min(INF_BITS)
}

/// Big unsigned integers: little-endian `u32` limbs, no high zero limb (zero is empty).
type Big = Vec<u32>;

/// `x = x × m + a`.
fn mul_add(x: &mut Big, m: u32, a: u32) {
    let mut carry = u64::from(a);
    for limb in x.iter_mut() {
        let t = u64::from(*limb) * u64::from(m) + carry;
        *limb = t as u32;
        carry = t >> 32;
    }
    if carry > 0 {
        x.push(carry as u32);
    }
}

fn pow10(x: &mut Big, mut n: u64) {
    while n > 0 {
        let k = n.min(9) as u32;
        mul_add(x, 10u32.pow(k), 0);
        n -= u64::from(k);
    }
}

fn bit_len(x: &Big) -> i64 {
    x.last().map_or(0, |&top| 32 * x.len() as i64 - i64::from(top.leading_zeros()))
}

fn shl(x: &mut Big, n: usize) {
    mul_add(x, 1 << (n % 32), 0);
    let mut out = vec![0; n / 32];
    out.append(x);
    *x = out;
}

fn shr1(x: &mut Big) {
    let mut carry = 0;
    for limb in x.iter_mut().rev() {
        let v = *limb;
        *limb = v >> 1 | carry;
        carry = v << 31;
    }
    trim(x);
}

/// `x -= y`, for `x >= y`.
fn sub(x: &mut Big, y: &Big) {
    let mut borrow = false;
    for (i, limb) in x.iter_mut().enumerate() {
        let (d, b1) = limb.overflowing_sub(y.get(i).copied().unwrap_or(0));
        let (d, b2) = d.overflowing_sub(u32::from(borrow));
        *limb = d;
        borrow = b1 || b2;
    }
    trim(x);
}

fn trim(x: &mut Big) {
    while x.last() == Some(&0) {
        x.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Differential check against core; returns whether the input was accepted.
    #[track_caller]
    fn same(s: &str) -> bool {
        let want = s.parse::<f64>().ok();
        let got = parse_f64(s);
        assert_eq!(got.map(f64::to_bits), want.map(f64::to_bits), "{s:?}: got {got:?}, core {want:?}");
        want.is_some()
    }

    use crate::util::TestRng as Rng;

    /// `n` random digits; one string in three is mostly zeros.
    fn digits(rng: &mut Rng, out: &mut String, n: u64) {
        let zeros = rng.below(3) == 0;
        for _ in 0..n {
            let d = if zeros && rng.below(4) > 0 { 0 } else { rng.below(10) };
            out.push(char::from(b'0' + d as u8));
        }
    }

    #[test]
    fn edge_cases() {
        let long = format!("0.{}1e1", "0".repeat(900));
        let nines = "9".repeat(850);
        let ok = [
            "0",
            "-0",
            "+0",
            "0e999999",
            "-0e-999999",
            "0.0000e0",
            "1e308",
            "1.7976931348623157e308",
            "1.7976931348623158e308",
            "1.7976931348623159e308",
            "4.9406564584124654e-324",
            "2.4703282292062327e-324",
            "2.4703282292062328e-324",
            "2.2250738585072011e-308",
            "2.2250738585072012e-308",
            "2.2250738585072014e-308",
            "9007199254740993",
            "9007199254740992.5",
            "1e99999999999999999999999",
            "1e-99999999999999999999999",
            "123456789012345678901234567890e-99999999999999999999",
            "0.000001e999999999999",
            "inf",
            "-Infinity",
            "INF",
            "iNfInItY",
            "NaN",
            "nan",
            "-nan",
            "+.5",
            "5.",
            "-.0",
            "1E+2",
            "00000000000000000000000000001.5",
            "1e22",
            "1e23",
            "123456789012345e-22",
            "0.1",
            "3.14",
            &long,
            &nines,
        ];
        for s in ok {
            assert!(same(s), "{s:?} should parse");
        }
        let bad = [
            "",
            ".",
            "e1",
            "1e",
            "1e+",
            "1e-",
            "--1",
            "+-1",
            " 1",
            "1 ",
            "0x10",
            "1_0",
            "١",
            "1..2",
            "1.2.3",
            "-",
            "+",
            "in",
            "infin",
            "nan1",
            "infinityy",
            "1e5.0",
            "1e1e1",
            ".e1",
            "1,5",
            "+inf ",
            "Ｉnf",
        ];
        for s in bad {
            assert!(!same(s), "{s:?} should be refused");
        }
    }

    #[test]
    fn random_grammar() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let (mut total, mut accepted) = (0, 0);
        let mut s = String::new();
        for _ in 0..250_000 {
            s.clear();
            s.push_str(["", "", "-", "+"][rng.below(4) as usize]);
            if rng.below(4) == 0 {
                s.push_str(&"0".repeat(rng.below(30) as usize));
            }
            let n = rng.below(41);
            digits(&mut rng, &mut s, n);
            if rng.below(3) > 0 {
                s.push('.');
                let n = rng.below(41);
                digits(&mut rng, &mut s, n);
            }
            if rng.below(3) > 0 {
                s.push(if rng.below(2) == 0 { 'e' } else { 'E' });
                s.push_str(["", "-", "+"][rng.below(3) as usize]);
                if rng.below(50) > 0 {
                    s.push_str(&rng.below(401).to_string());
                }
            }
            if rng.below(200) == 0 {
                s.push([' ', '_', 'x', '.', 'e', '1'][rng.below(6) as usize]);
            }
            total += 1;
            accepted += usize::from(same(&s));
        }
        assert!(accepted > total / 2, "{accepted} of {total}");
    }

    /// `x` as `m × 2^e`, `m` an integer.
    fn decompose(x: f64) -> (u64, i64) {
        let bits = x.to_bits();
        let (f, be) = (bits & ((1 << 52) - 1), (bits >> 52) as i64);
        if be == 0 {
            (f, -1074)
        } else {
            (f | 1 << 52, be - 1075)
        }
    }

    /// Decimal digits of a big integer.
    fn to_decimal(x: &Big) -> String {
        let mut x = x.clone();
        let mut out = Vec::new();
        while !x.is_empty() {
            let mut rem = 0u64;
            for limb in x.iter_mut().rev() {
                let cur = rem << 32 | u64::from(*limb);
                *limb = (cur / 10) as u32;
                rem = cur % 10;
            }
            trim(&mut x);
            out.push(b'0' + rem as u8);
        }
        out.reverse();
        String::from_utf8(out).unwrap()
    }

    /// The midpoint between positive finite `x` and its successor, exactly, as (digits, exponent of ten).
    fn midpoint(x: f64) -> (String, i64) {
        let (m, e) = decompose(x);
        let odd = 2 * m + 1; // mid = odd × 2^(e-1)
        let mut big: Big = vec![odd as u32, (odd >> 32) as u32];
        trim(&mut big);
        if e > 0 {
            shl(&mut big, (e - 1) as usize);
            (to_decimal(&big), 0)
        } else {
            // odd / 2^j = odd × 5^j / 10^j
            for _ in 0..(1 - e) {
                mul_add(&mut big, 5, 0);
            }
            (to_decimal(&big), e - 1)
        }
    }

    fn random_f64(rng: &mut Rng) -> f64 {
        match rng.below(8) {
            0 => f64::from_bits(rng.below(1 << 53)), // subnormal, near the boundary
            1 => f64::from_bits(0x7fef_ffff_ffff_ffff - rng.below(1 << 40)), // near max
            2 => f64::from_bits(rng.below(1 << 20)), // tiny subnormals
            3 => (rng.below(1 << 53) as f64) * [1.0, 0.5, 2.0][rng.below(3) as usize],
            _ => f64::from_bits(rng.next() & !(1 << 63)),
        }
    }

    #[test]
    fn halfway_points() {
        let mut rng = Rng(0x1234_5678_9abc_def1);
        let mut n = 0;
        let mut xs = vec![f64::MAX, f64::MIN_POSITIVE, 0.0, 5e-324, 1.0, 9007199254740992.0];
        while xs.len() < 3000 {
            let x = random_f64(&mut rng);
            if x.is_finite() {
                xs.push(x);
            }
        }
        for x in xs {
            let (d, e) = midpoint(x);
            let mut cases = vec![
                format!("{d}e{e}"),
                format!("{d}1e{}", e - 1),
                format!("{d}{}e{}", "0".repeat(120), e - 120),
                format!("{d}{}1e{}", "0".repeat(120), e - 121),
                format!("-0.{d}e{}", e + d.len() as i64),
            ];
            if d.len() > 1 {
                cases.push(format!("{}e{}", &d[..d.len() - 1], e + 1));
                cases.push(format!("{}.{}e{}", &d[..1], &d[1..], e + d.len() as i64 - 1));
            }
            for s in &cases {
                same(s);
                n += 1;
            }
        }
        assert!(n > 15_000);
    }

    #[test]
    fn shortest_round_trip() {
        let mut rng = Rng(0xdead_beef_cafe_f00d);
        for _ in 0..10_000 {
            let x = f64::from_bits(rng.next());
            if !x.is_finite() {
                continue;
            }
            for s in [format!("{x}"), format!("{x:e}"), format!("{x:?}")] {
                assert_eq!(parse_f64(&s).map(f64::to_bits), Some(x.to_bits()), "{s}");
                same(&s);
            }
        }
    }
}
