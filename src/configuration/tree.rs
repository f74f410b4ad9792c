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
    /// The file it is written in (override files bring attributes of
    /// their own into a block).
    pub file: FileId,
    /// The whole attribute.
    pub span: Range<usize>,
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
    /// What a report underlines: the block's kind and labels.
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
    /// A string with interpolations or directives.
    Template(Vec<TemplatePart>),
    /// `var.region`, `aws_kms_key.db.arn`, `each.key`, `local.tags["a"]`.
    Traversal {
        root: String,
        steps: Vec<Step>,
    },
    /// Steps after an expression that is not a name: `f(x)[0]`, `(a).b`.
    Postfix {
        base: Box<Expr>,
        steps: Vec<Step>,
    },
    /// `name(args...)`; `expand`: the last argument ends with `...`.
    Call {
        name: String,
        args: Vec<Expr>,
        expand: bool,
    },
    /// `cond ? then : else`.
    Conditional(Box<[Expr; 3]>),
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<[Expr; 2]>),
    For(Box<For>),
    /// An expression tierkey does not evaluate, as written.
    Opaque(String),
}

/// `[for k, v in coll : value if cond]` or
/// `{for k, v in coll : key => value... if cond}`.
#[derive(Debug, Clone)]
pub(crate) struct For {
    pub key_var: Option<String>,
    pub value_var: String,
    pub collection: Expr,
    /// Set for an object `for`.
    pub key: Option<Expr>,
    pub value: Expr,
    pub cond: Option<Expr>,
    /// `...`: values with equal keys are grouped into lists.
    pub grouping: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UnaryOp {
    Neg,
    Not,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinaryOp {
    Eq,
    NotEq,
    Less,
    LessEq,
    Greater,
    GreaterEq,
    Plus,
    Minus,
    Mul,
    Div,
    Mod,
    And,
    Or,
}

/// One piece of a template.
#[derive(Debug, Clone)]
pub(crate) enum TemplatePart {
    Literal(String),
    Interpolation(Expr),
    /// `%{ if cond }...%{ else }...%{ endif }`.
    If {
        cond: Expr,
        then: Vec<TemplatePart>,
        otherwise: Vec<TemplatePart>,
    },
    /// `%{ for k, v in coll }...%{ endfor }`.
    For {
        key_var: Option<String>,
        value_var: String,
        collection: Expr,
        body: Vec<TemplatePart>,
    },
}

/// One step of a traversal.
#[derive(Debug, Clone)]
pub(crate) enum Step {
    /// `.name`
    Attr(String),
    /// `[expr]`
    Index(Expr),
    /// `[*]` or `.*`: the steps after it apply to every element.
    Splat,
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

fn write_steps(f: &mut fmt::Formatter<'_>, steps: &[Step]) -> fmt::Result {
    for step in steps {
        match step {
            Step::Attr(name) => write!(f, ".{name}")?,
            Step::Index(index) => write!(f, "[{index}]")?,
            Step::Splat => f.write_str("[*]")?,
        }
    }
    Ok(())
}

/// Traversals print as written (`var.names[0]`); other expressions as a
/// short description.
impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ExprKind::Traversal { root, steps } => {
                f.write_str(root)?;
                write_steps(f, steps)
            }
            ExprKind::Postfix { base, steps } => {
                write!(f, "({base})")?;
                write_steps(f, steps)
            }
            ExprKind::String(s) => write!(f, "{s:?}"),
            ExprKind::Number(n) => write!(f, "{n}"),
            ExprKind::Bool(b) => write!(f, "{b}"),
            ExprKind::Null => f.write_str("null"),
            ExprKind::Opaque(text) => f.write_str(text),
            ExprKind::Call { name, .. } => write!(f, "{name}(...)"),
            ExprKind::Conditional(_) => f.write_str("(a conditional)"),
            ExprKind::Unary(..) | ExprKind::Binary(..) => f.write_str("(an operation)"),
            ExprKind::For(_) => f.write_str("(a for expression)"),
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
    pub(crate) fn nested<'b>(&'b self, name: &'b str, file: FileId) -> Vec<Cow<'b, Body>> {
        let mut out: Vec<Cow<'_, Body>> = self
            .blocks_of(name)
            .map(|b| Cow::Borrowed(&b.body))
            .collect();
        if self.json {
            for attr in self.attributes.iter().filter(|a| a.name == name) {
                out.extend(attr.expr.objects(file).into_iter().map(Cow::Owned));
            }
        }
        out
    }
}

impl Expr {
    /// A JSON object (or each object of a JSON array) read as block bodies.
    pub(crate) fn objects(&self, file: FileId) -> Vec<Body> {
        match &self.kind {
            ExprKind::Object(items) => vec![Body::of_object(items, file)],
            ExprKind::Tuple(elements) => elements
                .iter()
                .filter_map(|e| match &e.kind {
                    ExprKind::Object(items) => Some(Body::of_object(items, file)),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        }
    }
}

impl Body {
    /// A JSON object read as a block body.
    fn of_object(items: &[(Expr, Expr)], file: FileId) -> Body {
        Body {
            attributes: items
                .iter()
                .filter_map(|(key, value)| {
                    Some(Attribute {
                        name: key.as_str()?.to_string(),
                        expr: value.clone(),
                        file,
                        span: key.span.start..value.span.end.max(key.span.end),
                    })
                })
                .collect(),
            blocks: Vec::new(),
            json: true,
        }
    }
}

/// A `dynamic "name"` block: its `for_each`, iterator name and `content`.
pub(crate) struct Dynamic<'b> {
    pub for_each: Cow<'b, Expr>,
    /// `iterator = name`; the block's label when unset.
    pub iterator: Option<String>,
    pub content: Cow<'b, Body>,
}

impl Body {
    /// The `dynamic` blocks that generate nested blocks `name`, in HCL
    /// (`dynamic "name" { ... }`) or JSON (`"dynamic": {"name": {...}}`).
    pub(crate) fn dynamic_blocks<'b>(&'b self, name: &str, file: FileId) -> Vec<Dynamic<'b>> {
        let mut out = Vec::new();
        let add = |body: Cow<'b, Body>| {
            let for_each = body.attribute("for_each").map(|a| a.expr.clone())?;
            let iterator = body
                .attribute("iterator")
                .and_then(|a| a.expr.reference_text());
            let content = body
                .nested("content", file)
                .into_iter()
                .next()?
                .into_owned();
            Some(Dynamic {
                for_each: Cow::Owned(for_each),
                iterator,
                content: Cow::Owned(content),
            })
        };
        for block in self
            .blocks_of("dynamic")
            .filter(|b| b.labels.first().map(String::as_str) == Some(name))
        {
            out.extend(add(Cow::Borrowed(&block.body)));
        }
        if self.json {
            for dynamic in self.nested("dynamic", file) {
                for attr in dynamic.attributes.iter().filter(|a| a.name == name) {
                    for body in attr.expr.objects(file) {
                        out.extend(add(Cow::Owned(body)));
                    }
                }
            }
        }
        out
    }
}

