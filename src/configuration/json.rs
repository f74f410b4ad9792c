//! The JSON front end: native `.tf.json` / `.tofu.json`, CDKTF synth output,
//! tmccombs/@cdktf hcl2json and python-hcl2 (v7, v8) output, read into the
//! configuration [`tree`](super::tree).
//!
//! The JSON is first read into a [`Node`] tree that loses nothing —
//! duplicate keys, member order and the position of every key are kept, as
//! the HCL JSON specification requires. This module owns the syntax rules
//! every JSON flavour shares: blocks whose label levels and bodies may be
//! objects or arrays of objects, `"//"` comments in bodies, template strings
//! (`"${var.region}"`, `$${` escapes), and python-hcl2 v8's quoting
//! (`"\"literal\""`, `__is_block__`).

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;
use std::path::Path;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use super::hcl;
#[cfg(test)]
use super::tree::TemplatePart;
use super::tree::{Attribute, Block, Body, Expr, ExprKind, File};
use crate::error::{ErrorCode, InputError};
use crate::input::InputKind;
use crate::json::lenient::LenientStr;
use crate::json::{error_offset, object_start, strip_position, value_span};
use crate::source::FileId;
use crate::value::Value;

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
            #[allow(clippy::cast_precision_loss)]
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Node<'de>, E> {
                Ok(Node::Num(v as f64))
            }
            #[allow(clippy::cast_precision_loss)]
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
                while let Some(LenientStr(key)) = map.next_key::<LenientStr<'de>>()? {
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
    pub(crate) fn members(&self) -> &[Member<'a>] {
        match self {
            Node::Obj(m) => m,
            _ => &[],
        }
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
    fn has_v8_marker(&self) -> bool {
        match self {
            Node::Obj(m) => m
                .iter()
                .any(|m| m.key == "__is_block__" || m.value.has_v8_marker()),
            Node::Arr(items) => items.iter().any(Node::has_v8_marker),
            _ => false,
        }
    }
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

/// Parses a configuration file's text (a UTF-8 byte order mark and leading
/// white space are skipped).
pub(crate) fn parse(text: &str) -> Result<Node<'_>, InputError> {
    let mut start = if text.starts_with('\u{feff}') { 3 } else { 0 };
    start += text[start..].len() - text[start..].trim_start().len();
    serde_json::from_str(&text[start..]).map_err(|e| {
        let at = start + error_offset(&text[start..], &e);
        InputError::new(
            ErrorCode::InvalidJson,
            format!("invalid JSON: {}", strip_position(&e)),
        )
        .help("a JSON configuration must be valid JSON (RFC 8259)")
        .at(at..at + 1)
    })
}

/// How many labels each top-level block type has.
fn label_count(kind: &str) -> Option<usize> {
    match kind {
        "resource" | "data" => Some(2),
        "module" | "provider" | "variable" | "output" => Some(1),
        "locals" | "terraform" => Some(0),
        _ => None,
    }
}

/// A parsed JSON configuration file as a tree.
pub(crate) fn file(id: FileId, text: &str, root: &Node<'_>) -> File {
    let dialect = Dialect::of(root);
    let reader = Reader { text, dialect, id };
    let mut body = Body {
        json: true,
        ..Body::default()
    };
    for member in root.members() {
        let kind = dialect.label(&member.key);
        let Some(labels) = label_count(&kind) else {
            continue;
        };
        for found in blocks(member, labels, dialect) {
            let (span, focus) = reader.spans(found.member, found.body);
            body.blocks.push(Block {
                body: reader.body(found.body, kind == "variable"),
                kind: kind.clone(),
                labels: found.labels,
                file: id,
                span,
                focus,
            });
        }
    }
    File { id, body }
}

