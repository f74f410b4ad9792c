//! The pure Terraform functions real modules use, evaluated as Terraform
//! does. A function tierkey does not know, or one that reads files, the
//! clock or the network, gives an unknown value naming it: never a guess.
//!
//! Unknown arguments make the result unknown, except where the known part
//! decides: `merge` keeps the keys an unknown map cannot override,
//! `coalesce` stops at the first known non-empty value. (`try` and `can`,
//! which must see their arguments unevaluated, are in [`super::expr`].)

use std::borrow::Cow;
use std::collections::BTreeMap;

use super::values::{equal, error, first_unknown, number, to_text, unknown, V};
use crate::value::{Unknown, Value};

/// Calls function `name` with its evaluated arguments (`try` and `can`,
/// which evaluate their own, are expressions' business).
pub(super) fn call(name: &str, values: Vec<V>) -> V {
    // Functions that decide with unknown arguments.
    match name {
        "merge" => return merge(values),
        "coalesce" => return coalesce(values),
        "lookup" => return lookup(values),
        "sensitive" | "nonsensitive" => return values.into_iter().next().unwrap_or(Value::Null),
        _ => {}
    }
    if let Some(u) = first_unknown(&values) {
        return Value::Unknown(u);
    }
    known(name, values)
}

/// Functions whose arguments are all known.
fn known(name: &str, args: Vec<V>) -> V {
    match name {
        "lower" | "upper" | "title" | "trimspace" | "chomp" | "strrev" => string_map(name, &args),
        "format" => format(&args),
        "formatlist" => formatlist(&args),
        "join" => join(&args),
        "split" => split(&args),
        "replace" => replace(&args),
        "trim" | "trimprefix" | "trimsuffix" | "startswith" | "endswith" => strings2(name, &args),
        "substr" => substr(&args),
        "length" => length(&args),
        "element" => element(&args),
        "index" => index(&args),
        "contains" => contains(&args),
        "concat" => concat(args),
        "coalescelist" => args
            .into_iter()
            .find(|a| !matches!(a, Value::List(l) if l.is_empty()) && !a.is_null())
            .unwrap_or_else(|| error("coalescelist: every list is empty")),
        "flatten" => flatten(args),
        "distinct" => distinct(args),
        "compact" => compact(args),
        "reverse" => list_arg(args, |mut l| {
            l.reverse();
            Value::List(l)
        }),
        "sort" => sort(args),
        "slice" => slice(&args),
        "keys" | "values" => keys_values(name, args),
        "zipmap" => zipmap(args),
        "tomap" => tomap(args),
        "tolist" | "toset" => to_collection(name, args),
        "tostring" => one(args, |v| match v {
            Value::Null => Value::Null,
            v => to_text(&v).map_or_else(|e| e, |s| Value::String(Cow::Owned(s))),
        }),
        "tonumber" => one(args, |v| match v {
            Value::Null => Value::Null,
            v => number(&v).map_or_else(|e| e, Value::Number),
        }),
        "tobool" => one(args, |v| match v {
            Value::Null => Value::Null,
            v => v
                .as_bool()
                .map_or_else(|| error(format!("{v} is not a boolean")), Value::Bool),
        }),
        "jsonencode" => one(args, |v| Value::String(Cow::Owned(v.to_json().to_string()))),
        "jsondecode" => one(args, |v| match &v {
            Value::String(s) => serde_json::from_str::<serde_json::Value>(s).map_or_else(
                |e| error(format!("jsondecode: {e}")),
                |j| Value::from_json(&j),
            ),
            _ => error("jsondecode takes a string"),
        }),
        "min" | "max" | "sum" => numbers(name, args),
        "abs" | "ceil" | "floor" => one(args, |v| match number(&v) {
            Ok(n) => Value::Number(match name {
                "abs" => n.abs(),
                "ceil" => n.ceil(),
                _ => n.floor(),
            }),
            Err(e) => e,
        }),
        "range" => range(&args),
        "one" => list_arg(args, |l| match l.len() {
            0 => Value::Null,
            1 => l.into_iter().next().unwrap_or(Value::Null),
            _ => error("one: the list has more than one element"),
        }),
        "alltrue" | "anytrue" => list_arg(args, |l| {
            let all = name == "alltrue";
            let mut result = all;
            for v in &l {
                match v.as_bool() {
                    Some(b) if all => result &= b,
                    Some(b) => result |= b,
                    None => return error(format!("{name}: {v} is not a boolean")),
                }
            }
            Value::Bool(result)
        }),
        "file" | "filebase64" | "fileexists" | "fileset" | "filemd5" | "filesha256"
        | "templatefile" | "abspath" => unknown(format!(
            "`{name}(...)` reads files, which tierkey does not evaluate"
        )),
        "timestamp" | "plantimestamp" | "uuid" | "bcrypt" => {
            unknown(format!("`{name}()` is known only when Terraform runs"))
        }
        _ => unknown(format!("function `{name}` is not evaluated offline")),
    }
}

