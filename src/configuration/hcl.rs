//! The HCL front end: `.tf` / `.tofu` files (and `.tfvars`, and the
//! template strings of JSON configurations) read into the configuration
//! [`tree`](super::tree), with the byte span of every node.
//!
//! Parsing is hcl-edit's; this module is the only one that knows it, so the
//! parser can be swapped. Three things valid Terraform files do that
//! hcl-edit 0.10 rejects are worked around here, keeping every span exact:
//! a UTF-8 byte order mark (skipped), duplicate keys in an object
//! constructor (`{a = 1, a = 2}`, where the last one wins; the repeated key
//! is parsed as a key expression), and a value of an object `for`
//! expression that spans lines (`k => v ? 1\n : 2`; the line breaks inside
//! that `for` are read as spaces).

use std::ops::Range;

use hcl_edit::expr::{
    BinaryOperator, Expression, ForExpr, Object, ObjectKey, Traversal, TraversalOperator,
    UnaryOperator,
};
use hcl_edit::structure::{Body as HclBody, Structure};
use hcl_edit::template::{Directive, Element, Template};
use hcl_edit::Span;

use super::tree::{
    Attribute, BinaryOp, Block, Body, Expr, ExprKind, File, For, Step, TemplatePart, UnaryOp,
};
use crate::error::{ErrorCode, InputError};
use crate::source::FileId;

/// How many times a file is parsed again after working around a known
/// limitation of the parser.
const MAX_RETRIES: usize = 256;

/// Files larger than this are parsed a piece (a run of top-level blocks)
/// at a time, so the parser's own tree never holds more than one piece:
/// memory stays proportional to the file and to one piece, not to the
/// parser's many allocations for the whole file.
const PIECE: usize = 64 * 1024;

/// Parses one `.tf` / `.tofu` / `.tfvars` file.
pub(crate) fn parse(id: FileId, text: &str) -> Result<File, InputError> {
    let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let whole = 0..text.len();
    let shape = shape(&text[bom..]);
    if let Shape::Flawed(Flaw { at, len, what }) = shape {
        let at = bom + at;
        let message = format!("this `{}` {what}", &text[at..at + len]);
        return Err(invalid(&message, at, text.len()));
    }
    if let Shape::Pieces(pieces) = shape {
        let mut body = Body::default();
        for piece in pieces {
            let base = bom + piece.start;
            let Ok(part) = parse_body(id, &text[base..bom + piece.end], base, &whole) else {
                // The whole file decides (and locates the error).
                break;
            };
            body.attributes.extend(part.attributes);
            body.blocks.extend(part.blocks);
            if bom + piece.end == text.len() {
                return Ok(File { id, body });
            }
        }
    }
    Ok(File {
        id,
        body: parse_body(id, &text[bom..], bom, &whole)?,
    })
}

/// Parses a body written at byte `base` of the file, working around the
/// parser's known limitations.
fn parse_body(
    id: FileId,
    text: &str,
    base: usize,
    whole: &Range<usize>,
) -> Result<Body, InputError> {
    let mut patch = Patch::new(text);
    // The error before the last workaround: reported when it did not help.
    let mut before: Option<(usize, String)> = None;
    for _ in 0..MAX_RETRIES {
        match hcl_edit::parser::parse_body(&patch.text) {
            Ok(body) => {
                let reader = Reader {
                    id,
                    patch: &patch,
                    base,
                };
                return Ok(reader.body(&body, whole.clone()));
            }
            Err(e) => {
                let at = base + patch.original(e.location().offset());
                let stuck = before.as_ref().is_some_and(|(prev, _)| *prev == at);
                let (at, message) = match before.take() {
                    Some(prev) if stuck => prev,
                    _ => (at, e.message().to_string()),
                };
                let offset = e.location().offset();
                if stuck || !(patch.quote_key(offset) || patch.join_for_lines(offset)) {
                    return Err(invalid(&message, at, whole.end));
                }
                before = Some((at, message));
            }
        }
    }
    Err(InputError::new(
        ErrorCode::InvalidHcl,
        "invalid HCL: the file repeats object keys more often than tierkey can work around",
    )
    .at(base..base + 1))
}

