//! Values as the model reads them, whatever input they came from.
//!
//! A plan's `change.after` with its `after_unknown` marks, a state's
//! `values`, and an evaluated configuration block all become the same
//! [`Value`]: JSON-like data in which any part may be [`Value::Unknown`]
//! (unknown until apply, or not computable offline, with the reason). A
//! partly known map stays partly known: `merge(var.tags, {tier = "db"})` has
//! a known `tier` even when the other keys are unknown.
//!
//! Readers expose an instance's attributes through [`Attributes`]; the model
//! and the AWS facts read them by name and never see a reader's own types.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

/// A value an input gives, possibly with unknown parts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value<'a> {
    Null,
    Bool(bool),
    Number(f64),
    String(Cow<'a, str>),
    /// Lists, sets and tuples; nested blocks are lists of maps.
    List(Vec<Value<'a>>),
    /// Maps and objects.
    Map(BTreeMap<Cow<'a, str>, Value<'a>>),
    /// A map of which only these entries are known: any other key may be
    /// there too, with an unknown value (`merge(var.unknown, {tier = "db"})`).
    Partial(BTreeMap<Cow<'a, str>, Value<'a>>, Unknown),
    Unknown(Unknown),
}

/// Why a value is not known offline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Unknown {
    /// Computed by the provider during apply (a plan's `after_unknown`).
    UntilApply,
    /// Not computable offline; the text says why.
    Because(String),
    /// An attribute of a resource or data source (its absolute address and
    /// the attribute path), known only once it exists: the reference is
    /// kept, so a rule can tell which resource a value comes from.
    Attribute { address: String, attribute: String },
    /// Evaluating it fails (a missing key, an index out of range, a wrong
    /// type): Terraform would stop, and `try` / `can` move on.
    Error(String),
}

impl Unknown {
    pub(crate) fn because(why: impl Into<String>) -> Self {
        Unknown::Because(why.into())
    }

    /// Completes "... is unknown" / "... are unknown": ` until apply`, or
    /// `: <reason>`.
    pub(crate) fn suffix(&self) -> String {
        match self {
            Unknown::UntilApply => " until apply".to_string(),
            other => format!(": {}", other.reason()),
        }
    }

    /// The reason alone (for messages that quote it after a colon).
    pub(crate) fn reason(&self) -> String {
        match self {
            Unknown::UntilApply => "it is unknown until apply".into(),
            Unknown::Because(why) | Unknown::Error(why) => why.clone(),
            Unknown::Attribute { address, attribute } => {
                let when = if address.starts_with("data.") || address.contains(".data.") {
                    "read only when Terraform runs"
                } else {
                    "known only after apply"
                };
                if attribute.is_empty() {
                    format!("it comes from `{address}`, {when}")
                } else {
                    format!("it comes from `{address}.{attribute}`, {when}")
                }
            }
        }
    }
}

impl<'a> Value<'a> {
    pub(crate) fn unknown(why: impl Into<String>) -> Self {
        Value::Unknown(Unknown::because(why))
    }

    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// A boolean, also from the strings `"true"` / `"false"` (Terraform
    /// converts them).
    pub(crate) fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            Value::String(s) if s == "true" => Some(true),
            Value::String(s) if s == "false" => Some(false),
            _ => None,
        }
    }

    pub(crate) fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The elements of a list; a single map stands for a list of one (a
    /// nested block written as one JSON object).
    pub(crate) fn elements(&self) -> Option<Vec<&Value<'a>>> {
        match self {
            Value::List(items) => Some(items.iter().collect()),
            Value::Map(_) => Some(vec![self]),
            _ => None,
        }
    }

    /// A member of a map.
    pub(crate) fn member(&self, key: &str) -> Option<&Value<'a>> {
        match self {
            Value::Map(map) | Value::Partial(map, _) => map.get(key),
            _ => None,
        }
    }

    /// The value as JSON, unknown parts as `null` (for JSONPath selectors).
    pub(crate) fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null | Value::Unknown(_) => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Number(n) => number_json(*n),
            Value::String(s) => serde_json::Value::String(s.to_string()),
            Value::List(items) => {
                serde_json::Value::Array(items.iter().map(Value::to_json).collect())
            }
            Value::Map(map) | Value::Partial(map, _) => serde_json::Value::Object(
                map.iter()
                    .map(|(k, v)| (k.to_string(), v.to_json()))
                    .collect(),
            ),
        }
    }

    /// A JSON value as a known value.
    pub(crate) fn from_json(json: &serde_json::Value) -> Value<'static> {
        match json {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => Value::Number(n.as_f64().unwrap_or(f64::NAN)),
            serde_json::Value::String(s) => Value::String(Cow::Owned(s.clone())),
            serde_json::Value::Array(items) => {
                Value::List(items.iter().map(Value::from_json).collect())
            }
            serde_json::Value::Object(map) => Value::Map(
                map.iter()
                    .map(|(k, v)| (Cow::Owned(k.clone()), Value::from_json(v)))
                    .collect(),
            ),
        }
    }
}

/// Integers print without a fraction, as in JSON written by Terraform.
fn number_json(n: f64) -> serde_json::Value {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        #[allow(clippy::cast_possible_truncation)]
        serde_json::Value::from(n as i64)
    } else {
        serde_json::Number::from_f64(n).map_or(serde_json::Value::Null, serde_json::Value::Number)
    }
}

/// Compact JSON, unknown parts as `(unknown)`: how messages quote a value.
impl fmt::Display for Value<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Unknown(_) => f.write_str("(unknown)"),
            Value::List(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            Value::Map(map) | Value::Partial(map, _) => {
                f.write_str("{")?;
                for (i, (k, v)) in map.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{}:{v}", serde_json::Value::String(k.to_string()))?;
                }
                f.write_str("}")
            }
            known => write!(f, "{}", known.to_json()),
        }
    }
}

/// An instance's attributes, as one reader knows them. `None`: the input
/// does not set the attribute (and does not mark it unknown).
pub(crate) trait Attributes<'a> {
    fn get(&self, name: &str) -> Option<Value<'a>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_compact_json() {
        let v = Value::from_json(&serde_json::json!({"a": [1, "x", null], "b": 1.5}));
        assert_eq!(v.to_string(), r#"{"a":[1,"x",null],"b":1.5}"#);
        assert_eq!(Value::unknown("x").to_string(), "(unknown)");
    }

    #[test]
    fn a_single_map_is_a_list_of_one() {
        let v = Value::from_json(&serde_json::json!({"enabled": true}));
        assert_eq!(v.elements().map(|e| e.len()), Some(1));
        assert_eq!(Value::Bool(true).elements(), None);
    }
}