/// `merge(...)`: later maps win; a map whose keys are unknown may override
/// everything before it, but not what comes after it.
fn merge(args: Vec<V>) -> V {
    let mut out: BTreeMap<Cow<'static, str>, V> = BTreeMap::new();
    let mut open: Option<Unknown> = None;
    for arg in args {
        match arg {
            Value::Null => {}
            Value::Map(map) => out.extend(map),
            Value::Partial(map, u) => {
                for v in out.values_mut() {
                    *v = Value::Unknown(u.clone());
                }
                out.extend(map);
                open.get_or_insert(u);
            }
            Value::Unknown(u @ Unknown::Error(_)) => return Value::Unknown(u),
            Value::Unknown(u) => {
                for v in out.values_mut() {
                    *v = Value::Unknown(u.clone());
                }
                open.get_or_insert(u);
            }
            other => return error(format!("merge takes maps, not {other}")),
        }
    }
    match open {
        Some(u) => Value::Partial(out, u),
        None => Value::Map(out),
    }
}

/// `coalesce(...)`: the first argument that is neither null nor "".
fn coalesce(args: Vec<V>) -> V {
    for arg in args {
        match arg {
            Value::Null => {}
            Value::String(s) if s.is_empty() => {}
            other => return other,
        }
    }
    error("coalesce: every argument is null or empty")
}

/// `lookup(map, key, default)`.
fn lookup(args: Vec<V>) -> V {
    let mut args = args.into_iter();
    let (Some(map), Some(key)) = (args.next(), args.next()) else {
        return error("lookup takes a map, a key and a default");
    };
    let default = args.next();
    let key = match to_text(&key) {
        Ok(k) => k,
        Err(e) => return e,
    };
    match map {
        Value::Map(mut m) => m
            .remove(key.as_str())
            .or(default)
            .unwrap_or_else(|| error(format!("lookup: no key {key:?}"))),
        Value::Partial(mut m, u) => m.remove(key.as_str()).unwrap_or(Value::Unknown(u)),
        u @ Value::Unknown(_) => u,
        other => error(format!("lookup takes a map, not {other}")),
    }
}

fn text(v: &V) -> Result<String, V> {
    to_text(v)
}

fn one(args: Vec<V>, f: impl FnOnce(V) -> V) -> V {
    match args.into_iter().next() {
        Some(v) => f(v),
        None => error("missing argument"),
    }
}

fn list_arg(args: Vec<V>, f: impl FnOnce(Vec<V>) -> V) -> V {
    match args.into_iter().next() {
        Some(Value::List(l)) => f(l),
        Some(other) => error(format!("expected a list, not {other}")),
        None => error("missing argument"),
    }
}

fn string(s: String) -> V {
    Value::String(Cow::Owned(s))
}

fn string_map(name: &str, args: &[V]) -> V {
    let Some(s) = args.first() else {
        return error("missing argument");
    };
    let s = match text(s) {
        Ok(s) => s,
        Err(e) => return e,
    };
    string(match name {
        "lower" => s.to_lowercase(),
        "upper" => s.to_uppercase(),
        "title" => s
            .split(' ')
            .map(|w| {
                let mut c = w.chars();
                c.next()
                    .map(|f| f.to_uppercase().chain(c).collect::<String>())
                    .unwrap_or_default()
            })
            .collect::<Vec<_>>()
            .join(" "),
        "trimspace" => s.trim().to_string(),
        "chomp" => s.trim_end_matches(['\n', '\r']).to_string(),
        _ => s.chars().rev().collect(),
    })
}

