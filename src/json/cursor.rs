//! A cursor that walks a JSON document's outer structure by hand and hands
//! each member or element to serde, knowing where every one ends.
//!
//! `serde_json` parses a whole value at once; a reader that wants to stop
//! between two elements of an array (to let another thread take the rest),
//! or to know where each element ends, walks the brackets, commas and keys
//! itself with this cursor and parses the values in between. Its errors
//! read as `serde_json`'s own and point at a byte of the whole text.

use serde::Deserialize;
use serde_json::value::RawValue;

use super::error_offset;

/// A JSON syntax or shape error at a byte of the text a cursor walks.
#[derive(Debug)]
pub(crate) struct CursorError {
    /// `serde_json`'s message, without its position.
    pub message: String,
    /// The byte it points at, in the cursor's text.
    pub at: usize,
    /// The text ended before the value did.
    pub eof: bool,
}

/// A position in a JSON text.
pub(crate) struct Cursor<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(text: &'a str, pos: usize) -> Self {
        Cursor { text, pos }
    }

    /// The byte offset of the cursor in its text.
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// The memory address of the cursor's byte (to tell where in a larger
    /// text it is, as [`super::Located`] does).
    pub(crate) fn address(&self) -> usize {
        self.text.as_ptr() as usize + self.pos
    }

    /// Skips JSON white space; returns the next byte, if any.
    pub(crate) fn peek(&mut self) -> Option<u8> {
        let bytes = self.text.as_bytes();
        while let Some(&b) = bytes.get(self.pos) {
            if !matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                return Some(b);
            }
            self.pos += 1;
        }
        None
    }

    /// An error at the cursor, worded as `serde_json` words it.
    pub(crate) fn error(&self, message: &str) -> CursorError {
        let eof = self.pos >= self.text.len();
        CursorError {
            message: if eof {
                format!("EOF while parsing {message}")
            } else {
                message.to_string()
            },
            at: self.pos.min(self.text.len()),
            eof,
        }
    }

    /// Takes `byte` after white space, or fails with "expected `byte`"
    /// (`what` names the value being parsed, for the end of the text).
    pub(crate) fn expect(&mut self, byte: u8, what: &str) -> Result<(), CursorError> {
        match self.peek() {
            Some(b) if b == byte => {
                self.pos += 1;
                Ok(())
            }
            Some(_) => Err(self.error(&format!("expected `{}`", char::from(byte)))),
            None => Err(self.error(what)),
        }
    }

    /// After an element or member: `Ok(true)` past a `,` (another
    /// follows), `Ok(false)` past the closing `close`.
    pub(crate) fn next_or_end(&mut self, close: u8, what: &str) -> Result<bool, CursorError> {
        match self.peek() {
            Some(b',') => {
                self.pos += 1;
                Ok(true)
            }
            Some(b) if b == close => {
                self.pos += 1;
                Ok(false)
            }
            Some(_) => Err(self.error(&format!("expected `,` or `{}`", char::from(close)))),
            None => Err(self.error(what)),
        }
    }

    /// Parses one value with serde and moves past it.
    pub(crate) fn value<T: Deserialize<'a>>(&mut self) -> Result<T, CursorError> {
        self.peek();
        let rest = &self.text[self.pos..];
        let mut values = serde_json::Deserializer::from_str(rest).into_iter::<T>();
        match values.next() {
            Some(Ok(value)) => {
                self.pos += values.byte_offset();
                Ok(value)
            }
            Some(Err(e)) => Err(CursorError {
                message: super::strip_position(&e),
                at: self.pos + error_offset(rest, &e),
                eof: e.is_eof(),
            }),
            None => Err(self.error("value")),
        }
    }

    /// The next value when it is one of `known` (objects parsed already,
    /// slices of the same text), taken without parsing it again.
    pub(crate) fn known(&mut self, known: &[&'a RawValue]) -> Option<&'a RawValue> {
        self.peek();
        let at = self.address();
        let raw = *known
            .iter()
            .find(|r| r.get().starts_with('{') && r.get().as_ptr() as usize == at)?;
        self.pos += raw.get().len();
        Some(raw)
    }

    /// An object's key, after white space (a `"` must follow).
    pub(crate) fn key(&mut self) -> Result<std::borrow::Cow<'a, str>, CursorError> {
        match self.peek() {
            Some(b'"') => {
                let key: super::lenient::LenientStr<'a> = self.value()?;
                Ok(key.0.unwrap_or_default())
            }
            Some(_) => Err(self.error("key must be a string")),
            None => Err(self.error("an object")),
        }
    }

    /// Only white space is left.
    pub(crate) fn end(&mut self) -> Result<(), CursorError> {
        match self.peek() {
            None => Ok(()),
            Some(_) => Err(self.error("trailing characters")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_members_and_knows_where_each_ends() {
        let text = r#" { "a" : [1, 2] , "b":"x\"y" } "#;
        let mut c = Cursor::new(text, 0);
        c.expect(b'{', "an object").unwrap();
        assert_eq!(c.key().unwrap(), "a");
        c.expect(b':', "an object").unwrap();
        let a: Vec<u8> = c.value().unwrap();
        assert_eq!(a, [1, 2]);
        assert_eq!(&text[c.pos()..], " , \"b\":\"x\\\"y\" } ");
        assert!(c.next_or_end(b'}', "an object").unwrap());
        assert_eq!(c.key().unwrap(), "b");
        c.expect(b':', "an object").unwrap();
        let b: String = c.value().unwrap();
        assert_eq!(b, "x\"y");
        assert!(!c.next_or_end(b'}', "an object").unwrap());
        c.end().unwrap();
    }

    #[test]
    fn errors_point_into_the_whole_text() {
        let text = "{\"a\": [1,\n 2 x]}";
        let mut c = Cursor::new(text, 0);
        c.expect(b'{', "an object").unwrap();
        c.key().unwrap();
        c.expect(b':', "an object").unwrap();
        let e = c.value::<Vec<u8>>().unwrap_err();
        assert_eq!(e.at, text.find('x').unwrap());
        assert_eq!(e.message, "expected `,` or `]`");
        let mut c = Cursor::new("{\"a\" 1}", 1);
        c.key().unwrap();
        let e = c.expect(b':', "an object").unwrap_err();
        assert_eq!(
            (e.message.as_str(), e.at, e.eof),
            ("expected `:`", 5, false)
        );
        let mut c = Cursor::new("[1, 2", 5);
        let e = c.next_or_end(b']', "a list").unwrap_err();
        assert_eq!(
            (e.message.as_str(), e.eof),
            ("EOF while parsing a list", true)
        );
        let mut c = Cursor::new("{} x", 2);
        assert_eq!(c.end().unwrap_err().at, 3);
    }
}