fn invalid(message: &str, at: usize, len: usize) -> InputError {
    InputError::new(ErrorCode::InvalidHcl, format!("invalid HCL: {message}"))
        .help("tierkey reads Terraform's native syntax as Terraform does; `terraform validate` shows the same problem")
        .at(at..(at + 1).min(len.max(at + 1)))
}

/// What one scan of a body's brackets says about how to parse it.
enum Shape {
    /// A flaw the scan is sure of, which the parser would also reject:
    /// where, and what. The parser backtracks exponentially over some of
    /// them (a 1 KB file with unclosed brackets or strings took seconds),
    /// so such a body is rejected before it is parsed, pointing at the
    /// place, as Terraform rejects it.
    Flawed(Flaw),
    /// A large body's pieces: whole top-level structures, each about
    /// [`PIECE`] bytes, cut at a line break outside any bracket, string,
    /// heredoc or comment.
    Pieces(Vec<Range<usize>>),
    /// Parsed whole: a small body.
    Whole,
}

/// Something never closed, or closing nothing, at a byte of the body.
struct Flaw {
    at: usize,
    /// The length of the token at `at`.
    len: usize,
    what: &'static str,
}

impl Flaw {
    fn at(at: usize, len: usize, what: &'static str) -> Self {
        Flaw { at, len, what }
    }
}

/// One pass over the body decides its [`Shape`].
fn shape(text: &str) -> Shape {
    let large = text.len() > PIECE;
    let mut pieces = Vec::new();
    let mut start = 0;
    let open = match scan_brackets(text, |i, depth| {
        if large && depth == 0 && i + 1 - start >= PIECE {
            pieces.push(start..i + 1);
            start = i + 1;
        }
    }) {
        Ok(open) => open,
        Err(flaw) => return Shape::Flawed(flaw),
    };
    if let Some(&at) = open.first() {
        return Shape::Flawed(Flaw::at(at, 1, "is never closed"));
    }
    if !large {
        return Shape::Whole;
    }
    if start < text.len() {
        pieces.push(start..text.len());
    }
    Shape::Pieces(pieces)
}

/// Scans a body's brackets outside strings, heredocs and comments, calling
/// `line_break(at, depth)` at each line break; returns where the brackets
/// still open at the end are, or the first flaw: a string, interpolation,
/// heredoc or comment that is never closed, a closing bracket without an
/// opening one, `<<` that starts no heredoc.
fn scan_brackets(text: &str, mut line_break: impl FnMut(usize, usize)) -> Result<Vec<usize>, Flaw> {
    let bytes = text.as_bytes();
    let mut open = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => i = skip_template_string(bytes, i)?,
            b'#' => i = line_end(bytes, i),
            b'/' if bytes.get(i + 1) == Some(&b'/') => i = line_end(bytes, i),
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = memchr::memmem::find(&bytes[i + 2..], b"*/")
                    .map(|p| i + 2 + p + 2)
                    .ok_or(Flaw::at(i, 2, "starts a comment that is never closed"))?;
            }
            b'<' if bytes.get(i + 1) == Some(&b'<') => i = skip_heredoc(text, i)?,
            b'{' | b'[' | b'(' => {
                open.push(i);
                i += 1;
            }
            b'}' | b']' | b')' => {
                open.pop().ok_or(Flaw::at(i, 1, "closes nothing"))?;
                i += 1;
            }
            b'\n' => {
                line_break(i, open.len());
                i += 1;
            }
            _ => i += 1,
        }
    }
    Ok(open)
}

fn line_end(bytes: &[u8], i: usize) -> usize {
    memchr::memchr(b'\n', &bytes[i..]).map_or(bytes.len(), |p| i + p)
}

