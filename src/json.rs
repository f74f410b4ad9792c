//! Lenient, borrowed views of JSON values, and JSON errors as byte spans.
//!
//! Plans carry thousands of provider-defined attributes whose shapes vary by
//! resource type and provider version (`tags` is a map on most resources and
//! a list on old `aws_autoscaling_group`s). The types here take what they
//! understand and skip the rest without failing and without allocating, so
//! one odd resource never makes a whole plan unreadable.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;
use std::ops::Range;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use crate::source::range_in;

/// A string, or `None` for any other JSON value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct LStr<'a>(pub Option<Cow<'a, str>>);

/// A boolean, or `None` for any other JSON value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct LBool(pub Option<bool>);

/// A map of strings to strings (`tags`); `None` for anything that is not an
/// object. Entries whose value is not a string are skipped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct LMap<'a>(pub Option<Vec<(Cow<'a, str>, Cow<'a, str>)>>);

/// A list of objects; anything else (or a non-object element) is skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LList<T>(pub Vec<T>);

impl<T> Default for LList<T> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

/// An `after_unknown` mark: `true`, or an object/array with `true` inside.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Mark {
    /// The whole value is unknown.
    pub all: bool,
    /// Object keys whose values are (partly) unknown.
    pub keys: Vec<String>,
    /// Something inside is unknown.
    pub partial: bool,
}

impl Mark {
    pub(crate) fn any(&self) -> bool {
        self.all || self.partial
    }
}

/// Skips any remaining value in a visitor, returning `None`.
macro_rules! skip_other {
    ($out:ty) => {
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<$out, E> {
            Ok(Default::default())
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<$out, E> {
            Ok(Default::default())
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<$out, E> {
            Ok(Default::default())
        }
        fn visit_unit<E: de::Error>(self) -> Result<$out, E> {
            Ok(Default::default())
        }
        fn visit_none<E: de::Error>(self) -> Result<$out, E> {
            Ok(Default::default())
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<$out, D::Error> {
            d.deserialize_any(self)
        }
    };
}

struct LStrVisitor;

impl<'de> Visitor<'de> for LStrVisitor {
    type Value = LStr<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(LStr(Some(Cow::Borrowed(v))))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(LStr(Some(Cow::Owned(v.to_owned()))))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(LStr(Some(Cow::Owned(v))))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(LStr(None))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(LStr(None))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(LStr(None))
    }
    skip_other!(LStr<'de>);
}

impl<'de: 'a, 'a> Deserialize<'de> for LStr<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(LStrVisitor)
    }
}

struct LBoolVisitor;

impl<'de> Visitor<'de> for LBoolVisitor {
    type Value = LBool;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(LBool(Some(v)))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(LBool(None))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(LBool(None))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(LBool(None))
    }
    skip_other!(LBool);
}

impl<'de> Deserialize<'de> for LBool {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(LBoolVisitor)
    }
}

struct LMapVisitor;

impl<'de> Visitor<'de> for LMapVisitor {
    type Value = LMap<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(key) = map.next_key::<LStr<'de>>()? {
            let value = map.next_value::<LStr<'de>>()?;
            if let (Some(key), Some(value)) = (key.0, value.0) {
                out.push((key, value));
            }
        }
        Ok(LMap(Some(out)))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(LMap(None))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(LMap(None))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(LMap(None))
    }
    skip_other!(LMap<'de>);
}

impl<'de: 'a, 'a> Deserialize<'de> for LMap<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(LMapVisitor)
    }
}

/// A value that deserializes only from a JSON object: anything else yields
/// `None`.
pub(crate) struct LObj<T>(pub Option<T>);

