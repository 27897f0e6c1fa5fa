//! Small shared helpers that replace generic std code with one non-generic copy each (wasm size).

/// Sorts `v` so that `less(a, b)` holds for no later `a` before an earlier `b`. Heapsort: O(n log n), no
/// allocation, not stable, so give `less` a total order (e.g. break ties on the value) where order matters.
pub fn sort_by(v: &mut [u32], less: &dyn Fn(u32, u32) -> bool) {
    // Every index is read with `get`: all are in range (root < child < end <= len), so the fallbacks are never
    // taken, and the module carries no bounds-check panic for them.
    let sift = |v: &mut [u32], mut root: usize, end: usize| loop {
        let left = 2 * root + 1;
        let (Some(&top), Some(&l)) = (v.get(root), v.get(left).filter(|_| left < end)) else { return };
        let (child, value) = match v.get(left + 1) {
            Some(&r) if left + 1 < end && less(l, r) => (left + 1, r),
            _ => (left, l),
        };
        if !less(top, value) {
            return;
        }
        set(v, root, value);
        set(v, child, top);
        root = child;
    };
    let n = v.len();
    for i in (0..n / 2).rev() {
        sift(v, i, n);
    }
    for end in (1..n).rev() {
        if let (Some(&first), Some(&last)) = (v.first(), v.get(end)) {
            set(v, 0, last);
            set(v, end, first);
        }
        sift(v, 0, end);
    }
}

/// `v[i] = x` for an `i` known to be in range, without a panic path.
fn set(v: &mut [u32], i: usize, x: u32) {
    if let Some(slot) = v.get_mut(i) {
        *slot = x;
    }
}

/// `0, 1, .., n - 1`: an identity permutation to sort.
pub fn iota(n: usize) -> Vec<u32> {
    let mut out = Vec::with_capacity(n);
    for i in 0..n as u32 {
        out.push(i);
    }
    out
}

/// The chars of `s`, by a plain loop (one copy instead of a `collect` per call site).
pub fn chars(s: &str) -> Vec<char> {
    let mut out = Vec::with_capacity(s.len());
    for c in s.chars() {
        out.push(c);
    }
    out
}

/// `s[a..b]` without the panic: `""` when `a..b` is out of range or not on char boundaries. Every caller passes
/// offsets it found in `s` itself (from `char_indices`, ASCII bytes, or the length of a prefix it matched), so
/// the fallback is never taken; what it saves is core's `slice_error_fail` with its char `Debug` printing and
/// Unicode tables (about 4 KB of wasm), which every `&s[a..b]` the optimiser cannot prove links.
pub fn slice(s: &str, a: usize, b: usize) -> &str {
    s.get(a..b).unwrap_or_default()
}

/// The byte offset of the first `needle` in `hay`, like `hay.find(needle)` but without core's `StrSearcher`
/// (about 2 KB of wasm). Knuth-Morris-Pratt over bytes: O(hay + needle) in the worst case, so the expression
/// language's `contains` stays linear on long strings. A byte match of UTF-8 in UTF-8 text always starts on a char
/// boundary, so the offsets are `str::find`'s; an empty needle is found at 0.
pub fn find(hay: &str, needle: &str) -> Option<usize> {
    let n = needle.as_bytes();
    if n.is_empty() {
        return Some(0);
    }
    // border[i]: the length of the longest proper prefix of `n[..=i]` that is also its suffix.
    let mut border = vec![0usize; n.len()];
    let mut k = 0;
    for i in 1..n.len() {
        while k > 0 && n[i] != n[k] {
            k = border[k - 1];
        }
        if n[i] == n[k] {
            k += 1;
        }
        border[i] = k;
    }
    k = 0;
    for (i, &b) in hay.as_bytes().iter().enumerate() {
        while k > 0 && b != n[k] {
            k = border[k - 1];
        }
        if b == n[k] {
            k += 1;
        }
        if k == n.len() {
            return Some(i + 1 - k);
        }
    }
    None
}

/// A seeded xorshift64* generator for the crate's randomised tests: deterministic, so a failing case replays.
#[cfg(test)]
pub(crate) struct TestRng(pub u64);