fn strings2(name: &str, args: &[V]) -> V {
    let (Some(a), Some(b)) = (args.first(), args.get(1)) else {
        return error(format!("{name} takes two arguments"));
    };
    let (a, b) = match (text(a), text(b)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    match name {
        "trim" => string(a.trim_matches(|c| b.contains(c)).to_string()),
        "trimprefix" => string(a.strip_prefix(b.as_str()).unwrap_or(&a).to_string()),
        "trimsuffix" => string(a.strip_suffix(b.as_str()).unwrap_or(&a).to_string()),
        "startswith" => Value::Bool(a.starts_with(b.as_str())),
        _ => Value::Bool(a.ends_with(b.as_str())),
    }
}

/// `format(spec, args...)`: the verbs `%s %d %v %q %f %t %%`, with width
/// and precision.
/// The widest field and the most decimals `format` writes: a larger one
/// is an error rather than a huge string.
const MAX_FORMAT_WIDTH: usize = 1024;

/// One `%...` directive of `format`: flags, width, precision and verb.
struct Directive {
    left: bool,
    zero: bool,
    plus: bool,
    width: usize,
    precision: Option<usize>,
    verb: char,
}

impl Directive {
    /// Reads the directive after a `%`.
    fn read(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Result<Directive, V> {
        let (mut left, mut zero, mut plus) = (false, false, false);
        while let Some(&d) = chars.peek() {
            match d {
                '-' => left = true,
                '0' => zero = true,
                '+' => plus = true,
                ' ' | '#' => {}
                _ => break,
            }
            chars.next();
        }
        let digits = |chars: &mut std::iter::Peekable<std::str::Chars<'_>>| {
            let mut n: Option<usize> = None;
            while let Some(d) = chars.peek().and_then(|d| d.to_digit(10)) {
                n = Some(n.unwrap_or(0).saturating_mul(10).saturating_add(d as usize));
                chars.next();
            }
            n
        };
        let width = digits(chars).unwrap_or(0);
        let precision = if chars.peek() == Some(&'.') {
            chars.next();
            Some(digits(chars).unwrap_or(0))
        } else {
            None
        };
        if width > MAX_FORMAT_WIDTH || precision.is_some_and(|p| p > MAX_FORMAT_WIDTH) {
            return Err(error(format!(
                "format: a width or precision above {MAX_FORMAT_WIDTH}"
            )));
        }
        let verb = chars
            .next()
            .ok_or_else(|| error("format: the string ends with %"))?;
        Ok(Directive {
            left,
            zero,
            plus,
            width,
            precision,
            verb,
        })
    }

    /// The argument as the directive writes it, before padding.
    fn write(&self, arg: &V) -> Result<String, V> {
        let verb = self.verb;
        let integer = |arg: &V| {
            number(arg).and_then(|n| {
                if n.fract() == 0.0 && n.abs() < 9.0e15 {
                    #[allow(clippy::cast_possible_truncation)]
                    Ok(n as i64)
                } else {
                    Err(error(format!("format: %{verb} takes a whole number")))
                }
            })
        };
        let signed = |s: String, negative: bool| {
            if self.plus && !negative {
                format!("+{s}")
            } else {
                s
            }
        };
        match verb {
            's' | 'v' => text(arg),
            'd' => integer(arg).map(|n| signed(n.to_string(), n < 0)),
            'x' => integer(arg).map(|n| format!("{n:x}")),
            'X' => integer(arg).map(|n| format!("{n:X}")),
            'o' => integer(arg).map(|n| format!("{n:o}")),
            'b' => integer(arg).map(|n| format!("{n:b}")),
            'f' => number(arg).map(|n| {
                let precision = self.precision.unwrap_or(6);
                signed(format!("{n:.precision$}"), n < 0.0)
            }),
            'q' => text(arg).map(|s| format!("{s:?}")),
            't' => arg
                .as_bool()
                .map(|b| b.to_string())
                .ok_or_else(|| error("format: %t takes a boolean")),
            other => Err(error(format!("format: %{other} is not supported"))),
        }
    }

    /// Pads a written argument to the width.
    fn pad(&self, piece: &str, out: &mut String) {
        let width = self.width;
        if self.left {
            out.push_str(&format!("{piece:<width$}"));
        } else if self.zero && !matches!(self.verb, 's' | 'q') {
            // Zeros go after the sign.
            let (sign, digits) = match piece.strip_prefix(['-', '+']) {
                Some(d) => (&piece[..1], d),
                None => ("", piece),
            };
            let width = width.saturating_sub(sign.len());
            out.push_str(&format!("{sign}{digits:0>width$}"));
        } else {
            out.push_str(&format!("{piece:>width$}"));
        }
    }
}

fn format(args: &[V]) -> V {
    let Some((spec, rest)) = args.split_first() else {
        return error("format takes a format string");
    };
    let spec = match text(spec) {
        Ok(s) => s,
        Err(e) => return e,
    };
    let mut out = String::new();
    let mut rest = rest.iter();
    let mut chars = spec.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let directive = match Directive::read(&mut chars) {
            Ok(d) => d,
            Err(e) => return e,
        };
        if directive.verb == '%' {
            out.push('%');
            continue;
        }
        let Some(arg) = rest.next() else {
            return error("format: not enough arguments");
        };
        match directive.write(arg) {
            Ok(piece) => directive.pad(&piece, &mut out),
            Err(e) => return e,
        }
    }
    string(out)
}