/// What kind of configuration a root module's file is: CDKTF output carries
/// `"//": {"metadata": ...}` at the root; hcl2json output wraps bodies in
/// arrays, types in `${...}`, or (python-hcl2) whole block types in arrays,
/// or marks blocks with `__is_block__`.
pub(crate) fn kind_of(path: &Path, root: &Node<'_>) -> InputKind {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if name == "cdk.tf.json" || root.get("//").and_then(|c| c.get("metadata")).is_some() {
        return InputKind::Cdktf;
    }
    if crate::input::is_config_name(name) {
        // Arrays of bodies are native syntax too.
        return InputKind::TfJson;
    }
    if Dialect::of(root) == Dialect::QuotedLiterals {
        return InputKind::Hcl2Json;
    }
    let wrapped = root
        .members()
        .iter()
        .any(|m| match (m.key.as_ref(), &m.value) {
            (_, Node::Arr(_)) => true,
            ("resource" | "data", v) => v.members().iter().any(|t| {
                t.value
                    .members()
                    .iter()
                    .any(|b| matches!(b.value, Node::Arr(_)))
            }),
            ("variable", v) => v.members().iter().any(|b| {
                matches!(b.value, Node::Arr(_))
                    || matches!(b.value.get("type"), Some(Node::Str(t)) if t.starts_with("${"))
            }),
            _ => false,
        });
    if wrapped {
        InputKind::Hcl2Json
    } else {
        InputKind::TfJson
    }
}

