//! The HCL front end: `.tf` / `.tofu` files (and `.tfvars`, and the
//! template strings of JSON configurations) read into the configuration
//! [`tree`](super::tree), with the byte span of every node.
//!
//! Two readers, one result. The [`direct`] reader reads the HCL nearly
//! every file is written in, in one pass, straight into the tree; a file
//! outside its subset (a template directive, a syntax error) is parsed by
//! hcl-edit instead, which also locates every error. Tests over every
//! fixture and the corpus, and the fuzzer, hold the two to the same tree.
//!
//! hcl-edit is known only to this module, so the parser can be swapped.
//! Three things valid Terraform files do that
//! hcl-edit 0.10 rejects are worked around here, keeping every span exact:
//! a UTF-8 byte order mark (skipped), repeated keys in an object
//! constructor (`{a = 1, a = 2}`, where the last one wins; the object is
//! parsed in chunks cut before the repeated key), and a value of an object
//! `for` expression that spans lines (`k => v ? 1\n : 2`; the line breaks
//! inside that `for` are read as spaces). One [`scan`] before parsing
//! finds what the parser would take too long over: things never closed
//! (the parser backtracks), and object constructors of many items (it
//! compares each key with all before it), which are parsed in chunks too.

use std::cell::RefCell;
use std::collections::HashMap;
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
use scan::{is_name_byte, shape, Flaw, Large};

mod direct;
mod scan;

/// How many times a file is parsed again after working around a known
/// limitation of the parser.
const MAX_RETRIES: usize = 256;

/// How many bytes retries may parse, besides 16 times the text: a file
/// whose workarounds would take longer is rejected, never a hang.
const RETRY_BYTES: usize = 16 << 20;

/// The length of the UTF-8 byte order mark `text` starts with (0 or 3):
/// it is skipped, and spans still count it.
fn bom_len(text: &str) -> usize {
    if text.starts_with('\u{feff}') {
        3
    } else {
        0
    }
}

/// Parses one `.tf` / `.tofu` / `.tfvars` file: by the [`direct`] reader
/// when the file is in its subset (nearly all are), else by hcl-edit.
pub(crate) fn parse(id: FileId, text: &str) -> Result<File, InputError> {
    let bom = bom_len(text);
    if let Some(body) = direct::body(id, &text[bom..], bom) {
        let file = File { id, body };
        #[cfg(fuzzing)]
        assert_eq!(
            format!("{:?}", Ok::<_, ()>(&file.body)),
            format!(
                "{:?}",
                parse_scanned(id, text)
                    .as_ref()
                    .map(|f| &f.body)
                    .map_err(|_| ())
            ),
            "the direct reader and hcl-edit read {text:?} alike",
        );
        return Ok(file);
    }
    let file = parse_scanned(id, text);
    #[cfg(fuzzing)]
    same_as_whole(id, text, &file);
    file
}

fn parse_scanned(id: FileId, text: &str) -> Result<File, InputError> {
    let bom = bom_len(text);
    let scanned = Scanned {
        text: &text[bom..],
        bom,
    };
    let shape = match shape(scanned.text) {
        Ok(shape) => shape,
        Err(Flaw { at, len, what }) => {
            let at = bom + at;
            let message = format!("this `{}` {what}", &text[at..at + len]);
            return Err(invalid(&message, at, text.len()));
        }
    };
    let mut body = Body::default();
    let mut large = shape.large.as_slice();
    for piece in &shape.pieces {
        let inside = large.partition_point(|l| l.close < piece.end);
        let (mine, later) = large.split_at(inside);
        large = later;
        match scanned.body(id, piece.clone(), mine) {
            Ok(part) if shape.pieces.len() == 1 => body = part,
            Ok(part) => {
                body.attributes.extend(part.attributes);
                body.blocks.extend(part.blocks);
            }
            // The whole file decides (and locates the error).
            Err(_) if shape.pieces.len() > 1 => {
                return Ok(File {
                    id,
                    body: scanned.body(id, 0..scanned.text.len(), &shape.large)?,
                })
            }
            Err(e) => return Err(e),
        }
    }
    Ok(File { id, body })
}