/// The index after a quoted template string at `start`, skipping its
/// `${...}` / `%{...}` interpolations, which hold expressions, strings
/// among them. What is open is kept on a stack rather than by recursion,
/// so no nesting can overflow the call stack.
fn skip_template_string(bytes: &[u8], start: usize) -> Result<usize, Flaw> {
    /// An open string (where it starts), or an open interpolation (where
    /// it starts, and how many of its own braces are open).
    enum Open {
        String(usize),
        Interpolation(usize, usize),
    }
    let mut stack = vec![Open::String(start)];
    let mut i = start + 1;
    while let Some(top) = stack.last_mut() {
        let Some(&b) = bytes.get(i) else {
            return Err(match top {
                Open::String(at) => Flaw::at(*at, 1, "starts a string that is never closed"),
                Open::Interpolation(at, _) => {
                    Flaw::at(*at, 2, "starts an interpolation that is never closed")
                }
            });
        };
        match top {
            Open::String(at) => match b {
                b'\\' => i += 2,
                b'"' => {
                    stack.pop();
                    i += 1;
                }
                b'\n' => {
                    return Err(Flaw::at(
                        *at,
                        1,
                        "starts a string that is not closed on its line",
                    ))
                }
                b'$' | b'%' if bytes.get(i + 1) == Some(&b) => i += 2,
                b'$' | b'%' if bytes.get(i + 1) == Some(&b'{') => {
                    stack.push(Open::Interpolation(i, 0));
                    i += 2;
                }
                _ => i += 1,
            },
            Open::Interpolation(_, depth) => {
                match b {
                    b'"' => stack.push(Open::String(i)),
                    b'{' => *depth += 1,
                    b'}' if *depth == 0 => {
                        stack.pop();
                    }
                    b'}' => *depth -= 1,
                    _ => {}
                }
                i += 1;
            }
        }
    }
    Ok(i)
}

/// The index after a heredoc starting at `start` (`<<EOT` or `<<-EOT`, up
/// to the line holding only its delimiter).
fn skip_heredoc(text: &str, start: usize) -> Result<usize, Flaw> {
    let rest = &text[start + 2..];
    let rest = rest.strip_prefix('-').unwrap_or(rest);
    let name_len = rest
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'))
        .count();
    if name_len == 0 {
        // `<<` is no HCL operator.
        return Err(Flaw::at(
            start,
            2,
            "starts no heredoc (`<<` must be followed by its delimiter, as in `<<EOT`)",
        ));
    }
    let never_closed = || Flaw::at(start, 2, "starts a heredoc that is never closed");
    let name = &rest[..name_len];
    let body_start = start + (text.len() - start - rest.len()) + name_len;
    let mut line_start = text[body_start..].find('\n').ok_or_else(never_closed)? + body_start + 1;
    loop {
        let end = text[line_start..]
            .find('\n')
            .map_or(text.len(), |p| line_start + p);
        if text[line_start..end].trim() == name {
            return Ok(end);
        }
        if end == text.len() {
            return Err(never_closed());
        }
        line_start = end + 1;
    }
}

/// Parses a template (the string of a JSON configuration). `None` when it
/// does not parse. A template that is one interpolation alone is that
/// expression (its value is not converted to a string).
pub(crate) fn template(text: &str, span: &Range<usize>) -> Option<Expr> {
    let template = hcl_edit::parser::parse_template(text).ok()?;
    let patch = Patch::new("");
    let reader = Reader {
        id: FileId(0),
        patch: &patch,
        base: 0,
    };
    let parts = reader.template_parts(&template, span, true);
    if let [TemplatePart::Interpolation(expr)] = parts.as_slice() {
        return Some(expr.clone());
    }
    Some(Expr::new(ExprKind::Template(parts), span.clone()))
}

/// Parses an expression (a `-var` value of a complex type, `TF_VAR_name`).
pub(crate) fn expression(text: &str) -> Option<Expr> {
    let expr = hcl_edit::parser::parse_expr(text).ok()?;
    let patch = Patch::new("");
    let reader = Reader {
        id: FileId(0),
        patch: &patch,
        base: 0,
    };
    Some(reader.expr(&expr, &(0..0), true))
}

/// The text the parser reads, and the insertions made into it.
struct Patch {
    text: String,
    /// (position in the original text, length), in order.
    inserts: Vec<(usize, usize)>,
}

impl Patch {
    fn new(text: &str) -> Self {
        Patch {
            text: text.to_string(),
            inserts: Vec::new(),
        }
    }

    /// The original position of a position in the patched text.
    fn original(&self, patched: usize) -> usize {
        let mut shift = 0;
        for &(at, len) in &self.inserts {
            let start = at + shift;
            if patched < start {
                break;
            }
            if patched < start + len {
                return at;
            }
            shift += len;
        }
        patched - shift
    }

