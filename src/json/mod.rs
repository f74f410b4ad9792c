//! JSON helpers every reader shares: lenient borrowed views of values
//! ([`lenient`]), where an object starts and ends in the input, and JSON
//! syntax errors as byte spans with a clear message.

pub(crate) mod cursor;
pub(crate) mod lenient;

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;
use std::ops::Range;

use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::error::{ErrorCode, InputError};
use crate::source::range_in;
use lenient::LenientStr;

/// The byte offset a `serde_json` error points at, within `text`.
pub(crate) fn error_offset(text: &str, err: &serde_json::Error) -> usize {
    if err.line() == 0 {
        return 0;
    }
    let line_start = if err.line() == 1 {
        0
    } else {
        text.match_indices('\n')
            .nth(err.line() - 2)
            .map_or(text.len(), |(i, _)| i + 1)
    };
    // serde_json counts columns in bytes, 1-based; 0 means "before the line".
    (line_start + err.column().saturating_sub(1)).min(text.len())
}

/// Parses `part` (a slice of `whole`) as `T`; on failure returns the error
/// message and its byte range in `whole`.
pub(crate) fn parse_in<'a, T: Deserialize<'a>>(
    whole: &str,
    part: &'a str,
) -> Result<T, (String, Range<usize>)> {
    serde_json::from_str(part).map_err(|e| {
        let base = range_in(whole, part).start;
        let at = base + error_offset(part, &e);
        (strip_position(&e), at..at)
    })
}

/// A JSON string in `whole`, borrowed when it has no escapes (serde's own
/// `Cow<str>` is always owned).
pub(crate) fn string_in<'a>(
    whole: &str,
    part: &'a str,
) -> Result<std::borrow::Cow<'a, str>, (String, Range<usize>)> {
    match part.strip_prefix('"').and_then(|p| p.strip_suffix('"')) {
        // Valid JSON (a `RawValue`): a string without a backslash is its
        // text between the quotes.
        Some(plain) if !plain.contains('\\') => Ok(std::borrow::Cow::Borrowed(plain)),
        _ => parse_in::<String>(whole, part).map(std::borrow::Cow::Owned),
    }
}

/// A `serde_json` error message without its " at line L column C" suffix
/// (the caller reports the position itself).
pub(crate) fn strip_position(err: &serde_json::Error) -> String {
    let text = err.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

/// An object and where it starts: the byte address of its first key, from
/// which the opening `{` is found without a second parse. The object's end
/// is found only when a report needs it ([`value_span`]), so a 100 MB plan
/// is scanned once, not once per view.
#[derive(Debug)]
pub(crate) struct Located<T> {
    /// Memory address of the first key's text (inside the input), when
    /// it could be borrowed.
    pub first_key: Option<usize>,
    /// Memory address just past the object, when its reader knows it
    /// ([`cursor::Cursor::address`]).
    pub end: Option<usize>,
    pub value: T,
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Located<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Located<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                // `LenientStr` borrows where it can (serde's own `Cow` never does).
                let first: Option<Cow<'de, str>> =
                    map.next_key::<LenientStr<'de>>()?.and_then(|k| k.0);
                let first_key = match &first {
                    Some(Cow::Borrowed(k)) => Some(k.as_ptr() as usize),
                    _ => None,
                };
                let value =
                    T::deserialize(de::value::MapAccessDeserializer::new(Replay { first, map }))?;
                Ok(Located {
                    first_key,
                    end: None,
                    value,
                })
            }
        }
        d.deserialize_map(V(PhantomData))
    }
}

/// A map whose first key was already read: yields it again, then the rest.
struct Replay<'de, A> {
    first: Option<Cow<'de, str>>,
    map: A,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Replay<'de, A> {
    type Error = A::Error;
    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        match self.first.take() {
            Some(Cow::Borrowed(k)) => seed
                .deserialize(de::value::BorrowedStrDeserializer::new(k))
                .map(Some),
            Some(Cow::Owned(k)) => seed
                .deserialize(de::value::StringDeserializer::new(k))
                .map(Some),
            None => self.map.next_key_seed(seed),
        }
    }
    fn next_value_seed<V: de::DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, A::Error> {
        self.map.next_value_seed(seed)
    }
}