/// Under the fuzzer: a file with large objects, which parses whole, is
/// read the same in chunks. Not for files with `%{` directives: inside
/// one in a quoted string, hcl-edit reads on past the closing quote and
/// across lines (`"%{if c}x"` … `%{else}y"`), where Terraform reports an
/// unclosed template and the scan a closed string, so the parser's whole
/// reading is not the one to match.
#[cfg(fuzzing)]
fn same_as_whole(id: FileId, text: &str, file: &Result<File, InputError>) {
    if text.contains("%{") {
        return;
    }
    let bom = bom_len(text);
    let scanned = Scanned {
        text: &text[bom..],
        bom,
    };
    let Ok(shape) = shape(scanned.text) else {
        return;
    };
    if shape.large.is_empty() {
        return;
    }
    if let Ok(whole) = scanned.body(id, 0..scanned.text.len(), &[]) {
        let chunked = file.as_ref().map(|f| &f.body);
        assert_eq!(format!("{chunked:?}"), format!("{:?}", Ok::<_, ()>(&whole)));
    }
}

/// The text of a file after its byte order mark, which the scan and the
/// parser read; `bom` is where it starts in the file.
#[derive(Clone, Copy)]
struct Scanned<'t> {
    text: &'t str,
    bom: usize,
}

impl Scanned<'_> {
    /// Parses the body at `range` of the text, whose large objects are
    /// `large` (in closing order): each is parsed a chunk at a time, inner
    /// ones first, and stands in its parent's text as an empty object
    /// whose items the reader puts back.
    fn body(self, id: FileId, range: Range<usize>, large: &[Large]) -> Result<Body, InputError> {
        let whole = self.bom + self.text.len();
        let items = RefCell::new(HashMap::new());
        // Where the parser stopped first in a chunk of a large object.
        let mut error: Option<InputError> = None;
        // Large objects parsed and not yet inside a parsed parent.
        let mut outermost: Vec<&Large> = Vec::new();
        for object in large {
            let inner = outermost.partition_point(|o| o.open < object.open);
            let children = outermost.split_off(inner);
            let mut joined = Vec::new();
            let mut start = object.open + 1;
            for &end in object.cuts.iter().chain([&object.close]) {
                let patch = Patch::chunk(self.text, start, end, &children);
                let read = parse_with_workarounds(patch, self.bom + start - 1, whole, |text| {
                    hcl_edit::parser::parse_expr(text)
                });
                match read.map(|(patch, expr)| {
                    let reader = Reader::new(id, &patch, self.bom + start - 1, &items);
                    reader.expr(&expr, &(0..0), false).kind
                }) {
                    Ok(ExprKind::Object(part)) => joined.extend(part),
                    Ok(_) => {}
                    Err(e) => {
                        if error
                            .as_ref()
                            .is_none_or(|first| starts(first) > starts(&e))
                        {
                            error = Some(e);
                        }
                    }
                }
                start = end;
            }
            items.borrow_mut().insert(self.bom + object.open, joined);
            outermost.push(object);
        }
        let patch = Patch::excerpt(self.text, range.clone(), &outermost);
        let base = self.bom + range.start;
        let body = parse_with_workarounds(patch, base, whole, hcl_edit::parser::parse_body).map(
            |(patch, body)| {
                let reader = Reader::new(id, &patch, base, &items);
                reader.body(&body, base..self.bom + range.end)
            },
        );
        match (body, error) {
            (Err(e), Some(first)) if starts(&first) < starts(&e) => Err(first),
            (Ok(_), Some(first)) => Err(first),
            (body, _) => body,
        }
    }
}

/// Where an error is in the file.
fn starts(error: &InputError) -> Option<usize> {
    error.span.as_ref().map(|s| s.start)
}

