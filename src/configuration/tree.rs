//! The configuration tree every front end produces: files of blocks and
//! attributes whose values are expressions, each with its byte span.
//!
//! The evaluator reads only this tree, so a new syntax is a new front end,
//! not a new evaluator. One difference between the syntaxes stays visible:
//! JSON cannot tell a nested block from an attribute without the provider's
//! schema (`"default_tags": {"tags": {...}}`), so a body written in JSON
//! ([`Body::json`]) answers [`Body::nested`] from its object-valued
//! attributes.

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;

use crate::source::FileId;

/// One configuration file.
#[derive(Debug, Clone)]
pub(crate) struct File {
    pub id: FileId,
    pub body: Body,
}

/// Attributes and blocks, in file order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Body {
    pub attributes: Vec<Attribute>,
    pub blocks: Vec<Block>,
    /// Written in JSON: object-valued attributes may be nested blocks.
    pub json: bool,
}

/// `name = expr`.
#[derive(Debug, Clone)]
pub(crate) struct Attribute {
    pub name: String,
    pub expr: Expr,
    /// The whole attribute.
    #[expect(
        dead_code,
        reason = "findings at attributes come with the HCL front end"
    )]
    pub span: Range<usize>,
    /// Its name.
    #[expect(
        dead_code,
        reason = "findings at attributes come with the HCL front end"
    )]
    pub name_span: Range<usize>,
}

/// `kind "label" ... { body }`.
#[derive(Debug, Clone)]
pub(crate) struct Block {
    pub kind: String,
    pub labels: Vec<String>,
    pub body: Body,
    pub file: FileId,
    /// The whole block.
    pub span: Range<usize>,
    /// What a report underlines: the block's name.
    pub focus: Range<usize>,
}

/// An expression and its span in its file.
#[derive(Debug, Clone)]
pub(crate) struct Expr {
    pub kind: ExprKind,
    pub span: Range<usize>,
}

#[derive(Debug, Clone)]
pub(crate) enum ExprKind {
    Null,
    Bool(bool),
    Number(f64),
    /// A literal string (escapes already resolved).
    String(String),
    Tuple(Vec<Expr>),
    /// Keys are expressions (identifiers become literal strings).
    Object(Vec<(Expr, Expr)>),
    /// A string with interpolations.
    #[expect(dead_code, reason = "the HCL front end builds templates")]
    Template(Vec<TemplatePart>),
    /// `var.region`, `aws_kms_key.db.arn`, `each.key`, `local.tags["a"]`.
    Traversal {
        root: String,
        steps: Vec<Step>,
    },
    /// An expression tierkey does not evaluate, as written.
    Opaque(String),
}

/// One piece of a template.
#[derive(Debug, Clone)]
#[expect(dead_code, reason = "the HCL front end builds templates")]
pub(crate) enum TemplatePart {
    Literal(String),
    Interpolation(Expr),
}

/// One step of a traversal.
#[derive(Debug, Clone)]
pub(crate) enum Step {
    /// `.name`
    Attr(String),
    /// `[expr]`
    #[expect(dead_code, reason = "the HCL front end builds index steps")]
    Index(Expr),
}

impl Expr {
    pub(crate) fn new(kind: ExprKind, span: Range<usize>) -> Self {
        Expr { kind, span }
    }

    /// The text of a reference such as `aws.west` or `module.kms.key_arn`
    /// (a traversal of names, or a literal string naming one).
    pub(crate) fn reference_text(&self) -> Option<String> {
        match &self.kind {
            ExprKind::String(s) => Some(s.clone()),
            ExprKind::Traversal { .. } => Some(self.to_string()),
            _ => None,
        }
    }

    /// The literal string, if this is one.
    pub(crate) fn as_str(&self) -> Option<&str> {
        match &self.kind {
            ExprKind::String(s) => Some(s),
            _ => None,
        }
    }
}

/// Traversals print as written (`var.names[0]`); other expressions as a
/// short description.
impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ExprKind::Traversal { root, steps } => {
                f.write_str(root)?;
                for step in steps {
                    match step {
                        Step::Attr(name) => write!(f, ".{name}")?,
                        Step::Index(index) => write!(f, "[{index}]")?,
                    }
                }
                Ok(())
            }
            ExprKind::String(s) => write!(f, "{s:?}"),
            ExprKind::Number(n) => write!(f, "{n}"),
            ExprKind::Bool(b) => write!(f, "{b}"),
            ExprKind::Null => f.write_str("null"),
            ExprKind::Opaque(text) => f.write_str(text),
            ExprKind::Tuple(_) => f.write_str("[...]"),
            ExprKind::Object(_) => f.write_str("{...}"),
            ExprKind::Template(_) => f.write_str("\"...\""),
        }
    }
}

impl Body {
    /// The attribute `name` (the last one, where JSON repeats it).
    pub(crate) fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().rev().find(|a| a.name == name)
    }

    /// The blocks of one kind.
    pub(crate) fn blocks_of<'b>(&'b self, kind: &'b str) -> impl Iterator<Item = &'b Block> + 'b {
        self.blocks.iter().filter(move |b| b.kind == kind)
    }

    /// The bodies of the nested blocks `name`: real blocks, or in JSON the
    /// object (or each object of the array) that the attribute `name`
    /// holds.
    pub(crate) fn nested<'b>(&'b self, name: &'b str) -> Vec<Cow<'b, Body>> {
        let mut out: Vec<Cow<'_, Body>> = self
            .blocks_of(name)
            .map(|b| Cow::Borrowed(&b.body))
            .collect();
        if self.json {
            for attr in self.attributes.iter().filter(|a| a.name == name) {
                match &attr.expr.kind {
                    ExprKind::Object(items) => out.push(Cow::Owned(Body::of_object(items))),
                    ExprKind::Tuple(elements) => {
                        for e in elements {
                            if let ExprKind::Object(items) = &e.kind {
                                out.push(Cow::Owned(Body::of_object(items)));
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        out
    }

    /// A JSON object read as a block body.
    fn of_object(items: &[(Expr, Expr)]) -> Body {
        Body {
            attributes: items
                .iter()
                .filter_map(|(key, value)| {
                    Some(Attribute {
                        name: key.as_str()?.to_string(),
                        expr: value.clone(),
                        span: key.span.start..value.span.end.max(key.span.end),
                        name_span: key.span.clone(),
                    })
                })
                .collect(),
            blocks: Vec::new(),
            json: true,
        }
    }
}
