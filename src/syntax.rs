//! The JSON configuration syntax (`.tf.json`, CDKTF synth output, hcl2json
//! output) as a tree that loses nothing: duplicate keys, member order and
//! the position of every key are kept, as the HCL JSON specification
//! requires. This module also owns the syntax-level rules every JSON
//! configuration flavour shares: blocks whose label levels and bodies may be
//! objects or arrays of objects, `"//"` comments in bodies, template strings
//! (`"${var.region}"`, `$${` escapes), and python-hcl2's v8 quoting
//! (`"\"literal\""`, `__is_block__`).

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::json::{object_span, LStr};

/// A JSON value of a configuration file.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node<'a> {
    Null,
    Bool(bool),
    Num(f64),
    Str(Cow<'a, str>),
    Arr(Vec<Node<'a>>),
    Obj(Vec<Member<'a>>),
}

/// One object member; `key_addr` is the memory address of the key's text
/// inside the input when it could be borrowed (for spans).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Member<'a> {
    pub key: Cow<'a, str>,
    pub key_addr: Option<usize>,
    pub value: Node<'a>,
}

impl<'de> Deserialize<'de> for Node<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Node<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Node<'de>, E> {
                Ok(Node::Null)
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Node<'de>, E> {
                Ok(Node::Bool(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Node<'de>, E> {
                Ok(Node::Num(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Node<'de>, E> {
                Ok(Node::Num(v as f64))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Node<'de>, E> {
                Ok(Node::Num(v))
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Node<'de>, E> {
                Ok(Node::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Node<'de>, E> {
                Ok(Node::Str(Cow::Owned(v.to_owned())))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node<'de>, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Node::Arr(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node<'de>, A::Error> {
                let mut members = Vec::new();
                while let Some(LStr(key)) = map.next_key::<LStr<'de>>()? {
                    let key = key.unwrap_or_default();
                    let key_addr = match &key {
                        Cow::Borrowed(k) => Some(k.as_ptr() as usize),
                        Cow::Owned(_) => None,
                    };
                    members.push(Member {
                        key,
                        key_addr,
                        value: map.next_value()?,
                    });
                }
                Ok(Node::Obj(members))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'a> Node<'a> {
    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Node::Str(s) => Some(s),
            _ => None,
        }
    }

    pub(crate) fn members(&self) -> &[Member<'a>] {
        match self {
            Node::Obj(m) => m,
            _ => &[],
        }
    }

    /// The members named `key`, in order (a key may repeat).
    pub(crate) fn get_all<'s>(&'s self, key: &'s str) -> impl Iterator<Item = &'s Node<'a>> + 's {
        self.members()
            .iter()
            .filter(move |m| m.key == key)
            .map(|m| &m.value)
    }

    /// The last member named `key` (later duplicates win, as for attributes).
    pub(crate) fn get(&self, key: &str) -> Option<&Node<'a>> {
        self.members()
            .iter()
            .rev()
            .find(|m| m.key == key)
            .map(|m| &m.value)
    }

    /// Whether `__is_block__` (python-hcl2 v8) appears anywhere.
    pub(crate) fn has_v8_marker(&self) -> bool {
        match self {
            Node::Obj(m) => m
                .iter()
                .any(|m| m.key == "__is_block__" || m.value.has_v8_marker()),
            Node::Arr(items) => items.iter().any(Node::has_v8_marker),
            _ => false,
        }
    }
}

/// One block: its labels (with the member that wrote the last one, for
/// spans) and its body.
#[derive(Debug, Clone)]
pub(crate) struct Block<'n, 'a> {
    pub labels: Vec<String>,
    /// The member whose key is the last label (or the block type).
    pub member: &'n Member<'a>,
    pub body: &'n Node<'a>,
}

/// How the file writes strings: native JSON syntax, or python-hcl2 v8,
/// whose literals and labels keep their HCL quotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Native,
    QuotedLiterals,
}

impl Dialect {
    pub(crate) fn of(root: &Node<'_>) -> Self {
        if root.has_v8_marker() {
            Dialect::QuotedLiterals
        } else {
            Dialect::Native
        }
    }

    /// A label or key as written in HCL.
    pub(crate) fn label(self, key: &str) -> String {
        match self {
            Dialect::QuotedLiterals => unquote(key).unwrap_or(key).to_string(),
            Dialect::Native => key.to_string(),
        }
    }
}

fn unquote(s: &str) -> Option<&str> {
    (s.len() >= 2 && s.starts_with('"') && s.ends_with('"')).then(|| &s[1..s.len() - 1])
}

/// Whether a body member is syntax rather than an attribute or block.
fn is_meta(key: &str) -> bool {
    key == "//" || key.starts_with("__") && key.ends_with("__")
}

/// The blocks of one type written at `node` with `labels` label levels.
/// Every label level and the body may be an object or an array of objects.
pub(crate) fn blocks<'n, 'a>(
    type_member: &'n Member<'a>,
    labels: usize,
    dialect: Dialect,
) -> Vec<Block<'n, 'a>> {
    fn walk<'n, 'a>(
        node: &'n Node<'a>,
        member: &'n Member<'a>,
        left: usize,
        path: &mut Vec<String>,
        dialect: Dialect,
        out: &mut Vec<Block<'n, 'a>>,
    ) {
        match node {
            Node::Arr(items) => {
                for item in items {
                    walk(item, member, left, path, dialect, out);
                }
            }
            Node::Obj(members) if left > 0 => {
                for m in members.iter().filter(|m| !is_meta(&m.key)) {
                    path.push(dialect.label(&m.key));
                    walk(&m.value, m, left - 1, path, dialect, out);
                    path.pop();
                }
            }
            Node::Obj(_) => out.push(Block {
                labels: path.clone(),
                member,
                body: node,
            }),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(
        &type_member.value,
        type_member,
        labels,
        &mut Vec::new(),
        dialect,
        &mut out,
    );
    out
}

/// The attributes of a body: members that are neither comments nor syntax.
pub(crate) fn attributes<'n, 'a>(body: &'n Node<'a>) -> impl Iterator<Item = &'n Member<'a>> {
    body.members().iter().filter(|m| !is_meta(&m.key))
}

/// An expression in a JSON configuration.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr<'n, 'a> {
    /// A literal value (strings already unescaped/unquoted).
    Literal(Literal<'n, 'a>),
    /// A single interpolation `"${...}"`: its source text.
    Interpolation(String),
    /// A template mixing text and interpolations.
    Template(String),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Literal<'n, 'a> {
    Str(String),
    Node(&'n Node<'a>),
}

impl<'n, 'a> Expr<'n, 'a> {
    pub(crate) fn of(node: &'n Node<'a>, dialect: Dialect) -> Self {
        let Node::Str(s) = node else {
            return Expr::Literal(Literal::Node(node));
        };
        let s: &str = s;
        let (text, quoted) = match dialect {
            Dialect::QuotedLiterals => match unquote(s) {
                Some(inner) => (inner, true),
                None => (s, false),
            },
            Dialect::Native => (s, false),
        };
        if let Some(inner) = text.strip_prefix("${").and_then(|t| t.strip_suffix('}')) {
            if !inner.contains("${") && !quoted {
                return Expr::Interpolation(inner.trim().to_string());
            }
        }
        let bare = text.replace("$${", "").replace("%%{", "");
        if bare.contains("${") || bare.contains("%{") {
            return Expr::Template(s.to_string());
        }
        let mut literal = text.replace("$${", "${").replace("%%{", "%{");
        if quoted {
            literal = literal.replace("\\\"", "\"").replace("\\\\", "\\");
        }
        Expr::Literal(Literal::Str(literal))
    }
}

/// The byte range of a member in `text`: from its key's opening quote to
/// the end of its value. `None` when the key was not borrowed.
pub(crate) fn member_span(text: &str, member: &Member<'_>) -> Option<(Range<usize>, Range<usize>)> {
    let base = text.as_ptr() as usize;
    let addr = member.key_addr?;
    if addr <= base || addr > base + text.len() {
        return None;
    }
    let key_start = addr - base - 1;
    let key_end = addr - base + member.key.len() + 1;
    let bytes = text.as_bytes();
    let mut i = key_end;
    while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b':') {
        i += 1;
    }
    let value = object_span(text, i.min(text.len()));
    Some((key_start..value.end.max(key_end), key_start..key_end))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Node<'_> {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn duplicate_keys_and_order_are_kept() {
        let root = parse(r#"{"resource": {"a": {"x": {}}}, "resource": {"b": {"y": {}}}}"#);
        assert_eq!(root.get_all("resource").count(), 2);
    }

    #[test]
    fn blocks_accept_objects_or_arrays_at_every_level() {
        let text = r#"{"resource": [
            {"aws_kms_key": {"a": {"x": 1}, "b": [{"x": 2}, {"x": 3}]}},
            {"aws_kms_key": [{"c": {"//": "comment", "x": 4}}]}
        ]}"#;
        let root = parse(text);
        let member = &root.members()[0];
        let found: Vec<String> = blocks(member, 2, Dialect::Native)
            .iter()
            .map(|b| b.labels.join("."))
            .collect();
        assert_eq!(
            found,
            [
                "aws_kms_key.a",
                "aws_kms_key.b",
                "aws_kms_key.b",
                "aws_kms_key.c"
            ]
        );
        let c = &blocks(member, 2, Dialect::Native)[3];
        assert_eq!(
            attributes(c.body).count(),
            1,
            "the comment is not an attribute"
        );
        let (span, key) = member_span(text, c.member).unwrap();
        assert_eq!(&text[key], "\"c\"");
        assert_eq!(&text[span], r#""c": {"//": "comment", "x": 4}"#);
    }

    #[test]
    fn expressions() {
        let lit = |s: &str, d| {
            let node = Node::Str(Cow::Owned(s.to_string()));
            format!("{:?}", Expr::of(&node, d))
        };
        assert_eq!(
            lit("eu-west-1", Dialect::Native),
            r#"Literal(Str("eu-west-1"))"#
        );
        assert_eq!(
            lit("${var.region}", Dialect::Native),
            r#"Interpolation("var.region")"#
        );
        assert_eq!(
            lit("${ var.region }", Dialect::Native),
            r#"Interpolation("var.region")"#
        );
        assert_eq!(
            lit("arn-${var.x}", Dialect::Native),
            r#"Template("arn-${var.x}")"#
        );
        assert_eq!(
            lit("$${literal}", Dialect::Native),
            r#"Literal(Str("${literal}"))"#
        );
        assert_eq!(
            lit("\"db\"", Dialect::QuotedLiterals),
            r#"Literal(Str("db"))"#
        );
        assert_eq!(
            lit("${var.r}", Dialect::QuotedLiterals),
            r#"Interpolation("var.r")"#
        );
        assert_eq!(
            lit("\"a${b}\"", Dialect::QuotedLiterals),
            r#"Template("\"a${b}\"")"#
        );
    }
}