/// Parses `patch` (written at byte `base` of a file of `len` bytes) with
/// `parse`, working around the parser's known limitations; the text
/// parsed, and what the parser made of it.
fn parse_with_workarounds<T>(
    mut patch: Patch,
    base: usize,
    len: usize,
    parse: impl Fn(&str) -> Result<T, hcl_edit::parser::Error>,
) -> Result<(Patch, T), InputError> {
    // The error before the last workaround: reported when it did not help.
    let mut before: Option<(usize, String)> = None;
    // Bytes parsed again at most: a retry of a huge body costs its size.
    let mut budget = RETRY_BYTES + 16 * patch.text.len();
    for _ in 0..MAX_RETRIES {
        budget = match budget.checked_sub(patch.text.len()) {
            Some(left) => left,
            None => break,
        };
        match parse(&patch.text) {
            Ok(parsed) => return Ok((patch, parsed)),
            Err(e) => {
                let at = base + patch.original(e.location().offset());
                let stuck = before.as_ref().is_some_and(|(prev, _)| *prev == at);
                let (at, message) = match before.take() {
                    Some(prev) if stuck => prev,
                    _ => (at, e.message().to_string()),
                };
                let offset = e.location().offset();
                if stuck || !(patch.quote_key(offset) || patch.join_for_lines(offset)) {
                    return Err(invalid(&message, at, len));
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

/// Parses a template (the string of a JSON configuration). `None` when it
/// does not parse, or holds an object constructor too large to parse
/// without the scan of a file ([`scan::crowded`]). A template that is one interpolation alone is that
/// expression (its value is not converted to a string).
pub(crate) fn template(text: &str, span: &Range<usize>) -> Option<Expr> {
    if scan::crowded(text, true) {
        return None;
    }
    let template = hcl_edit::parser::parse_template(text).ok()?;
    let (patch, items) = (Patch::new(""), RefCell::default());
    let reader = Reader::new(FileId(0), &patch, 0, &items);
    let parts = reader.template_parts(&template, span, true);
    if let [TemplatePart::Interpolation(expr)] = parts.as_slice() {
        return Some(expr.clone());
    }
    Some(Expr::new(ExprKind::Template(parts), span.clone()))
}

/// Parses an expression (a `-var` value of a complex type, `TF_VAR_name`);
/// `None` as for [`template`].
pub(crate) fn expression(text: &str) -> Option<Expr> {
    if scan::crowded(text, false) {
        return None;
    }
    let expr = hcl_edit::parser::parse_expr(text).ok()?;
    let (patch, items) = (Patch::new(""), RefCell::default());
    let reader = Reader::new(FileId(0), &patch, 0, &items);
    Some(reader.expr(&expr, &(0..0), true))
}

/// The text the parser reads, and how it differs from the original.
struct Patch {
    text: String,
    /// What differs, in order.
    edits: Vec<Edit>,
}

/// `old` bytes of the original text at `at` are `new` bytes of the parsed
/// text.
#[derive(Clone, Copy, Debug)]
struct Edit {
    at: usize,
    old: usize,
    new: usize,
}

impl Patch {
    fn new(text: &str) -> Self {
        Patch {
            text: text.to_string(),
            edits: Vec::new(),
        }
    }

    /// `range` of `text`, in which each of `holes` (large objects, in
    /// order) is left empty: `{}`, its items read separately.
    fn excerpt(text: &str, range: Range<usize>, holes: &[&Large]) -> Self {
        let mut out = String::with_capacity(range.len());
        let mut edits = Vec::new();
        let mut from = range.start;
        for hole in holes.iter().filter(|h| range.contains(&h.open)) {
            out.push_str(&text[from..=hole.open]);
            edits.push(Edit {
                at: hole.open + 1 - range.start,
                old: hole.close - hole.open - 1,
                new: 0,
            });
            from = hole.close;
        }
        out.push_str(&text[from..range.end]);
        Patch { text: out, edits }
    }

    /// The chunk of a large object from `start` to `end` as an object of
    /// its own: the byte before `start` (its `{` or an item separator)
    /// becomes `{`, and a `}` is added at `end`.
    fn chunk(text: &str, start: usize, end: usize, holes: &[&Large]) -> Self {
        let mut patch = Patch::excerpt(text, start - 1..end, holes);
        patch.text.replace_range(0..1, "{");
        patch.text.push('}');
        patch.edits.push(Edit {
            at: end + 1 - start,
            old: 0,
            new: 1,
        });
        patch
    }

    /// The original position of a position in the patched text.
    fn original(&self, patched: usize) -> usize {
        // A pair of positions known to match: just after the last edit.
        let (mut original, mut at) = (0, 0);
        for edit in &self.edits {
            let start = at + (edit.at - original);
            if patched < start {
                break;
            }
            if patched < start + edit.new {
                return edit.at;
            }
            original = edit.at + edit.old;
            at = start + edit.new;
        }
        original + (patched - at)
    }

    /// Inserts `text` at a patched position.
    fn insert(&mut self, patched: usize, text: &str) {
        let at = self.original(patched);
        self.text.insert_str(patched, text);
        let index = self.edits.partition_point(|e| e.at <= at);
        self.edits.insert(
            index,
            Edit {
                at,
                old: 0,
                new: text.len(),
            },
        );
    }

    /// An object key at `at` becomes a key expression: `a` → `("a")`,
    /// `"a"` → `("a")`, the same key. hcl-edit rejects a repeated key
    /// (`{a = 1, a = 2}`, where Terraform takes the last), but not a
    /// repeated key expression. (The scan already cuts objects before the
    /// keys it sees repeated; this catches the rest, such as escapes.)
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
        let end = at + bytes[at..].iter().take_while(|&&b| is_name_byte(b)).count();
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
    /// The items of the large objects parsed separately, by where their
    /// `{` is in the file.
    items: &'p RefCell<HashMap<usize, Vec<(Expr, Expr)>>>,
}

impl<'p> Reader<'p> {
    fn new(
        id: FileId,
        patch: &'p Patch,
        base: usize,
        items: &'p RefCell<HashMap<usize, Vec<(Expr, Expr)>>>,
    ) -> Self {
        Reader {
            id,
            patch,
            base,
            items,
        }
    }

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
            Expression::Object(object) => {
                let large = (object.is_empty() && !flat)
                    .then(|| self.items.borrow_mut().remove(&span.start))
                    .flatten();
                large.map_or_else(|| self.object(object, &span, flat), ExprKind::Object)
            }
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
    use super::scan::{Shape, CHUNK, PIECE};
    use super::*;

    /// The file read as [`parse`] reads it, which is also what hcl-edit
    /// makes of it (when the direct reader read it first).
    fn parsed(text: &str) -> File {
        let file = parse(FileId(0), text).unwrap_or_else(|e| panic!("{text:?}: {}", e.message));
        let edit =
            parse_scanned(FileId(0), text).unwrap_or_else(|e| panic!("{text:?}: {}", e.message));
        assert_eq!(
            format!("{:?}", file.body),
            format!("{:?}", edit.body),
            "{text:?}"
        );
        file
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
        // An object too large to parse without the scan is not parsed (the
        // value is unknown), in a template or an expression; commas and
        // lines in a template's text are no object.
        let items: Vec<String> = (0..5000).map(|i| format!("k{i} = {i}")).collect();
        let object = format!("{{ {} }}", items.join(", "));
        let started = std::time::Instant::now();
        assert!(template(&format!("x ${{ {object}.k1 }}"), &(0..1)).is_none());
        assert!(expression(&object).is_none());
        assert!(started.elapsed().as_secs() < 5);
        assert!(template(&format!("{{ {} }} ${{1}}", ",\n".repeat(5000)), &(0..1)).is_some());
        let small = format!("{{ {} }}", items[..100].join(", "));
        assert!(expression(&small).is_some());
    }

    /// An object constructor of more than [`CHUNK`] separators is parsed
    /// a chunk at a time (the parser checks each key against all before
    /// it, n²), inner large objects first, with the result of parsing it
    /// whole: items in order, duplicate keys kept, spans exact. Cuts fall
    /// only between items; an object `for` and a block body are never cut.
    #[test]
    fn large_objects_are_parsed_in_chunks_with_the_same_result() {
        let mut text = String::from("locals {\n  tags = {\n");
        for i in 0..3 * CHUNK + 7 {
            match i % 7 {
                0 => text.push_str(&format!("    k{i} = \"v,{i}\\n\" # a comment, {{\n")),
                1 => text.push_str(&format!(
                    "    \"é{i}\" : [1,\n 2], k{i}b = {{ a = 1, b = 2 }},\n"
                )),
                2 => text.push_str(&format!("    k{i} = <<-EOT\n    x, {{\n    EOT\n")),
                3 => {
                    // Some keys twice.
                    let key = if i % 98 == 3 { i / 196 } else { i };
                    text.push_str(&format!("    d{key} = \"${{ {{a = \"}}\"}}.a }}\"\n\n"));
                }
                4 => text.push_str(&format!("    (\"k{i}\") = f(1,\n 2) /* , */\n")),
                5 => text.push_str(&format!("    k{i} = {{ for k, v in x : k => v }}\n")),
                _ => text.push_str(&format!("    k{i} = 1, k{i}c = 2,\n")),
            }
        }
        text.push_str("    inner = {\n");
        for i in 0..2 * CHUNK {
            text.push_str(&format!("      i{i} = {i}\n"));
        }
        text.push_str("    }\n    for_lines = {\n      for k, v in x :\n");
        text.push_str(&"\n".repeat(2 * CHUNK));
        text.push_str("      k => v\n    }\n  }\n");
        for i in 0..2 * CHUNK {
            text.push_str(&format!("  a{i} = {i}\n"));
        }
        text.push_str("}\n");
        let Ok(Shape { pieces, large }) = shape(&text) else {
            panic!("no flaw");
        };
        assert_eq!(pieces.len(), 1);
        assert_eq!(pieces[0], 0..text.len());
        // `inner`, then `tags`; `for_lines` and the block body are not cut.
        assert_eq!(large.len(), 2);
        assert!(text[large[0].open..].starts_with("{\n      i0 = 0"));
        assert!(large[1].cuts.len() >= 3);
        for &cut in &large[1].cuts {
            assert!(
                matches!(text.as_bytes()[cut - 1], b'\n' | b','),
                "{}",
                &text[..cut]
            );
        }
        let scanned = Scanned {
            text: &text,
            bom: 0,
        };
        let chunked = scanned
            .body(FileId(0), 0..text.len(), &large)
            .expect("parses");
        let whole = scanned.body(FileId(0), 0..text.len(), &[]).expect("parses");
        assert_eq!(format!("{chunked:?}"), format!("{whole:?}"));
        assert_eq!(format!("{:?}", parsed(&text).body), format!("{whole:?}"));
        let ExprKind::Object(items) = &whole.blocks[0]
            .body
            .attribute("tags")
            .expect("tags")
            .expr
            .kind
        else {
            panic!("an object");
        };
        let (key, value) = &items[items.len() - 2];
        assert_eq!(&text[key.span.clone()], "inner");
        assert!(matches!(&value.kind, ExprKind::Object(inner) if inner.len() == 2 * CHUNK));
        let last = 2 * CHUNK - 1;
        assert!(text[value.span.clone()].ends_with(&format!("i{last} = {last}\n    }}")));
    }

    /// Found by fuzzing (hcl): the parser reads `a.b.` and `c` on the next
    /// line as one traversal (and `b.` and `*` as a splat), so a line
    /// break is no cut after a byte that does not end an expression.
    #[test]
    fn objects_are_cut_only_where_an_item_ended() {
        let mut text = String::from("x = {\n");
        for i in 0..3 * CHUNK {
            text.push_str(&format!(
                "  p.k{i}.\n  t : v\n  a{i} = b.\n  *\n  n{i} = 2\n"
            ));
        }
        text.push_str("}\n");
        let Ok(Shape { large, .. }) = shape(&text) else {
            panic!("no flaw");
        };
        assert_eq!(large.len(), 1);
        for &cut in &large[0].cuts {
            let before = text[..cut - 1].trim_end();
            assert!(before.ends_with(['v', '*', '2']), "{}", &text[..cut]);
        }
        chunks_read_as_whole(&text, &large);
    }

    /// Parsing `text` with its large objects cut into chunks reads what
    /// parsing it whole does, and the whole parse succeeds.
    fn chunks_read_as_whole(text: &str, large: &[Large]) {
        let scanned = Scanned { text, bom: 0 };
        let chunked = scanned.body(FileId(0), 0..text.len(), large);
        let whole = scanned.body(FileId(0), 0..text.len(), &[]);
        assert!(whole.is_ok());
        assert_eq!(format!("{chunked:?}"), format!("{whole:?}"));
    }

    /// Found in review: a name may end in `-` (`foo-`); an object whose
    /// items all end in one was never cut, and took the parser 16 s at
    /// 40 000 items.
    #[test]
    fn items_ending_in_a_dash_are_cut() {
        let items = (0..3 * CHUNK).fold(String::new(), |mut s, i| {
            s.push_str(&format!("  k{i} = foo-\n"));
            s
        });
        let text = format!("x = {{\n{items}}}\n");
        let Ok(Shape { large, .. }) = shape(&text) else {
            panic!("no flaw");
        };
        assert_eq!(large.len(), 1);
        assert!(large[0].cuts.len() >= 2);
        chunks_read_as_whole(&text, &large);
    }

    /// Found by fuzzing (hcl): a block label may be a name of any letters
    /// (`ߌ`); a `{` after one opens the block's body, not an object.
    #[test]
    fn a_brace_after_a_name_of_any_letters_opens_a_block() {
        let attributes = (0..3 * CHUNK).fold(String::new(), |mut s, i| {
            s.push_str(&format!("  a{i} = {i}\n"));
            s
        });
        let text = format!("resource \"x\" \"y\" ߌ {{\n{attributes}}}\nb = {{ é = 1 }}\n");
        let Ok(Shape { large, .. }) = shape(&text) else {
            panic!("no flaw");
        };
        assert!(large.is_empty());
        let f = parsed(&text);
        assert_eq!(f.body.blocks[0].labels, ["x", "y", "ߌ"]);
        assert_eq!(f.body.blocks[0].body.attributes.len(), 3 * CHUNK);
    }

    /// Interpolations hold expressions like any other: a large object in
    /// one, in a quoted string or in a heredoc, is parsed in chunks too.
    #[test]
    fn large_objects_in_interpolations_are_cut_too() {
        let items = |sep: &str| -> String {
            (0..3 * CHUNK)
                .map(|i| format!("k{i} = \"${{i}}{i}\""))
                .collect::<Vec<_>>()
                .join(sep)
        };
        let text = format!(
            "a = \"x ${{ {{ {} }}.k5 }} y\"\nb = <<-EOT\n  x ${{ {{\n{}\n}}[\"k1\"] }} %{{ if true }}${{1}}%{{ endif }}\n  EOT\nc = 1\n",
            items(", "),
            items("\n")
        );
        let Ok(Shape { large, .. }) = shape(&text) else {
            panic!("no flaw");
        };
        assert_eq!(large.len(), 2);
        chunks_read_as_whole(&text, &large);
    }

    /// A key repeated in an object constructor (Terraform takes the last;
    /// the parser rejects it) is cut from the items before it, however
    /// often it repeats.
    #[test]
    fn repeated_keys_are_accepted_however_often() {
        let items = (0..300).fold(String::new(), |mut s, i| {
            s.push_str(&format!("  a = {i}, \"b\" : {i}\n"));
            s
        });
        let text = format!("x = {{\n{items}}}\ny = {{ a = 1, a = 2, a = 3 }}\n");
        let f = parsed(&text);
        let ExprKind::Object(items) = &attr(&f, "x").expr.kind else {
            panic!("an object");
        };
        assert_eq!(items.len(), 600);
        let (key, value) = &items[599];
        assert_eq!(&text[key.span.clone()], "\"b\"");
        assert_eq!(&text[value.span.clone()], "299");
        let ExprKind::Object(items) = &attr(&f, "y").expr.kind else {
            panic!("an object");
        };
        assert_eq!(items.len(), 3);
        assert_eq!(&text[items[2].1.span.clone()], "3");
        // Keys the parser compares by value (Terraform: `{"a" = 7, "k" = 3}`).
        let text = "z = { (local.a) = 1, (local.a) = 2, \"${local.a}\" = 3, \"\\u0061\" = 5, \"a\" = 6, \"\\u0061\" = 7 }\n";
        let f = parsed(text);
        let ExprKind::Object(items) = &attr(&f, "z").expr.kind else {
            panic!("an object");
        };
        assert_eq!(items.len(), 6);
        assert_eq!(&text[items[5].0.span.clone()], "\"\\u0061\"");
        assert_eq!(&text[items[5].1.span.clone()], "7");
    }

    /// A syntax error inside a large object, or after it, is located as
    /// the parser locates it in the whole file; the earliest one is
    /// reported.
    #[test]
    fn errors_in_and_after_large_objects_are_located() {
        let items = (0..3 * CHUNK).fold(String::new(), |mut s, i| {
            s.push_str(&format!("  k{i} = {i}\n"));
            s
        });
        let text = format!("a = {{\n{items}  bad = = 1\n{items}}}\nb = = 2\n");
        let e = parse(FileId(0), &text).expect_err("invalid");
        let at = e.span.expect("located").start;
        assert!(text[..at].ends_with("bad = "), "{}", &text[at - 10..at + 5]);
        let text = format!("a = {{\n{items}}}\nb = = 2\n");
        let e = parse(FileId(0), &text).expect_err("invalid");
        let at = e.span.expect("located").start;
        assert!(text[..at].ends_with("b = "), "{}", &text[at - 10..at + 5]);
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
        let Ok(Shape { pieces, large }) = shape(&text) else {
            panic!("no flaw");
        };
        assert!(pieces.len() >= 3 && large.is_empty());
        let scanned = Scanned {
            text: &text,
            bom: 0,
        };
        for r in &pieces {
            assert!(scanned.body(FileId(0), r.clone(), &[]).is_ok());
        }
        let whole = scanned.body(FileId(0), 0..text.len(), &[]).expect("parses");
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