/// A JSON value read literally (variable defaults, `.tfvars.json`): strings
/// are not templates.
pub(crate) fn literal(node: &Node<'_>, dialect: Dialect) -> Value<'static> {
    match node {
        Node::Null => Value::Null,
        Node::Bool(b) => Value::Bool(*b),
        Node::Num(n) => Value::Number(*n),
        Node::Str(s) => Value::String(Cow::Owned(match dialect {
            Dialect::QuotedLiterals => unquote(s).map_or_else(|| s.to_string(), unescape_quoted),
            Dialect::Native => s.to_string(),
        })),
        Node::Arr(items) => Value::List(items.iter().map(|i| literal(i, dialect)).collect()),
        Node::Obj(members) => Value::Map(
            members
                .iter()
                .filter(|m| !is_meta(&m.key))
                .map(|m| {
                    (
                        Cow::Owned(dialect.label(&m.key)),
                        literal(&m.value, dialect),
                    )
                })
                .collect(),
        ),
    }
}

/// The members of a `.tfvars.json` file, read literally.
pub(crate) fn variable_values(root: &Node<'_>) -> Vec<(String, Value<'static>)> {
    let dialect = Dialect::of(root);
    root.members()
        .iter()
        .map(|m| (m.key.to_string(), literal(&m.value, dialect)))
        .collect()
}

fn unescape_quoted(s: &str) -> String {
    s.replace("\\\"", "\"").replace("\\\\", "\\")
}

/// One block found at a top-level member: its labels, the member whose key
/// is the last label (or the block type), and its body.
struct Found<'n, 'a> {
    labels: Vec<String>,
    member: &'n Member<'a>,
    body: &'n Node<'a>,
}

/// The blocks of one type written at `type_member` with `labels` label
/// levels. Every label level and the body may be an object or an array of
/// objects.
fn blocks<'n, 'a>(
    type_member: &'n Member<'a>,
    labels: usize,
    dialect: Dialect,
) -> Vec<Found<'n, 'a>> {
    fn walk<'n, 'a>(
        node: &'n Node<'a>,
        member: &'n Member<'a>,
        left: usize,
        path: &mut Vec<String>,
        dialect: Dialect,
        out: &mut Vec<Found<'n, 'a>>,
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
            Node::Obj(_) => out.push(Found {
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

/// Converts nodes of one file into the tree.
struct Reader<'t> {
    text: &'t str,
    dialect: Dialect,
    id: FileId,
}

impl Reader<'_> {
    /// A block body: every member that is not a comment or syntax is an
    /// attribute. `literal_default`: a `variable` block, whose `default` is
    /// a literal value, not a template.
    fn body(&self, node: &Node<'_>, literal_default: bool) -> Body {
        let parent = node
            .members()
            .iter()
            .find_map(|m| m.key_addr)
            .map_or(0..0, |first| {
                let start = object_start(self.text, Some(first), 0);
                value_span(self.text, start)
            });
        let attributes = node
            .members()
            .iter()
            .filter(|m| !is_meta(&m.key))
            .map(|m| {
                let name = self.dialect.label(&m.key);
                let (span, name_span) =
                    member_span(self.text, m).unwrap_or_else(|| (parent.clone(), parent.clone()));
                let value_span = name_span.end.min(span.end)..span.end;
                let expr = if literal_default && name == "default" {
                    literal_expr(&literal(&m.value, self.dialect), &value_span)
                } else {
                    self.expr(&m.value, &value_span)
                };
                Attribute {
                    name,
                    expr,
                    file: self.id,
                    span,
                }
            })
            .collect();
        Body {
            attributes,
            blocks: Vec::new(),
            json: true,
        }
    }

    /// An expression; `span` is where the value is (or its container,
    /// for array elements, whose positions are not kept).
    fn expr(&self, node: &Node<'_>, span: &Range<usize>) -> Expr {
        let kind = match node {
            Node::Null => ExprKind::Null,
            Node::Bool(b) => ExprKind::Bool(*b),
            Node::Num(n) => ExprKind::Number(*n),
            Node::Str(s) => return string_expr(s, self.dialect, span.clone()),
            Node::Arr(items) => ExprKind::Tuple(items.iter().map(|i| self.expr(i, span)).collect()),
            Node::Obj(members) => ExprKind::Object(
                members
                    .iter()
                    .filter(|m| !(m.key.starts_with("__") && m.key.ends_with("__")))
                    .map(|m| {
                        let (whole, key_span) = member_span(self.text, m)
                            .unwrap_or_else(|| (span.clone(), span.clone()));
                        let key = Expr::new(
                            ExprKind::String(self.dialect.label(&m.key)),
                            key_span.clone(),
                        );
                        (
                            key,
                            self.expr(&m.value, &(key_span.end.min(whole.end)..whole.end)),
                        )
                    })
                    .collect(),
            ),
        };
        Expr::new(kind, span.clone())
    }

    /// Span of a block and the token a human report underlines: the name key
    /// and its body, or — when the body is one element of an array (provider
    /// aliases, hcl2json) — that element, underlined at its first key. A key
    /// with escapes (python-hcl2 v8 quotes every label) cannot be located
    /// either, so the body object stands in.
    fn spans(&self, block_member: &Member<'_>, body: &Node<'_>) -> (Range<usize>, Range<usize>) {
        let own_body = std::ptr::eq(std::ptr::from_ref(&block_member.value), body);
        let labelled = member_span(self.text, block_member);
        if let (true, Some(found)) = (own_body, &labelled) {
            return found.clone();
        }
        let first = body.members().iter().find(|m| m.key_addr.is_some());
        let start = object_start(self.text, first.and_then(|m| m.key_addr), 0);
        let span = value_span(self.text, start);
        // Underline the block's name when it names this body alone, else the
        // body's first key.
        let single = matches!(&block_member.value, Node::Arr(items) if items.len() == 1);
        let focus = match (&labelled, first) {
            (Some((_, name)), _) if single => name.clone(),
            (_, Some(m)) => {
                member_span(self.text, m).map_or(span.start..span.start + 1, |(_, key)| key)
            }
            _ => span.start..span.start + 1,
        };
        (span, focus)
    }
}

/// A literal value as an expression.
fn literal_expr(value: &Value<'_>, span: &Range<usize>) -> Expr {
    let kind = match value {
        Value::Null | Value::Unknown(_) => ExprKind::Null,
        Value::Bool(b) => ExprKind::Bool(*b),
        Value::Number(n) => ExprKind::Number(*n),
        Value::String(s) => ExprKind::String(s.to_string()),
        Value::List(items) => {
            ExprKind::Tuple(items.iter().map(|i| literal_expr(i, span)).collect())
        }
        Value::Map(map) | Value::Partial(map, _) => ExprKind::Object(
            map.iter()
                .map(|(k, v)| {
                    (
                        Expr::new(ExprKind::String(k.to_string()), span.clone()),
                        literal_expr(v, span),
                    )
                })
                .collect(),
        ),
    };
    Expr::new(kind, span.clone())
}

/// A JSON string in an expression position: a template (HCL's template
/// syntax, `$${` escapes included). python-hcl2 v8 keeps the HCL quotes of
/// string literals.
fn string_expr(s: &str, dialect: Dialect, span: Range<usize>) -> Expr {
    let text: Cow<'_, str> = match dialect {
        Dialect::QuotedLiterals => match unquote(s) {
            Some(inner) => Cow::Owned(unescape_quoted(inner)),
            None => Cow::Borrowed(s),
        },
        Dialect::Native => Cow::Borrowed(s),
    };
    if !text.contains("${") && !text.contains("%{") {
        return Expr::new(ExprKind::String(text.into_owned()), span);
    }
    hcl::template(&text, &span)
        .unwrap_or_else(|| Expr::new(ExprKind::Opaque(text.into_owned()), span))
}

/// The byte range of a member in `text`: from its key's opening quote to
/// the end of its value, and the key token. `None` when the key was not
/// borrowed.
fn member_span(text: &str, member: &Member<'_>) -> Option<(Range<usize>, Range<usize>)> {
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
    let value = value_span(text, i.min(text.len()));
    Some((key_start..value.end.max(key_end), key_start..key_end))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(text: &str) -> Node<'_> {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn duplicate_keys_and_order_are_kept() {
        let root = node(r#"{"resource": {"a": {"x": {}}}, "resource": {"b": {"y": {}}}}"#);
        let f = file(FileId(0), "", &root);
        assert_eq!(f.body.blocks.len(), 2);
    }

    #[test]
    fn blocks_accept_objects_or_arrays_at_every_level() {
        let text = r#"{"resource": [
            {"aws_kms_key": {"a": {"x": 1}, "b": [{"x": 2}, {"x": 3}]}},
            {"aws_kms_key": [{"c": {"//": "comment", "x": 4}}]}
        ]}"#;
        let root = node(text);
        let f = file(FileId(0), text, &root);
        let found: Vec<String> = f.body.blocks.iter().map(|b| b.labels.join(".")).collect();
        assert_eq!(
            found,
            [
                "aws_kms_key.a",
                "aws_kms_key.b",
                "aws_kms_key.b",
                "aws_kms_key.c"
            ]
        );
        let c = &f.body.blocks[3];
        assert_eq!(
            c.body.attributes.len(),
            1,
            "the comment is not an attribute"
        );
        assert_eq!(&text[c.focus.clone()], "\"c\"");
        assert_eq!(&text[c.span.clone()], r#""c": {"//": "comment", "x": 4}"#);
    }

    #[test]
    fn strings_are_templates() {
        let kind = |s: &str, d| string_expr(s, d, 0..0).kind;
        assert!(
            matches!(kind("eu-west-1", Dialect::Native), ExprKind::String(s) if s == "eu-west-1")
        );
        assert!(matches!(
            kind("${ var.region }", Dialect::Native),
            ExprKind::Traversal { root, .. } if root == "var"
        ));
        assert!(matches!(
            kind("arn-${var.x}", Dialect::Native),
            ExprKind::Template(_)
        ));
        // `$${` is the escape of a literal `${`.
        assert!(matches!(
            kind("$${literal}", Dialect::Native),
            ExprKind::Template(parts) if matches!(parts.as_slice(), [TemplatePart::Literal(s)] if s == "${literal}")
        ));
        assert!(
            matches!(kind("\"db\"", Dialect::QuotedLiterals), ExprKind::String(s) if s == "db")
        );
        assert!(matches!(
            kind("${lower(var.r)}", Dialect::QuotedLiterals),
            ExprKind::Call { name, .. } if name == "lower"
        ));
        assert!(matches!(
            kind("\"a${b}\"", Dialect::QuotedLiterals),
            ExprKind::Template(_)
        ));
        assert!(matches!(kind("${", Dialect::Native), ExprKind::Opaque(_)));
    }
}
