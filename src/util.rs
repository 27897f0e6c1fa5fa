//! Small shared helpers that replace generic std code with one non-generic copy each (wasm size).

/// Sorts `v` so that `less(a, b)` holds for no later `a` before an earlier `b`. Heapsort: O(n log n), no
/// allocation, not stable, so give `less` a total order (e.g. break ties on the value) where order matters.
pub fn sort_by(v: &mut [u32], less: &dyn Fn(u32, u32) -> bool) {
    // Every index is read with `get`: all are in range (root < child < end <= len), so the fallbacks are never
    // taken (debug builds assert it), and the module carries no bounds-check panic for them.
    let sift = |v: &mut [u32], mut root: usize, end: usize| loop {
        debug_assert!(root < end && end <= v.len());
        let left = 2 * root + 1;
        // The loop ends at a root without children.
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
        debug_assert!(end < v.len());
        if let (Some(&first), Some(&last)) = (v.first(), v.get(end)) {
            set(v, 0, last);
            set(v, end, first);
        }
        sift(v, 0, end);
    }
}

/// `v[i] = x` for an `i` known to be in range, without a panic path.
fn set(v: &mut [u32], i: usize, x: u32) {
    debug_assert!(i < v.len(), "set({i}) on a slice of {}", v.len());
    if let Some(slot) = v.get_mut(i) {
        *slot = x;
    }
}

/// `s[a..b]` without the panic: `""` when `a..b` is out of range or not on char boundaries. Every caller passes
/// offsets it found in `s` itself (from `char_indices`, ASCII bytes, or the length of a prefix it matched), so
/// the fallback is never taken (debug builds assert it); what it saves is core's `slice_error_fail` with its char
/// `Debug` printing and Unicode tables (3.8 KB sent, docs/PERFORMANCE.md), which every `&s[a..b]` the optimiser
/// cannot prove links.
pub fn slice(s: &str, a: usize, b: usize) -> &str {
    let part = s.get(a..b);
    debug_assert!(part.is_some(), "slice({a}, {b}) of a string of {} bytes", s.len());
    part.unwrap_or_default()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slice_is_get() {
        let s = "aé✓b";
        assert_eq!(slice(s, 0, s.len()), s);
        assert_eq!(slice(s, 1, 3), "é");
        assert_eq!(slice(s, 3, 6), "✓");
        assert_eq!(slice(s, 6, 7), "b");
        assert_eq!(slice(s, 3, 3), "");
        assert_eq!(slice("", 0, 0), "");
    }

    /// Inside a char, reversed or past the end is a caller's bug: debug builds stop on it (release builds give
    /// an empty string rather than a panic).
    #[test]
    fn slice_out_of_range_is_caught_in_debug_builds() {
        let s = "aé✓b";
        for (a, b) in [(2, 2), (2, 6), (1, 4), (3, 1), (0, 99)] {
            let caught = std::panic::catch_unwind(|| slice(s, a, b)).is_err();
            assert_eq!(caught, cfg!(debug_assertions), "slice({a}, {b})");
        }
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