    /// Inserts `text` at a patched position.
    fn insert(&mut self, patched: usize, text: &str) {
        let at = self.original(patched);
        self.text.insert_str(patched, text);
        let index = self.inserts.partition_point(|(o, _)| *o <= at);
        self.inserts.insert(index, (at, text.len()));
    }

    /// An object key at `at` becomes a key expression: `a` → `("a")`,
    /// `"a"` → `("a")`, the same key. hcl-edit rejects a repeated key
    /// (`{a = 1, a = 2}`, where Terraform takes the last), but not a
    /// repeated key expression.
    fn quote_key(&mut self, at: usize) -> bool {
        let bytes = self.text.as_bytes();
        let Some(&first) = bytes.get(at) else {
            return false;
        };
        // Only a key: a name or a string followed by `=` or `:`.
        let is_key = |end: usize| {
            bytes[end.min(bytes.len())..]
                .iter()
                .find(|b| !matches!(b, b' ' | b'\t'))
                .is_some_and(|b| matches!(b, b'=' | b':'))
        };
        if first == b'"' {
            let mut end = at + 1;
            while end < bytes.len() && bytes[end] != b'"' {
                end += if bytes[end] == b'\\' { 2 } else { 1 };
            }
            if end >= bytes.len() || !is_key(end + 1) {
                return false;
            }
            self.insert(end + 1, ")");
            self.insert(at, "(");
            return true;
        }
        if !(first.is_ascii_alphabetic() || first == b'_') {
            return false;
        }
        let end = at
            + bytes[at..]
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'))
                .count();
        if !is_key(end) {
            return false;
        }
        self.insert(end, "\")");
        self.insert(at, "(\"");
        true
    }

    /// Line breaks inside the object `for` expression around `at` become
    /// spaces (and its line comments blanks), so a value that spans lines
    /// parses; lengths and so spans do not change. `false` when `at` is not
    /// inside one, or it holds a heredoc.
    fn join_for_lines(&mut self, at: usize) -> bool {
        let Some((open, close)) = enclosing_object_for(&self.text, at) else {
            return false;
        };
        let region = &self.text[open..close];
        if region.contains("<<") || !region.contains('\n') {
            return false;
        }
        let mut bytes = std::mem::take(&mut self.text).into_bytes();
        let mut i = open;
        while i < close {
            match bytes[i] {
                b'"' => i = skip_string(&bytes, i),
                b'#' => i = blank_to_line_end(&mut bytes, i),
                b'/' if bytes.get(i + 1) == Some(&b'/') => i = blank_to_line_end(&mut bytes, i),
                b'\n' | b'\r' => {
                    bytes[i] = b' ';
                    i += 1;
                }
                _ => i += 1,
            }
        }
        // Only ASCII bytes were replaced by ASCII bytes.
        self.text = String::from_utf8(bytes).unwrap_or_default();
        true
    }
}

/// The `{` and matching `}` of the innermost object `for` expression that
/// contains `at`.
fn enclosing_object_for(text: &str, at: usize) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut stack: Vec<usize> = Vec::new();
    let mut found = None;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i = skip_string(bytes, i);
                continue;
            }
            b'#' => {
                i = bytes[i..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(bytes.len(), |p| i + p);
                continue;
            }
            b'{' => stack.push(i),
            b'}' => {
                if let Some(open) = stack.pop() {
                    let is_for = text[open + 1..].trim_start().starts_with("for ");
                    if is_for && open < at && at <= i {
                        found = Some((open, i));
                    }
                    if open > at {
                        continue;
                    }
                }
            }
            _ => {}
        }
        if found.is_some() && stack.is_empty() {
            break;
        }
        i += 1;
    }
    found
}

/// The index just after the quoted string starting at `start`.
fn skip_string(bytes: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
        i += if bytes[i] == b'\\' { 2 } else { 1 };
    }
    (i + 1).min(bytes.len())
}

fn blank_to_line_end(bytes: &mut [u8], start: usize) -> usize {
    let mut i = start;
    while i < bytes.len() && bytes[i] != b'\n' {
        if bytes[i].is_ascii() {
            bytes[i] = b' ';
        }
        i += 1;
    }
    i
}