/// The start of the object whose first key's text begins at memory address
/// `first_key` within `text`: back over the quote and white space to the
/// `{`. Falls back to `fallback` (a position inside the object).
pub(crate) fn object_start(text: &str, first_key: Option<usize>, fallback: usize) -> usize {
    let bytes = text.as_bytes();
    let base = text.as_ptr() as usize;
    let Some(key) = first_key.filter(|&k| k > base && k <= base + text.len()) else {
        return fallback;
    };
    let mut i = key - base - 1;
    while i > 0 {
        i -= 1;
        match bytes[i] {
            b'{' => return i,
            b if b.is_ascii_whitespace() => {}
            _ => break,
        }
    }
    fallback
}

/// The exact byte range of the JSON value starting at `start`, in a text
/// already parsed as JSON (a report asks for it after the read): objects,
/// arrays and strings are crossed by looking only at quotes, escapes and
/// their own brackets, many bytes at a time.
pub(crate) fn value_span(text: &str, start: usize) -> Range<usize> {
    let bytes = text.as_bytes();
    let end = match bytes.get(start) {
        Some(&open @ (b'{' | b'[')) => container_end(bytes, start, open),
        Some(b'"') => string_end(bytes, start + 1),
        _ => None,
    };
    if let Some(end) = end {
        return start..end;
    }
    let mut values = serde_json::Deserializer::from_str(&text[start..]).into_iter::<&RawValue>();
    match values.next() {
        Some(Ok(raw)) => range_in(text, raw.get()),
        _ => start..start + 1,
    }
}

/// Past the bracket closing the one at `start` (in valid JSON the other
/// kind of bracket nests inside, so only `open`'s own kind is counted).
/// A byte loop: a plan's objects are dense with short strings, where
/// searching for the next quote costs more per call than it saves.
fn container_end(bytes: &[u8], start: usize, open: u8) -> Option<usize> {
    let close = if open == b'{' { b'}' } else { b']' };
    let mut depth = 0usize;
    let mut in_string = false;
    let mut i = start;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            match b {
                b'\\' => i += 1,
                b'"' => in_string = false,
                _ => {}
            }
        } else if b == b'"' {
            in_string = true;
        } else if b == open {
            depth += 1;
        } else if b == close {
            depth -= 1;
            if depth == 0 {
                return Some(i + 1);
            }
        }
        i += 1;
    }
    None
}

/// Past the quote closing a string whose text starts at `from`.
fn string_end(bytes: &[u8], mut from: usize) -> Option<usize> {
    loop {
        let i = from + memchr::memchr2(b'"', b'\\', bytes.get(from..)?)?;
        if bytes[i] == b'"' {
            return Some(i + 1);
        }
        from = i + 2;
    }
}

/// The `"key"` token of the object member whose value starts at `value`:
/// back over `:` and white space to the closing quote, then to the opening
/// one. Falls back to the value's first byte. Linear in the key's length,
/// whatever its escapes.
pub(crate) fn key_token(text: &str, value: usize) -> Range<usize> {
    let bytes = text.as_bytes();
    let fallback = value..(value + 1).min(text.len().max(value + 1));
    let skip_ws = |mut i: usize| {
        while i > 0 && bytes[i - 1].is_ascii_whitespace() {
            i -= 1;
        }
        i
    };
    let colon = skip_ws(value.min(bytes.len()));
    if colon == 0 || bytes[colon - 1] != b':' {
        return fallback;
    }
    let close = skip_ws(colon - 1);
    if close == 0 || bytes[close - 1] != b'"' {
        return fallback;
    }
    let mut open = close - 1;
    while let Some(quote) = memchr::memrchr(b'"', &bytes[..open]) {
        // A quote preceded by an odd number of backslashes is escaped.
        let backslashes = bytes[..quote]
            .iter()
            .rev()
            .take_while(|&&b| b == b'\\')
            .count();
        if backslashes % 2 == 0 {
            return quote..close;
        }
        open = quote - backslashes;
    }
    fallback
}

/// A JSON syntax error of the document `json`, which starts at `base` in
/// its file: where, and what to do about it.
pub(crate) fn syntax_error(json: &str, err: &serde_json::Error, base: usize) -> InputError {
    invalid_json(
        &strip_position(err),
        err.is_eof(),
        base + error_offset(json, err),
    )
}

