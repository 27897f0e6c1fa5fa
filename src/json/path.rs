//! [`Path`]: where a value sits in a JSON document, for error messages.

use super::ToJson;

/// Where a value sits in a JSON document, such as `flows.main.steps.ask.buttons[0]`: a chain of keys and
/// indexes kept on the stack and spelled out only when an error is reported, so reading a good document builds
/// no path strings. Agent files, saved sessions and the host's `load()` config are read with it.
#[derive(Clone, Copy)]
pub enum Path<'a> {
    /// The document itself (spelled as nothing).
    Root,
    /// `parent.key`, or `key` when the parent is spelled as nothing.
    Key(&'a Path<'a>, &'a str),
    /// `parent[i]`.
    Index(&'a Path<'a>, usize),
}

// The constructors are never inlined: paths are built at about a hundred places, and a call is less code than
// the stores that build a node in place.
impl<'a> Path<'a> {
    /// A key at the top of the document.
    #[inline(never)]
    pub fn top(key: &'a str) -> Path<'a> {
        Path::Key(&Path::Root, key)
    }

    #[inline(never)]
    pub fn key(&'a self, key: &'a str) -> Path<'a> {
        Path::Key(self, key)
    }

    #[inline(never)]
    pub fn index(&'a self, i: usize) -> Path<'a> {
        Path::Index(self, i)
    }

    /// The path as error messages show it.
    pub fn render(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        match self {
            Path::Root => {}
            Path::Key(parent, key) => {
                parent.write(out);
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Path::Index(parent, i) => {
                parent.write(out);
                out.push('[');
                i.write_json(out); // the digits, as in JSON
                out.push(']');
            }
        }
    }
}