impl<T> Default for LObj<T> {
    fn default() -> Self {
        Self(None)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for LObj<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = LObj<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(|t| LObj(Some(t)))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(LObj(None))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(LObj(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(LObj(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(LObj(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(LObj(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(LObj(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(LObj(None))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for LList<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = LList<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(item) = seq.next_element::<LObj<T>>()? {
                    out.extend(item.0);
                }
                Ok(LList(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(LList(Vec::new()))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(LList(Vec::new()))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(LList(Vec::new()))
            }
            skip_other!(LList<T>);
        }
        d.deserialize_any(V(PhantomData))
    }
}

struct MarkVisitor;

impl<'de> Visitor<'de> for MarkVisitor {
    type Value = Mark;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Mark {
            all: v,
            ..Mark::default()
        })
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Mark::default())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut mark = Mark::default();
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            if map.next_value::<Mark>()?.any() {
                mark.partial = true;
                mark.keys.push(key.into_owned());
            }
        }
        Ok(mark)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut mark = Mark::default();
        while let Some(item) = seq.next_element::<Mark>()? {
            mark.partial |= item.any();
        }
        Ok(mark)
    }
    skip_other!(Mark);
}

impl<'de> Deserialize<'de> for Mark {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(MarkVisitor)
    }
}

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

/// A `serde_json` error message without its " at line L column C" suffix
/// (the caller reports the position itself).
pub(crate) fn strip_position(err: &serde_json::Error) -> String {
    let text = err.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct Probe<'a> {
        #[serde(borrow, default)]
        s: LStr<'a>,
        #[serde(default)]
        b: LBool,
        #[serde(borrow, default)]
        m: LMap<'a>,
        #[serde(default)]
        u: Mark,
    }

    #[test]
    fn lenient_values_skip_other_shapes() {
        let p: Probe<'_> =
            serde_json::from_str(r#"{"s": [1, {"a": 2}], "b": "yes", "m": [{"key": "k"}], "u": {"a": true, "b": false}}"#)
                .unwrap();
        assert_eq!(p.s, LStr(None));
        assert_eq!(p.b, LBool(None));
        assert_eq!(p.m, LMap(None));
        assert_eq!(p.u.keys, vec!["a".to_string()]);
        let p: Probe<'_> = serde_json::from_str(
            r#"{"s": "x", "b": false, "m": {"a": "1", "n": null}, "u": true}"#,
        )
        .unwrap();
        assert_eq!(p.s.0.as_deref(), Some("x"));
        assert_eq!(p.b, LBool(Some(false)));
        assert_eq!(
            p.m.0.unwrap(),
            vec![(Cow::Borrowed("a"), Cow::Borrowed("1"))]
        );
        assert!(p.u.all);
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
                &text[object_span(text, start)]
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
    fn error_offsets_point_into_the_text() {
        let text = "{\n  \"a\": 1,\n  \"b\": ]\n}";
        let err = serde_json::from_str::<serde_json::Value>(text).unwrap_err();
        assert_eq!(&text[error_offset(text, &err)..][..1], "]");
    }
}

/// An object and where it starts: the byte address of its first key, from
/// which the opening `{` is found without a second parse. The object's end
/// is found only when a report needs it ([`object_span`]), so a 100 MB plan
/// is scanned once, not once per view.
#[derive(Debug)]
pub(crate) struct Located<T> {
    /// Memory address of the first key's text (inside the input), when
    /// it could be borrowed.
    pub first_key: Option<usize>,
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
                // `LStr` borrows where it can (serde's own `Cow` never does).
                let first: Option<Cow<'de, str>> = map.next_key::<LStr<'de>>()?.and_then(|k| k.0);
                let first_key = match &first {
                    Some(Cow::Borrowed(k)) => Some(k.as_ptr() as usize),
                    _ => None,
                };
                let value =
                    T::deserialize(de::value::MapAccessDeserializer::new(Replay { first, map }))?;
                Ok(Located { first_key, value })
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

/// The exact byte range of the JSON value starting at `start`.
pub(crate) fn object_span(text: &str, start: usize) -> Range<usize> {
    let mut values = serde_json::Deserializer::from_str(&text[start..]).into_iter::<&RawValue>();
    match values.next() {
        Some(Ok(raw)) => range_in(text, raw.get()),
        _ => start..start + 1,
    }
}