/// [`syntax_error`] of a [`cursor::Cursor`]'s error; `base`: where the
/// cursor's text starts in the file.
pub(crate) fn cursor_error(err: &cursor::CursorError, base: usize) -> InputError {
    invalid_json(&err.message, err.eof, base + err.at)
}

fn invalid_json(message: &str, eof: bool, at: usize) -> InputError {
    let (message, help) = if eof {
        (
            format!("the JSON ends early: {message}"),
            "the file looks truncated; write it again with `terraform show -json PLANFILE > plan.json`",
        )
    } else {
        (
            format!("invalid JSON: {message}"),
            "tierkey reads the output of `terraform show -json` / `tofu show -json`",
        )
    };
    InputError::new(ErrorCode::InvalidJson, message)
        .help(help)
        .at(at..at + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A string without escapes is borrowed; any other is read by serde.
    #[test]
    fn strings_are_borrowed_unless_escaped() {
        use std::borrow::Cow;
        let whole = r#"["aws_s3_bucket.b", "a\"b", "\u0061", "", 1]"#;
        let parts: Vec<&serde_json::value::RawValue> = serde_json::from_str(whole).unwrap();
        let read: Vec<_> = parts.iter().map(|p| string_in(whole, p.get())).collect();
        assert!(matches!(&read[0], Ok(Cow::Borrowed("aws_s3_bucket.b"))));
        assert!(matches!(&read[1], Ok(Cow::Owned(s)) if s == "a\"b"));
        assert!(matches!(&read[2], Ok(Cow::Owned(s)) if s == "a"));
        assert!(matches!(&read[3], Ok(Cow::Borrowed(""))));
        assert!(read[4].is_err());
    }

    /// The quick scan gives the spans a full parse gives, whatever hides in
    /// strings; a text it cannot cross falls back to the parser.
    #[test]
    fn value_spans_match_a_parse() {
        let text = r#"[{"a": "}\\", "b": ["]", {"c": "\"{"}], "d": {}}, "e\\\"", 12 , "x"]"#;
        let values: Vec<&RawValue> = serde_json::from_str(text).unwrap();
        for raw in values {
            let range = range_in(text, raw.get());
            assert_eq!(value_span(text, range.start), range, "{}", raw.get());
        }
        assert_eq!(value_span(r#"{"a": "#, 0), 0..1);
        assert_eq!(value_span(r#""abc\"#, 0), 0..1);
        assert_eq!(value_span("[1, [2]", 0), 0..1);
    }

    #[test]
    fn located_objects_know_where_they_start_and_end() {
        #[derive(serde::Deserialize)]
        struct Item<'a> {
            #[serde(borrow)]
            name: &'a str,
        }
        let text = r#"[ {"name": "a", "x": {"y": [1, "}"]}},  {  "name" : "b"} ]"#;
        let items: Vec<Located<Item<'_>>> = serde_json::from_str(text).unwrap();
        let spans: Vec<&str> = items
            .iter()
            .map(|i| {
                assert!(!i.value.name.is_empty());
                let start = object_start(text, i.first_key, 0);
                &text[value_span(text, start)]
            })
            .collect();
        assert_eq!(
            spans,
            [
                r#"{"name": "a", "x": {"y": [1, "}"]}}"#,
                r#"{  "name" : "b"}"#
            ]
        );
    }

    #[test]
    fn key_tokens_are_found_backwards_in_linear_time() {
        let text = r#"{"a\"b": {"x": 1}, "plain" : 2}"#;
        let value = text.find("{\"x").unwrap();
        assert_eq!(&text[key_token(text, value)], r#""a\"b""#);
        let value = text.find('2').unwrap();
        assert_eq!(&text[key_token(text, value)], r#""plain""#);
        // 100 000 escaped quotes: found at once, not in quadratic time.
        let key = "\\\"".repeat(100_000);
        let text = format!("{{\"{key}\": 1}}");
        let value = text.rfind('1').unwrap();
        assert_eq!(key_token(&text, value), 1..text.len() - 4);
    }

    #[test]
    fn error_offsets_point_into_the_text() {
        let text = "{\n  \"a\": 1,\n  \"b\": ]\n}";
        let err = serde_json::from_str::<serde_json::Value>(text).unwrap_err();
        assert_eq!(&text[error_offset(text, &err)..][..1], "]");
    }
}
