//! Lenient, borrowed views of JSON values.
//!
//! Plans carry thousands of provider-defined attributes whose shapes vary by
//! resource type and provider version (`tags` is a map on most resources and
//! a list on old `aws_autoscaling_group`s). The types here take what they
//! understand and skip the rest without failing and without allocating, so
//! one odd resource never makes a whole plan unreadable.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// A string, or `None` for any other JSON value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct LenientStr<'a>(pub Option<Cow<'a, str>>);

/// A boolean, or `None` for any other JSON value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct LenientBool(pub Option<bool>);

/// A map of strings to strings (`tags`); `None` for anything that is not an
/// object. Entries whose value is not a string are skipped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct LenientMap<'a>(pub Option<Vec<MapEntry<'a>>>);

/// A string map's entry; `None`: a value that is not a string.
pub(crate) type MapEntry<'a> = (Cow<'a, str>, Option<Cow<'a, str>>);

/// An `after_unknown` mark: `true`, or an object/array with `true` inside.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct UnknownMark {
    /// The whole value is unknown.
    pub all: bool,
    /// Object keys whose values are (partly) unknown.
    pub keys: Vec<String>,
    /// Something inside is unknown.
    pub partial: bool,
}

impl UnknownMark {
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

struct StrVisitor;

impl<'de> Visitor<'de> for StrVisitor {
    type Value = LenientStr<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(LenientStr(Some(Cow::Borrowed(v))))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(LenientStr(Some(Cow::Owned(v.to_owned()))))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(LenientStr(Some(Cow::Owned(v))))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(LenientStr(None))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(LenientStr(None))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(LenientStr(None))
    }
    skip_other!(LenientStr<'de>);
}

impl<'de: 'a, 'a> Deserialize<'de> for LenientStr<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrVisitor)
    }
}

struct BoolVisitor;

impl<'de> Visitor<'de> for BoolVisitor {
    type Value = LenientBool;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(LenientBool(Some(v)))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(LenientBool(None))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(LenientBool(None))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(LenientBool(None))
    }
    skip_other!(LenientBool);
}

impl<'de> Deserialize<'de> for LenientBool {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(BoolVisitor)
    }
}

struct MapVisitor;

impl<'de> Visitor<'de> for MapVisitor {
    type Value = LenientMap<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(key) = map.next_key::<LenientStr<'de>>()? {
            // A string, `null` (no entry), or anything else (`None`): read
            // in the one pass, nothing kept raw and parsed again.
            let value = match map.next_value::<EntryValue<'de>>()? {
                EntryValue::Null => continue,
                EntryValue::Str(s) => Some(s),
                EntryValue::Other => None,
            };
            if let Some(key) = key.0 {
                out.push((key, value));
            }
        }
        Ok(LenientMap(Some(out)))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(LenientMap(None))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(LenientMap(None))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(LenientMap(None))
    }
    skip_other!(LenientMap<'de>);
}

/// The value of a string map's entry.
enum EntryValue<'a> {
    Null,
    Str(Cow<'a, str>),
    Other,
}

struct EntryVisitor;

impl<'de> Visitor<'de> for EntryVisitor {
    type Value = EntryValue<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(EntryValue::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(EntryValue::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(EntryValue::Str(Cow::Owned(v)))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(EntryValue::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(EntryValue::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(EntryValue::Other)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(EntryValue::Other)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(EntryValue::Other)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(EntryValue::Other)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(EntryValue::Other)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(EntryValue::Other)
    }
}

impl<'de> Deserialize<'de> for EntryValue<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(EntryVisitor)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for LenientMap<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(MapVisitor)
    }
}

/// A value that deserializes only from a JSON object: anything else yields
/// `None`.
pub(crate) struct LenientObject<T>(pub Option<T>);

impl<T> Default for LenientObject<T> {
    fn default() -> Self {
        Self(None)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for LenientObject<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = LenientObject<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(|t| LenientObject(Some(t)))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(LenientObject(None))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(LenientObject(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(LenientObject(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(LenientObject(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(LenientObject(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(LenientObject(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(LenientObject(None))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

struct UnknownMarkVisitor;

impl<'de> Visitor<'de> for UnknownMarkVisitor {
    type Value = UnknownMark;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(UnknownMark {
            all: v,
            ..UnknownMark::default()
        })
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(UnknownMark::default())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut mark = UnknownMark::default();
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            if map.next_value::<UnknownMark>()?.any() {
                mark.partial = true;
                mark.keys.push(key.into_owned());
            }
        }
        Ok(mark)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut mark = UnknownMark::default();
        while let Some(item) = seq.next_element::<UnknownMark>()? {
            mark.partial |= item.any();
        }
        Ok(mark)
    }
    skip_other!(UnknownMark);
}

impl<'de> Deserialize<'de> for UnknownMark {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(UnknownMarkVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct Probe<'a> {
        #[serde(borrow, default)]
        s: LenientStr<'a>,
        #[serde(default)]
        b: LenientBool,
        #[serde(borrow, default)]
        m: LenientMap<'a>,
        #[serde(default)]
        u: UnknownMark,
    }

    #[test]
    fn lenient_values_skip_other_shapes() {
        let p: Probe<'_> =
            serde_json::from_str(r#"{"s": [1, {"a": 2}], "b": "yes", "m": [{"key": "k"}], "u": {"a": true, "b": false}}"#)
                .unwrap();
        assert_eq!(p.s, LenientStr(None));
        assert_eq!(p.b, LenientBool(None));
        assert_eq!(p.m, LenientMap(None));
        assert_eq!(p.u.keys, vec!["a".to_string()]);
        let p: Probe<'_> = serde_json::from_str(
            r#"{"s": "x", "b": false, "m": {"a": "1", "n": null, "l": [1]}, "u": true}"#,
        )
        .unwrap();
        assert_eq!(p.s.0.as_deref(), Some("x"));
        assert_eq!(p.b, LenientBool(Some(false)));
        // A null value is no entry; a value that is not a string is kept,
        // as not known to be a tag value.
        assert_eq!(
            p.m.0.unwrap(),
            vec![
                (Cow::Borrowed("a"), Some(Cow::Borrowed("1"))),
                (Cow::Borrowed("l"), None)
            ]
        );
        assert!(p.u.all);
    }
}
