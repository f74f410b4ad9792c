//! Operations on evaluated values that Terraform defines: conversions
//! (`number`, `to_text`, `truth`), equality, attribute and index access,
//! iteration, and the two kinds of unknown an evaluation produces. Pure
//! functions of values, shared by expressions and the function library.

use crate::value::{Unknown, Value};

/// A value computed by evaluation (it owns its text).
pub(super) type V = Value<'static>;

pub(super) fn error(why: impl Into<String>) -> V {
    Value::Unknown(Unknown::Error(why.into()))
}

pub(super) fn unknown(why: impl Into<String>) -> V {
    Value::unknown(why)
}

/// The first error among values, else the first unknown (a partial map
/// counts as unknown).
pub(super) fn first_unknown<'v>(values: impl IntoIterator<Item = &'v V>) -> Option<Unknown> {
    let mut found = None;
    for v in values {
        match v {
            Value::Unknown(u @ Unknown::Error(_)) => return Some(u.clone()),
            Value::Unknown(u) | Value::Partial(_, u) => {
                found.get_or_insert_with(|| u.clone());
            }
            _ => {}
        }
    }
    found
}

/// `value.name`.
pub(super) fn attribute(value: V, name: &str) -> V {
    match value {
        Value::Map(mut map) => map
            .remove(name)
            .unwrap_or_else(|| error(format!("the object has no attribute `{name}`"))),
        Value::Partial(mut map, u) => map.remove(name).unwrap_or(Value::Unknown(u)),
        u @ Value::Unknown(_) => u,
        Value::Null => error(format!("attribute `{name}` of a null value")),
        _ => error(format!(
            "attribute `{name}` of a value that is not an object"
        )),
    }
}

/// `value[key]`.
pub(super) fn index_value(value: V, key: &V) -> V {
    if let Some(u) = first_unknown([key]) {
        return Value::Unknown(u);
    }
    match value {
        Value::List(mut items) => match number(key) {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            Ok(n) if n >= 0.0 && n.fract() == 0.0 && (n as usize) < items.len() => {
                items.swap_remove(n as usize)
            }
            Ok(n) => error(format!("index {} is out of range", number_text(n))),
            Err(e) => e,
        },
        Value::Map(mut map) => match to_text(key) {
            Ok(k) => map
                .remove(k.as_str())
                .unwrap_or_else(|| error(format!("the map has no key {k:?}"))),
            Err(e) => e,
        },
        Value::Partial(mut map, u) => match to_text(key) {
            Ok(k) => map.remove(k.as_str()).unwrap_or(Value::Unknown(u)),
            Err(e) => e,
        },
        u @ Value::Unknown(_) => u,
        Value::Null => error("index of a null value"),
        _ => error("index of a value that is not a collection"),
    }
}

/// The key/value pairs a `for` iterates: list indexes or map keys.
pub(super) fn pairs(collection: V) -> Result<Vec<(V, V)>, V> {
    match collection {
        #[allow(clippy::cast_precision_loss)]
        Value::List(items) => Ok(items
            .into_iter()
            .enumerate()
            .map(|(i, v)| (Value::Number(i as f64), v))
            .collect()),
        Value::Map(map) => Ok(map
            .into_iter()
            .map(|(k, v)| (Value::String(k), v))
            .collect()),
        Value::Partial(_, u) | Value::Unknown(u) => Err(Value::Unknown(u)),
        Value::Null => Err(error("cannot iterate over a null value")),
        _ => Err(error(
            "cannot iterate over a value that is not a collection",
        )),
    }
}

/// A value as a boolean (`"true"` / `"false"` convert).
pub(super) fn truth(value: &V) -> Result<bool, V> {
    match value {
        Value::Unknown(u) | Value::Partial(_, u) => Err(Value::Unknown(u.clone())),
        v => v
            .as_bool()
            .ok_or_else(|| error(format!("{v} is not a boolean"))),
    }
}

/// A value as a number (numeric strings convert).
pub(super) fn number(value: &V) -> Result<f64, V> {
    match value {
        Value::Number(n) => Ok(*n),
        Value::String(s) => s
            .trim()
            .parse::<f64>()
            .map_err(|_| error(format!("{s:?} is not a number"))),
        Value::Unknown(u) | Value::Partial(_, u) => Err(Value::Unknown(u.clone())),
        v => Err(error(format!("{v} is not a number"))),
    }
}

/// A value as text (numbers and booleans convert), for templates and keys.
pub(super) fn to_text(value: &V) -> Result<String, V> {
    match value {
        Value::String(s) => Ok(s.to_string()),
        Value::Number(n) => Ok(number_text(*n)),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Null => Err(error("a null value cannot be part of a string")),
        Value::Unknown(u) | Value::Partial(_, u) => Err(Value::Unknown(u.clone())),
        Value::List(_) | Value::Map(_) => Err(error("a collection cannot be part of a string")),
    }
}

/// Numbers as Terraform prints them: integers without a fraction.
pub(super) fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        #[allow(clippy::cast_possible_truncation)]
        let i = n as i64;
        i.to_string()
    } else {
        n.to_string()
    }
}

/// Terraform's `==`: same type and same value (collections deeply).
pub(super) fn equal(a: &V, b: &V) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => (x - y).abs() < f64::EPSILON,
        _ => a == b,
    }
}