/// Converts hcl-edit's tree into the configuration tree.
struct Reader<'p> {
    id: FileId,
    patch: &'p Patch,
    /// Where the parsed text starts in the file (after a byte order mark,
    /// or at a piece of a large file).
    base: usize,
}

impl Reader<'_> {
    /// A span of the parsed text, in the original file; `fallback` when the
    /// node has none.
    fn span(&self, node: Option<Range<usize>>, fallback: &Range<usize>) -> Range<usize> {
        match node {
            Some(r) => {
                self.base + self.patch.original(r.start)..self.base + self.patch.original(r.end)
            }
            None => fallback.clone(),
        }
    }

    fn body(&self, body: &HclBody, fallback: Range<usize>) -> Body {
        let mut out = Body::default();
        for structure in body {
            match structure {
                Structure::Attribute(attr) => {
                    let span = self.span(attr.span(), &fallback);
                    out.attributes.push(Attribute {
                        name: attr.key.value().as_str().to_string(),
                        expr: self.expr(&attr.value, &span, false),
                        file: self.id,
                        span,
                    });
                }
                Structure::Block(block) => {
                    let span = self.span(block.span(), &fallback);
                    let ident = self.span(block.ident.span(), &span);
                    let header_end = block
                        .labels
                        .last()
                        .and_then(hcl_edit::Span::span)
                        .map_or(ident.end, |l| self.span(Some(l), &span).end);
                    out.blocks.push(Block {
                        kind: block.ident.value().as_str().to_string(),
                        labels: block
                            .labels
                            .iter()
                            .map(|l| l.as_str().to_string())
                            .collect(),
                        body: self.body(&block.body, span.clone()),
                        file: self.id,
                        focus: ident.start..header_end,
                        span,
                    });
                }
            }
        }
        out
    }

    /// An expression; `flat`: every span is `parent` (a JSON string, whose
    /// inside is not mapped byte for byte).
    fn expr(&self, expr: &Expression, parent: &Range<usize>, flat: bool) -> Expr {
        let span = if flat {
            parent.clone()
        } else {
            self.span(expr.span(), parent)
        };
        let sub = |e: &Expression| self.expr(e, &span, flat);
        let kind = match expr {
            Expression::Null(_) => ExprKind::Null,
            Expression::Bool(b) => ExprKind::Bool(*b.value()),
            Expression::Number(n) => ExprKind::Number(n.value().as_f64().unwrap_or(f64::NAN)),
            Expression::String(s) => ExprKind::String(s.value().clone()),
            Expression::Array(items) => ExprKind::Tuple(items.iter().map(sub).collect()),
            Expression::Object(object) => self.object(object, &span, flat),
            Expression::StringTemplate(t) => {
                ExprKind::Template(self.template_parts(t, &span, flat))
            }
            Expression::HeredocTemplate(h) => {
                ExprKind::Template(self.template_parts(&h.template, &span, flat))
            }
            Expression::Parenthesis(p) => return sub(p.inner()),
            Expression::Variable(ident) => ExprKind::Traversal {
                root: ident.value().as_str().to_string(),
                steps: Vec::new(),
            },
            Expression::Conditional(c) => ExprKind::Conditional(Box::new([
                sub(&c.cond_expr),
                sub(&c.true_expr),
                sub(&c.false_expr),
            ])),
            Expression::FuncCall(call) => {
                let mut name: Vec<&str> = call
                    .name
                    .namespace
                    .iter()
                    .map(|n| n.value().as_str())
                    .collect();
                name.push(call.name.name.value().as_str());
                ExprKind::Call {
                    name: name.join("::"),
                    args: call.args.iter().map(sub).collect(),
                    expand: call.args.expand_final(),
                }
            }
            Expression::Traversal(t) => self.traversal(t, &span, flat),
            Expression::UnaryOp(op) => {
                let operator = match op.operator.value() {
                    UnaryOperator::Neg => UnaryOp::Neg,
                    UnaryOperator::Not => UnaryOp::Not,
                };
                ExprKind::Unary(operator, Box::new(sub(&op.expr)))
            }
            Expression::BinaryOp(op) => ExprKind::Binary(
                binary(*op.operator.value()),
                Box::new([sub(&op.lhs_expr), sub(&op.rhs_expr)]),
            ),
            Expression::ForExpr(f) => ExprKind::For(Box::new(self.for_expr(f, &span, flat))),
        };
        Expr::new(kind, span)
    }

    fn object(&self, object: &Object, span: &Range<usize>, flat: bool) -> ExprKind {
        let sub = |e: &Expression| self.expr(e, span, flat);
        ExprKind::Object(
            object
                .iter()
                .map(|(key, value)| {
                    let key = match key {
                        ObjectKey::Ident(ident) => Expr::new(
                            ExprKind::String(ident.value().as_str().to_string()),
                            if flat {
                                span.clone()
                            } else {
                                self.span(ident.span(), span)
                            },
                        ),
                        ObjectKey::Expression(e) => sub(e),
                    };
                    (key, sub(value.expr()))
                })
                .collect(),
        )
    }

    /// `root.a[0].b`, or a postfix on any other expression (`f(x).a`).
    fn traversal(&self, t: &Traversal, span: &Range<usize>, flat: bool) -> ExprKind {
        let sub = |e: &Expression| self.expr(e, span, flat);
        let steps = t
            .operators
            .iter()
            .map(|op| match op.value() {
                TraversalOperator::GetAttr(ident) => Step::Attr(ident.value().as_str().to_string()),
                TraversalOperator::Index(e) => Step::Index(sub(e)),
                #[allow(clippy::cast_precision_loss)]
                TraversalOperator::LegacyIndex(i) => {
                    Step::Index(Expr::new(ExprKind::Number(*i.value() as f64), span.clone()))
                }
                TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => Step::Splat,
            })
            .collect();
        match &t.expr {
            Expression::Variable(root) => ExprKind::Traversal {
                root: root.value().as_str().to_string(),
                steps,
            },
            base => ExprKind::Postfix {
                base: Box::new(sub(base)),
                steps,
            },
        }
    }

    fn for_expr(&self, f: &ForExpr, span: &Range<usize>, flat: bool) -> For {
        let sub = |e: &Expression| self.expr(e, span, flat);
        For {
            key_var: f
                .intro
                .key_var
                .as_ref()
                .map(|k| k.value().as_str().to_string()),
            value_var: f.intro.value_var.value().as_str().to_string(),
            collection: sub(&f.intro.collection_expr),
            key: f.key_expr.as_ref().map(sub),
            value: sub(&f.value_expr),
            cond: f.cond.as_ref().map(|c| sub(&c.expr)),
            grouping: f.grouping,
        }
    }

    fn template_parts(
        &self,
        template: &Template,
        span: &Range<usize>,
        flat: bool,
    ) -> Vec<TemplatePart> {
        template
            .iter()
            .map(|element| match element {
                Element::Literal(s) => TemplatePart::Literal(s.value().clone()),
                Element::Interpolation(i) => {
                    TemplatePart::Interpolation(self.expr(&i.expr, span, flat))
                }
                Element::Directive(d) => match d.as_ref() {
                    Directive::If(d) => TemplatePart::If {
                        cond: self.expr(&d.if_expr.cond_expr, span, flat),
                        then: self.template_parts(&d.if_expr.template, span, flat),
                        otherwise: d
                            .else_expr
                            .as_ref()
                            .map(|e| self.template_parts(&e.template, span, flat))
                            .unwrap_or_default(),
                    },
                    Directive::For(d) => TemplatePart::For {
                        key_var: d
                            .for_expr
                            .key_var
                            .as_ref()
                            .map(|k| k.value().as_str().to_string()),
                        value_var: d.for_expr.value_var.value().as_str().to_string(),
                        collection: self.expr(&d.for_expr.collection_expr, span, flat),
                        body: self.template_parts(&d.for_expr.template, span, flat),
                    },
                },
            })
            .collect()
    }
}