#[cfg(test)]
impl TestRng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number below `n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// `parts.concat()` for string slices, without std's generic `join_generic_copy` (about 1 KB of wasm).
pub fn cat(parts: &[&str]) -> String {
    join(parts, "")
}

/// `parts.join(sep)` for string slices, without std's generic `join_generic_copy`.
pub fn join(parts: &[&str], sep: &str) -> String {
    let mut out = String::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        out.push_str(p);
    }
    out
}

/// `u32::from_str_radix(s, radix).ok()` (radix 2 to 36) without core's generic integer parser: an optional `+`,
/// then at least one digit, `None` on overflow. One shared copy for every integer width the code parses.
// Only the web host (markdown) parses `u32`s, so native builds leave it unused.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub fn parse_u32(s: &str, radix: u32) -> Option<u32> {
    uint(s, radix, u32::MAX as u64).map(|n| n as u32)
}

/// `s.parse::<usize>().ok()`, see [`parse_u32`].
pub fn parse_usize(s: &str) -> Option<usize> {
    uint(s, 10, usize::MAX as u64).map(|n| n as usize)
}

fn uint(s: &str, radix: u32, max: u64) -> Option<u64> {
    let b = s.as_bytes();
    let b = match b {
        [b'+', rest @ ..] => rest,
        _ => b,
    };
    if b.is_empty() {
        return None;
    }
    let mut n: u64 = 0;
    for &c in b {
        let d = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'z' => c - b'a' + 10,
            b'A'..=b'Z' => c - b'A' + 10,
            _ => return None,
        } as u32;
        if d >= radix {
            return None;
        }
        n = n.checked_mul(radix as u64)?.checked_add(d as u64)?;
        if n > max {
            return None;
        }
    }
    Some(n)
}

/// `s.rsplit_once(b as char)` for an ASCII `b`, without core's `rsplit_once` (about 0.6 KB of wasm). An ASCII
/// byte in UTF-8 is always a whole char, so the split is std's.
pub fn rsplit_once_byte(s: &str, b: u8) -> Option<(&str, &str)> {
    let i = s.bytes().rposition(|c| c == b)?;
    Some((slice(s, 0, i), slice(s, i + 1, s.len())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rsplit_once_byte_matches_std() {
        for s in ["", ".", "a.b", "a.b.c", "..", "é.✓.", ".é", "abc"] {
            assert_eq!(rsplit_once_byte(s, b'.'), s.rsplit_once('.'), "{s}");
        }
    }

    #[test]
    fn integer_parsing_matches_std() {
        let cases = [
            "",
            "+",
            "-",
            "-0",
            "+0",
            "0",
            "00",
            "7",
            "+12",
            "++1",
            "1+",
            " 1",
            "1 ",
            "12a",
            "ff",
            "FF",
            "fG",
            "z",
            "é",
            "4294967295",
            "4294967296",
            "+4294967295",
            "18446744073709551615",
            "18446744073709551616",
            "99999999999999999999999",
            "ffffffff",
            "100000000",
            "0000000000000000000000042",
        ];
        for s in cases {
            assert_eq!(parse_usize(s), s.parse::<usize>().ok(), "{s}");
            for radix in [2, 10, 16, 36] {
                assert_eq!(parse_u32(s, radix), u32::from_str_radix(s, radix).ok(), "{s} {radix}");
            }
        }
    }

    #[test]
    fn cat_and_join_match_std() {
        for parts in [&[][..], &[""], &["a"], &["a", "", "é✓"], &["", ""]] {
            assert_eq!(cat(parts), parts.concat());
            for sep in ["", ", ", "\n"] {
                assert_eq!(join(parts, sep), parts.join(sep));
            }
        }
    }

    #[test]
    fn slice_is_get_or_empty() {
        let s = "aé✓b";
        assert_eq!(slice(s, 0, s.len()), s);
        assert_eq!(slice(s, 1, 3), "é");
        assert_eq!(slice(s, 3, 6), "✓");
        assert_eq!(slice(s, 6, 7), "b");
        assert_eq!(slice(s, 2, 2), "");
        // Inside a char, reversed or past the end: empty, no panic.
        assert_eq!(slice(s, 2, 6), "");
        assert_eq!(slice(s, 1, 4), "");
        assert_eq!(slice(s, 3, 1), "");
        assert_eq!(slice(s, 0, 99), "");
        assert_eq!(slice("", 0, 0), "");
    }

    #[test]
    fn find_like_std() {
        let hays = ["", "a", "aaab", "abababc", "héllo wörld ✓ ok", "✓✓✓x✓", "`` code `` x", "a \"b\" c"];
        let needles = ["", "a", "ab", "aab", "abc", "ö", "wörld", "✓x", "✓✓x", "``", " \"", "zz", "héllo wörld ✓ ok!"];
        for h in hays {
            for n in needles {
                assert_eq!(find(h, n), h.find(n), "{h:?} {n:?}");
            }
        }
        let mut rng = TestRng(0x1234_5678_9ABC_DEF1);
        for _ in 0..2000 {
            let word = |rng: &mut TestRng, len: u64| -> String {
                (0..rng.below(len)).map(|_| ['a', 'b', 'é', '✓'][rng.below(4) as usize]).collect()
            };
            let (h, n) = (word(&mut rng, 12), word(&mut rng, 4));
            assert_eq!(find(&h, &n), h.find(n.as_str()), "{h:?} {n:?}");
        }
    }

    #[test]
    fn sorts_like_std() {
        let mut state = 7u32;
        for n in [0, 1, 2, 3, 10, 100, 1000] {
            let mut v: Vec<u32> = (0..n)
                .map(|_| {
                    state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                    (state >> 16) % 50
                })
                .collect();
            let mut want = v.clone();
            want.sort();
            sort_by(&mut v, &|a, b| a < b);
            assert_eq!(v, want);
        }
    }
}
