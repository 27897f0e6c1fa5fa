//! [`Named`]: a map from names to values kept sorted by name.

/// A map from names to values, kept sorted by name (the order a `BTreeMap` iterates in). What the objects of
/// an agent file decode into: a sorted list instead of a `BTreeMap`, because each `BTreeMap` value type adds
/// kilobytes of insert code to the wasm module. A lookup is a binary search; adding one name moves the names after
/// it, so names that arrive many at a time (a JSON object, a request's variables) come in through
/// [`Named::from_pairs`] or [`Named::extend`], which sort once instead of moving the list for every name.
#[derive(Debug, Clone, PartialEq)]
pub struct Named<T>(Vec<(String, T)>);

impl<T> Default for Named<T> {
    fn default() -> Self {
        Named(Vec::new())
    }
}

impl<T> Named<T> {
    /// Not inlined: a call is less code than building the empty list in place, at each of the many places.
    #[inline(never)]
    pub fn new() -> Self {
        Named(Vec::new())
    }

    /// A map from pairs in any order, sorted once: O(n log n) where inserting them one by one is O(n²). Of pairs
    /// with the same name the last wins, as with `insert`.
    pub fn from_pairs(pairs: Vec<(String, T)>) -> Named<T> {
        if pairs.windows(2).all(|w| w[0].0 < w[1].0) {
            return Named(pairs); // already in order, as a map written by `to_string` is read back
        }
        // Positions ordered by (name, position): equal names end up together, the last written last.
        let mut order: Vec<u32> = (0..pairs.len() as u32).collect();
        crate::util::sort_by(&mut order, &|a, b| {
            let (ka, kb) = (&pairs[a as usize].0, &pairs[b as usize].0);
            ka < kb || (ka == kb && a < b)
        });
        let mut slots: Vec<Option<(String, T)>> = pairs.into_iter().map(Some).collect();
        let mut out: Vec<(String, T)> = Vec::with_capacity(slots.len());
        for i in order {
            let Some(pair) = slots.get_mut(i as usize).and_then(Option::take) else { continue };
            if out.last().is_some_and(|(k, _)| *k == pair.0) {
                out.pop();
            }
            out.push(pair);
        }
        Named(out)
    }

    /// Add or replace many pairs (the last of equal names wins): sorted, then merged with the map in one pass.
    pub fn extend(&mut self, pairs: Vec<(String, T)>) {
        if pairs.is_empty() {
            return;
        }
        let new = Named::from_pairs(pairs).0;
        let old = std::mem::take(&mut self.0);
        let mut out = Vec::with_capacity(old.len() + new.len());
        let mut old = old.into_iter().peekable();
        for pair in new {
            while let Some(o) = old.next_if(|(k, _)| *k < pair.0) {
                out.push(o);
            }
            old.next_if(|(k, _)| *k == pair.0); // replaced
            out.push(pair);
        }
        out.extend(old);
        self.0 = out;
    }

    fn find(&self, key: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.as_str().cmp(key))
    }

    /// Add or replace the value of `key`; returns the value replaced.
    pub fn insert(&mut self, key: String, value: T) -> Option<T> {
        match self.find(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, value)),
            Err(i) => {
                self.0.insert(i, (key, value));
                None
            }
        }
    }

    /// `insert` without returning the value replaced: less code where that value is not wanted.
    pub fn set(&mut self, key: String, value: T) {
        match self.find(&key) {
            Ok(i) => {
                if let Some(entry) = self.0.get_mut(i) {
                    entry.1 = value;
                }
            }
            Err(i) => self.0.insert(i, (key, value)),
        }
    }

    /// The value of `key`, added as `T::default()` if missing.
    pub fn get_or_default(&mut self, key: &str) -> &mut T
    where
        T: Default,
    {
        let i = match self.find(key) {
            Ok(i) => i,
            Err(i) => {
                self.0.insert(i, (key.to_string(), T::default()));
                i
            }
        };
        &mut self.0[i].1
    }

    /// Add `key` unless it is there already (the first value written wins).
    pub fn insert_first(&mut self, key: &str, value: T) {
        if let Err(i) = self.find(key) {
            self.0.insert(i, (key.to_string(), value));
        }
    }

    pub fn get(&self, key: &str) -> Option<&T> {
        let i = self.find(key).ok()?;
        self.0.get(i).map(|(_, v)| v)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut T> {
        let i = self.find(key).ok()?;
        self.0.get_mut(i).map(|(_, v)| v)
    }

    /// Take `key` out; returns its value.
    pub fn remove(&mut self, key: &str) -> Option<T> {
        self.find(key).ok().map(|i| self.0.remove(i).1)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.find(key).is_ok()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The names, in order.
    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.0.iter().map(|(k, _)| k)
    }

    /// The values, in name order.
    pub fn values(&self) -> impl Iterator<Item = &T> {
        self.0.iter().map(|(_, v)| v)
    }

    /// (name, value) pairs, in name order.
    pub fn iter(&self) -> NamedIter<'_, T> {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

/// The iterator of [`Named::iter`].
pub type NamedIter<'a, T> =
    std::iter::Map<std::slice::Iter<'a, (String, T)>, fn(&'a (String, T)) -> (&'a String, &'a T)>;

impl<T> IntoIterator for Named<T> {
    type Item = (String, T);
    type IntoIter = std::vec::IntoIter<(String, T)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a, T> IntoIterator for &'a Named<T> {
    type Item = (&'a String, &'a T);
    type IntoIter = NamedIter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::Named;

    fn pairs(keys: &[&str]) -> Vec<(String, usize)> {
        keys.iter().enumerate().map(|(i, k)| (k.to_string(), i)).collect()
    }

    /// What inserting the pairs one by one gives.
    fn inserted(keys: &[&str]) -> Named<usize> {
        let mut n = Named::new();
        for (k, v) in pairs(keys) {
            n.insert(k, v);
        }
        n
    }

    #[test]
    fn from_pairs_is_inserting_one_by_one() {
        let mut g = crate::util::TestRng(5);
        for len in [0, 1, 2, 7, 40, 300] {
            let keys: Vec<String> = (0..len).map(|_| format!("k{}", g.below(len as u64 / 2 + 1))).collect();
            let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
            assert_eq!(Named::from_pairs(pairs(&keys)), inserted(&keys), "{keys:?}");
        }
        assert_eq!(Named::from_pairs(pairs(&["a", "b", "c"])), inserted(&["a", "b", "c"]));
    }

    #[test]
    fn extend_is_inserting_one_by_one() {
        let mut g = crate::util::TestRng(9);
        for len in [0, 1, 5, 60] {
            let keys: Vec<String> = (0..len * 2).map(|_| format!("k{}", g.below(len as u64 + 1))).collect();
            let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
            let (first, second) = keys.split_at(len);
            let mut n = inserted(first);
            let mut more = pairs(second);
            for (_, v) in &mut more {
                *v += first.len();
            }
            n.extend(more);
            assert_eq!(n, inserted(&keys), "{keys:?}");
        }
    }
}