fn formatlist(args: &[V]) -> V {
    let Some((spec, rest)) = args.split_first() else {
        return error("formatlist takes a format string");
    };
    let len = rest
        .iter()
        .filter_map(|a| match a {
            Value::List(l) => Some(l.len()),
            _ => None,
        })
        .max();
    let Some(len) = len else {
        return Value::List(vec![format(args)]);
    };
    let items = (0..len)
        .map(|i| {
            let mut call = vec![spec.clone()];
            for a in rest {
                call.push(match a {
                    Value::List(l) => l.get(i).cloned().unwrap_or(Value::Null),
                    other => other.clone(),
                });
            }
            format(&call)
        })
        .collect();
    Value::List(items)
}

fn join(args: &[V]) -> V {
    let Some((sep, lists)) = args.split_first() else {
        return error("join takes a separator");
    };
    let sep = match text(sep) {
        Ok(s) => s,
        Err(e) => return e,
    };
    let mut parts = Vec::new();
    for list in lists {
        let Value::List(items) = list else {
            return error("join takes lists");
        };
        for item in items {
            match text(item) {
                Ok(s) => parts.push(s),
                Err(e) => return e,
            }
        }
    }
    string(parts.join(&sep))
}

fn split(args: &[V]) -> V {
    let (Some(sep), Some(s)) = (args.first(), args.get(1)) else {
        return error("split takes a separator and a string");
    };
    match (text(sep), text(s)) {
        (Ok(sep), Ok(s)) if s.is_empty() => {
            let _ = sep;
            Value::List(vec![string(String::new())])
        }
        (Ok(sep), Ok(s)) => Value::List(s.split(sep.as_str()).map(|p| string(p.into())).collect()),
        (Err(e), _) | (_, Err(e)) => e,
    }
}

/// `replace(s, old, new)`; `old` between slashes is a regular expression.
fn replace(args: &[V]) -> V {
    let (Some(s), Some(old), Some(new)) = (args.first(), args.get(1), args.get(2)) else {
        return error("replace takes three arguments");
    };
    let (s, old, new) = match (text(s), text(old), text(new)) {
        (Ok(a), Ok(b), Ok(c)) => (a, b, c),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return e,
    };
    if let Some(pattern) = old
        .strip_prefix('/')
        .and_then(|p| p.strip_suffix('/'))
        .filter(|_| old.len() > 1)
    {
        return match regex::Regex::new(pattern) {
            Ok(re) => string(
                re.replace_all(&s, new.replace('$', "$$").as_str())
                    .into_owned(),
            ),
            Err(e) => error(format!("replace: {e}")),
        };
    }
    string(s.replace(old.as_str(), &new))
}