fn binary(op: BinaryOperator) -> BinaryOp {
    match op {
        BinaryOperator::Eq => BinaryOp::Eq,
        BinaryOperator::NotEq => BinaryOp::NotEq,
        BinaryOperator::LessEq => BinaryOp::LessEq,
        BinaryOperator::GreaterEq => BinaryOp::GreaterEq,
        BinaryOperator::Less => BinaryOp::Less,
        BinaryOperator::Greater => BinaryOp::Greater,
        BinaryOperator::Plus => BinaryOp::Plus,
        BinaryOperator::Minus => BinaryOp::Minus,
        BinaryOperator::Mul => BinaryOp::Mul,
        BinaryOperator::Div => BinaryOp::Div,
        BinaryOperator::Mod => BinaryOp::Mod,
        BinaryOperator::And => BinaryOp::And,
        BinaryOperator::Or => BinaryOp::Or,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> File {
        parse(FileId(0), text).unwrap_or_else(|e| panic!("{text:?}: {}", e.message))
    }

    fn attr<'f>(file: &'f File, name: &str) -> &'f Attribute {
        file.body.attribute(name).expect("attribute")
    }

    #[test]
    fn spans_are_exact() {
        let text = "resource \"aws_db_instance\" \"this\" {\n  tags = { tier = \"db\" }\n}\n";
        let f = parsed(text);
        let block = &f.body.blocks[0];
        assert_eq!(
            &text[block.focus.clone()],
            "resource \"aws_db_instance\" \"this\""
        );
        assert_eq!(&text[block.span.clone()], text.trim_end());
        let tags = block.body.attribute("tags").unwrap();
        assert_eq!(&text[tags.span.clone()], "tags = { tier = \"db\" }");
        assert_eq!(&text[tags.expr.span.clone()], "{ tier = \"db\" }");
    }

    #[test]
    fn a_byte_order_mark_is_skipped_and_spans_still_point_into_the_file() {
        let text = "\u{feff}region = \"eu-west-1\"\n";
        let f = parsed(text);
        assert_eq!(
            &text[attr(&f, "region").span.clone()],
            "region = \"eu-west-1\""
        );
    }

    #[test]
    fn duplicate_object_keys_are_accepted_and_spans_stay_exact() {
        let text = "tags = {a = 1, b = 2, a = 3, \"b\" = 4}\nafter = 1\n";
        let f = parsed(text);
        let ExprKind::Object(items) = &attr(&f, "tags").expr.kind else {
            panic!("an object");
        };
        assert_eq!(items.len(), 4);
        assert_eq!(&text[attr(&f, "after").span.clone()], "after = 1");
        assert_eq!(&text[items[2].1.span.clone()], "3");
    }

    #[test]
    fn a_multi_line_conditional_in_an_object_for_is_accepted() {
        let text = "a = {\n  for k, v in var.m : k => v.enabled # why\n  ? 1\n  : 2\n}\nb = 1\n";
        let f = parsed(text);
        assert!(matches!(attr(&f, "a").expr.kind, ExprKind::For(_)));
        assert_eq!(&text[attr(&f, "b").span.clone()], "b = 1");
    }

    #[test]
    fn crlf_files_parse() {
        let f = parsed("a = 1\r\nb = \"x\"\r\n");
        assert!(f.body.attribute("b").is_some());
    }

    #[test]
    fn real_syntax_errors_are_located() {
        let e = parse(FileId(0), "a = \nb = 1\n").unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidHcl);
        assert!(e.span.is_some());
    }

    /// Each flaw the bracket scan is sure of is reported at its token,
    /// before the parser (which backtracks exponentially over some of
    /// them) sees the file; look-alikes in strings, comments and heredocs
    /// are not flaws.
    #[test]
    fn flaws_are_found_before_parsing_and_located() {
        let cases = [
            ("a = [1,\n", "[", "is never closed"),
            ("a = 1)\n", ")", "closes nothing"),
            (
                "a = \"x\n\"\n",
                "\"",
                "starts a string that is not closed on its line",
            ),
            ("a = \"x", "\"", "starts a string that is never closed"),
            (
                "a = \"${b\n",
                "${",
                "starts an interpolation that is never closed",
            ),
            (
                "a = \"%{if b}",
                "\"",
                "starts a string that is never closed",
            ),
            (
                "a = \"x%{ if b\n",
                "%{",
                "starts an interpolation that is never closed",
            ),
            (
                "a = 1 /* x\n",
                "/*",
                "starts a comment that is never closed",
            ),
            (
                "a = <<EOT\nx\n",
                "<<",
                "starts a heredoc that is never closed",
            ),
            ("a = b << c\n", "<<", "starts no heredoc"),
        ];
        for (text, token, what) in cases {
            let e = parse(FileId(0), text).expect_err(text);
            let at = e.span.expect("located").start;
            assert!(text[at..].starts_with(token), "{text:?}: at {at}");
            assert!(e.message.contains(what), "{text:?}: {}", e.message);
            assert!(e.message.contains(&format!("`{token}`")), "{}", e.message);
        }
        // After a byte order mark (found by fuzzing: it was counted twice).
        let e = parse(FileId(0), "\u{feff}\"").expect_err("never closed");
        assert_eq!(e.span, Some(3..4));
        let fine = [
            "a = \"[ ( { ${\"}\"} $${ %%{ \\\" \"\n",
            "a = \"${ {b = \"}\"}.b }\"\n",
            "a = 1 # [ \" /*\nb = 2 // ( <<\nc = /* { \" */ 3\n",
            "a = <<-EOT\n  [ \" ${ \"x\" }\n  EOT\n",
            "a = \"${\n  b\n}\"\n",
        ];
        for text in fine {
            parsed(text);
        }
    }

    /// Nesting is tracked on a heap stack: a million nested interpolations
    /// are a located error, not a stack overflow.
    #[test]
    fn deep_nesting_never_overflows_the_stack() {
        let n = 1_000_000;
        let text = format!("a = {}1{}\n", "\"${".repeat(n), "}\"".repeat(n));
        let e = parse(FileId(0), &text).expect_err("too deep");
        assert_eq!(e.code, ErrorCode::InvalidHcl);
        let open = format!("a = {}1\n", "\"${".repeat(n));
        let e = parse(FileId(0), &open).expect_err("never closed");
        assert!(e.message.contains("never closed"), "{}", e.message);
    }

    #[test]
    fn json_templates() {
        let lone = template("${var.region}", &(0..1)).unwrap();
        assert!(matches!(lone.kind, ExprKind::Traversal { .. }));
        let mixed = template("arn-${var.x}", &(0..1)).unwrap();
        assert!(matches!(mixed.kind, ExprKind::Template(_)));
    }

    /// A large file is parsed a piece at a time, cut only between
    /// top-level structures: braces in strings, interpolations, heredocs
    /// and comments do not confuse the cut, and the result is the whole
    /// file's, spans included. A piece that does not parse alone hands the
    /// file to the parser whole, which locates the error.
    #[test]
    fn large_files_are_parsed_in_pieces_with_the_same_result() {
        let block = |i: usize| {
            format!(
                "# a comment with a brace {{ and a quote \"\n\
                 resource \"aws_sqs_queue\" \"q{i}\" {{\n\
                 \x20 name = \"q-${{lookup({{ a = \"}}\" }}, \"a\")}}-{i}\" // }} here\n\
                 \x20 policy = <<-EOT\n    {{ \"unclosed\": [\n    EOT\n\
                 \x20 /* {{ */ tags = {{ tier = \"database\", n = \"{i}\" }}\n}}\n"
            )
        };
        let mut text = String::new();
        let mut i = 0;
        while text.len() < 3 * PIECE {
            text.push_str(&block(i));
            i += 1;
        }
        let Shape::Pieces(ranges) = shape(&text) else {
            panic!("a large file is cut");
        };
        assert!(ranges.len() >= 3);
        for r in &ranges {
            assert!(parse_body(FileId(0), &text[r.clone()], r.start, &(0..text.len())).is_ok());
        }
        let whole = parse_body(FileId(0), &text, 0, &(0..text.len())).expect("parses");
        let cut = parsed(&text);
        assert_eq!(format!("{:?}", cut.body), format!("{whole:?}"));
        assert_eq!(cut.body.blocks.len(), i);
        let last = cut.body.blocks.last().expect("blocks");
        assert!(text[last.focus.clone()].ends_with(&format!("\"q{}\"", i - 1)));

        // An error far into the file is located in the file.
        let mut broken = text.clone();
        broken.push_str("resource \"x\" \"y\" {\n  a = = 1\n}\n");
        let error = parse(FileId(0), &broken).expect_err("invalid");
        let at = error.span.expect("located").start;
        assert_eq!(&broken[at..=at], "=");
        assert!(at > text.len());
    }
}
