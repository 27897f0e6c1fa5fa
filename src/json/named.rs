//! [`Named`]: a map from names to values kept sorted by name.

/// A map from names to values, kept sorted by name (the order a `BTreeMap` iterates in). What the objects of
/// an agent file decode into: a sorted list instead of a `BTreeMap`, because each `BTreeMap` value type adds
/// kilobytes of insert code to the wasm module. Agents are small, so a binary search is fast enough.
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