impl Expr {
    /// The expressions directly inside this one.
    pub(crate) fn children(&self) -> Box<dyn Iterator<Item = &Expr> + '_> {
        fn in_parts(parts: &[TemplatePart]) -> Vec<&Expr> {
            let mut out = Vec::new();
            for part in parts {
                match part {
                    TemplatePart::Literal(_) => {}
                    TemplatePart::Interpolation(e) => out.push(e),
                    TemplatePart::If {
                        cond,
                        then,
                        otherwise,
                    } => {
                        out.push(cond);
                        out.extend(in_parts(then));
                        out.extend(in_parts(otherwise));
                    }
                    TemplatePart::For {
                        collection, body, ..
                    } => {
                        out.push(collection);
                        out.extend(in_parts(body));
                    }
                }
            }
            out
        }
        fn steps(steps: &[Step]) -> impl Iterator<Item = &Expr> {
            steps.iter().filter_map(|s| match s {
                Step::Index(e) => Some(e),
                _ => None,
            })
        }
        match &self.kind {
            ExprKind::Tuple(items) | ExprKind::Call { args: items, .. } => Box::new(items.iter()),
            ExprKind::Object(items) => Box::new(items.iter().flat_map(|(k, v)| [k, v])),
            ExprKind::Template(p) => Box::new(in_parts(p).into_iter()),
            ExprKind::Traversal { steps: s, .. } => Box::new(steps(s)),
            ExprKind::Postfix { base, steps: s } => {
                Box::new(std::iter::once(&**base).chain(steps(s)))
            }
            ExprKind::Conditional(e) => Box::new(e.iter()),
            ExprKind::Binary(_, e) => Box::new(e.iter()),
            ExprKind::Unary(_, e) => Box::new(std::iter::once(&**e)),
            ExprKind::For(f) => Box::new(
                [
                    Some(&f.collection),
                    f.key.as_ref(),
                    Some(&f.value),
                    f.cond.as_ref(),
                ]
                .into_iter()
                .flatten(),
            ),
            ExprKind::Null
            | ExprKind::Bool(_)
            | ExprKind::Number(_)
            | ExprKind::String(_)
            | ExprKind::Opaque(_) => Box::new(std::iter::empty()),
        }
    }
}