fn substr(args: &[V]) -> V {
    let (Some(s), Some(offset), Some(len)) = (args.first(), args.get(1), args.get(2)) else {
        return error("substr takes three arguments");
    };
    let (s, offset, len) = match (text(s), number(offset), number(len)) {
        (Ok(a), Ok(b), Ok(c)) => (a, b, c),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return e,
    };
    let chars: Vec<char> = s.chars().collect();
    #[allow(clippy::cast_possible_truncation, clippy::cast_possible_wrap)]
    let start = if offset < 0.0 {
        (chars.len() as i64 + offset as i64).max(0)
    } else {
        offset as i64
    };
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let start = (start as usize).min(chars.len());
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let end = if len < 0.0 {
        chars.len()
    } else {
        (start + len as usize).min(chars.len())
    };
    string(chars[start..end].iter().collect())
}

#[allow(clippy::cast_precision_loss)]
fn length(args: &[V]) -> V {
    match args.first() {
        Some(Value::List(l)) => Value::Number(l.len() as f64),
        Some(Value::Map(m)) => Value::Number(m.len() as f64),
        Some(Value::String(s)) => Value::Number(s.chars().count() as f64),
        Some(other) => error(format!("length of {other}")),
        None => error("length takes one argument"),
    }
}

fn element(args: &[V]) -> V {
    let (Some(Value::List(l)), Some(i)) = (args.first(), args.get(1)) else {
        return error("element takes a list and an index");
    };
    if l.is_empty() {
        return error("element of an empty list");
    }
    match number(i) {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Ok(i) if i >= 0.0 => l[(i as usize) % l.len()].clone(),
        Ok(_) => error("element: a negative index"),
        Err(e) => e,
    }
}

#[allow(clippy::cast_precision_loss)]
fn index(args: &[V]) -> V {
    let (Some(Value::List(l)), Some(v)) = (args.first(), args.get(1)) else {
        return error("index takes a list and a value");
    };
    l.iter().position(|x| equal(x, v)).map_or_else(
        || error("index: the value is not in the list"),
        |i| Value::Number(i as f64),
    )
}

fn contains(args: &[V]) -> V {
    let (Some(Value::List(l)), Some(v)) = (args.first(), args.get(1)) else {
        return error("contains takes a list and a value");
    };
    Value::Bool(l.iter().any(|x| equal(x, v)))
}

fn concat(args: Vec<V>) -> V {
    let mut out = Vec::new();
    for arg in args {
        match arg {
            Value::List(l) => out.extend(l),
            other => return error(format!("concat takes lists, not {other}")),
        }
    }
    Value::List(out)
}

fn flatten(args: Vec<V>) -> V {
    fn walk(v: V, out: &mut Vec<V>) {
        match v {
            Value::List(items) => {
                for i in items {
                    walk(i, out);
                }
            }
            other => out.push(other),
        }
    }
    list_arg(args, |l| {
        let mut out = Vec::new();
        for item in l {
            walk(item, &mut out);
        }
        Value::List(out)
    })
}

fn distinct(args: Vec<V>) -> V {
    list_arg(args, |l| {
        let mut out: Vec<V> = Vec::new();
        for item in l {
            if !out.iter().any(|x| equal(x, &item)) {
                out.push(item);
            }
        }
        Value::List(out)
    })
}

fn compact(args: Vec<V>) -> V {
    list_arg(args, |l| {
        Value::List(
            l.into_iter()
                .filter(|v| !v.is_null() && !matches!(v, Value::String(s) if s.is_empty()))
                .collect(),
        )
    })
}

fn sort(args: Vec<V>) -> V {
    list_arg(args, |l| {
        let mut texts = Vec::new();
        for v in &l {
            match to_text(v) {
                Ok(s) => texts.push(s),
                Err(e) => return e,
            }
        }
        texts.sort();
        Value::List(texts.into_iter().map(string).collect())
    })
}

fn slice(args: &[V]) -> V {
    let (Some(Value::List(l)), Some(start), Some(end)) = (args.first(), args.get(1), args.get(2))
    else {
        return error("slice takes a list, a start and an end");
    };
    match (number(start), number(end)) {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        (Ok(s), Ok(e)) if s >= 0.0 && e >= s && (e as usize) <= l.len() => {
            Value::List(l[s as usize..e as usize].to_vec())
        }
        (Ok(_), Ok(_)) => error("slice: the range is out of bounds"),
        (Err(e), _) | (_, Err(e)) => e,
    }
}

fn keys_values(name: &str, args: Vec<V>) -> V {
    match args.into_iter().next() {
        Some(Value::Map(m)) => Value::List(if name == "keys" {
            m.into_keys().map(Value::String).collect()
        } else {
            m.into_values().collect()
        }),
        Some(other) => error(format!("{name} takes a map, not {other}")),
        None => error(format!("{name} takes a map")),
    }
}

fn zipmap(args: Vec<V>) -> V {
    let mut args = args.into_iter();
    let (Some(Value::List(keys)), Some(Value::List(values))) = (args.next(), args.next()) else {
        return error("zipmap takes two lists");
    };
    let mut out = BTreeMap::new();
    for (k, v) in keys.iter().zip(values) {
        match to_text(k) {
            Ok(k) => {
                out.insert(Cow::Owned(k), v);
            }
            Err(e) => return e,
        }
    }
    Value::Map(out)
}

fn tomap(args: Vec<V>) -> V {
    one(args, |v| match v {
        m @ (Value::Map(_) | Value::Null) => m,
        other => error(format!("tomap takes a map, not {other}")),
    })
}

fn to_collection(name: &str, args: Vec<V>) -> V {
    one(args, |v| match v {
        Value::List(l) if name == "toset" => distinct(vec![Value::List(l)]),
        l @ (Value::List(_) | Value::Null) => l,
        other => error(format!("{name} takes a list or set, not {other}")),
    })
}

fn numbers(name: &str, args: Vec<V>) -> V {
    let values = match args.as_slice() {
        [Value::List(l)] if name == "sum" => l.clone(),
        _ => args,
    };
    let mut nums = Vec::new();
    for v in &values {
        match number(v) {
            Ok(n) => nums.push(n),
            Err(e) => return e,
        }
    }
    if nums.is_empty() {
        return error(format!("{name} takes at least one number"));
    }
    Value::Number(match name {
        "min" => nums.iter().copied().fold(f64::INFINITY, f64::min),
        "max" => nums.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        _ => nums.iter().sum(),
    })
}

/// `range(end)`, `range(start, end)`, `range(start, end, step)`: at most
/// 1024 elements, as in Terraform.
fn range(args: &[V]) -> V {
    let mut nums = Vec::new();
    for v in args {
        match number(v) {
            Ok(n) => nums.push(n),
            Err(e) => return e,
        }
    }
    let (start, end, step) = match nums.as_slice() {
        [e] => (0.0, *e, 1.0),
        [s, e] => (*s, *e, if s <= e { 1.0 } else { -1.0 }),
        [s, e, st] => (*s, *e, *st),
        _ => return error("range takes one to three numbers"),
    };
    if step == 0.0 {
        return error("range: the step is zero");
    }
    let mut out = Vec::new();
    let mut n = start;
    while (step > 0.0 && n < end) || (step < 0.0 && n > end) {
        if out.len() >= 1024 {
            return error("range: more than 1024 elements");
        }
        out.push(Value::Number(n));
        n += step;
    }
    Value::List(out)
}

/// The set of function names evaluated (for documentation and tests).
#[cfg(test)]
pub(super) fn supported() -> std::collections::BTreeSet<&'static str> {
    [
        "abs",
        "alltrue",
        "anytrue",
        "can",
        "ceil",
        "chomp",
        "coalesce",
        "coalescelist",
        "compact",
        "concat",
        "contains",
        "distinct",
        "element",
        "endswith",
        "flatten",
        "floor",
        "format",
        "formatlist",
        "index",
        "join",
        "jsondecode",
        "jsonencode",
        "keys",
        "length",
        "lookup",
        "lower",
        "max",
        "merge",
        "min",
        "nonsensitive",
        "one",
        "range",
        "replace",
        "reverse",
        "sensitive",
        "slice",
        "sort",
        "split",
        "startswith",
        "strrev",
        "substr",
        "sum",
        "title",
        "tobool",
        "tolist",
        "tomap",
        "tonumber",
        "toset",
        "tostring",
        "trim",
        "trimprefix",
        "trimspace",
        "trimsuffix",
        "try",
        "upper",
        "values",
        "zipmap",
    ]
    .into_iter()
    .collect()
}
