//! The direct reader: the HCL that nearly every `.tf` file is written in,
//! read in one pass straight into the configuration tree, with no parse
//! tree of its own, no backtracking and no copy of the text.
//!
//! It covers bodies, blocks, attributes and the expressions Terraform code
//! is made of: literals, quoted strings with `${}` interpolations, heredocs
//! without directives, tuples, objects, references, calls, operators,
//! conditionals and `for` expressions. Whatever is outside that (template
//! directives `%{}`, strip markers, Unicode names, a syntax error, an
//! ambiguous corner) is answered `None`, and the file is read by hcl-edit
//! instead ([`super::parse`]), which is also what locates every error. So
//! this reader never decides what a file means on its own where it is
//! unsure: under the fuzzer, and in the tests over every fixture and the
//! corpus, each file it reads is checked to give the tree hcl-edit gives.

use std::collections::HashSet;
use std::ops::Range;

use super::super::tree::{
    Attribute, BinaryOp, Block, Body, Expr, ExprKind, For, Step, TemplatePart, UnaryOp,
};
use super::scan::is_name_byte;
use crate::source::FileId;

/// How deep blocks and expressions may nest before the file is left to
/// hcl-edit's reader (whose scan rejects what is too deep), so recursion
/// here stays far from the end of a thread's stack.
const MAX_DEPTH: u32 = 64;

/// The body of a whole file, `text` (after any byte order mark, which is
/// `base` bytes long); `None` when the file is not in the subset read here.
pub(super) fn body(id: FileId, text: &str, base: usize) -> Option<Body> {
    let mut reader = Reader {
        text,
        bytes: text.as_bytes(),
        at: 0,
        base,
        id,
        depth: 0,
        skipped: (usize::MAX, false, 0),
    };
    let body = reader.body(true)?;
    (reader.at == reader.bytes.len()).then_some(body)
}

/// `None` at once: the file is not in the subset.
type Read<T> = Option<T>;

struct Reader<'t> {
    text: &'t str,
    bytes: &'t [u8],
    at: usize,
    base: usize,
    id: FileId,
    depth: u32,
    /// The last gap [`Self::skip`] crossed: from, in which mode, to.
    skipped: (usize, bool, usize),
}

/// The attribute names of a long body (a `.tfvars` file may hold
/// thousands); a short one's are looked up in its list.
#[derive(Default)]
struct Names(HashSet<String>);

/// Bodies with more attributes than this look names up in a set.
const FEW_NAMES: usize = 16;

impl Names {
    /// Adds `name`; `false` when `attributes`, the body's so far, already
    /// define it.
    fn insert(&mut self, name: &str, attributes: &[Attribute]) -> bool {
        if attributes.len() < FEW_NAMES {
            return attributes.iter().all(|a| a.name != name);
        }
        if self.0.is_empty() {
            self.0.extend(attributes.iter().map(|a| a.name.clone()));
        }
        self.0.insert(name.to_string())
    }
}

/// Binary operators by the first bytes of their token: the operator, its
/// length and its precedence (higher binds tighter).
fn operator(bytes: &[u8]) -> Option<(BinaryOp, usize, u8)> {
    let two = |second: u8| bytes.get(1) == Some(&second);
    Some(match bytes.first()? {
        b'|' if two(b'|') => (BinaryOp::Or, 2, 1),
        b'&' if two(b'&') => (BinaryOp::And, 2, 2),
        b'=' if two(b'=') => (BinaryOp::Eq, 2, 3),
        b'!' if two(b'=') => (BinaryOp::NotEq, 2, 3),
        b'<' if two(b'=') => (BinaryOp::LessEq, 2, 4),
        b'>' if two(b'=') => (BinaryOp::GreaterEq, 2, 4),
        // `<<` starts a heredoc, never an operand after `<`.
        b'<' if !two(b'<') => (BinaryOp::Less, 1, 4),
        b'>' => (BinaryOp::Greater, 1, 4),
        b'+' => (BinaryOp::Plus, 1, 5),
        b'-' => (BinaryOp::Minus, 1, 5),
        b'*' => (BinaryOp::Mul, 1, 6),
        // `//` and `/*` start comments.
        b'/' if !two(b'/') && !two(b'*') => (BinaryOp::Div, 1, 6),
        b'%' => (BinaryOp::Mod, 1, 6),
        _ => return None,
    })
}

fn is_name_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

impl<'t> Reader<'t> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn peek_at(&self, ahead: usize) -> Option<u8> {
        self.bytes.get(self.at + ahead).copied()
    }

    fn rest(&self) -> &'t [u8] {
        &self.bytes[self.at..]
    }

    fn span(&self, start: usize, end: usize) -> Range<usize> {
        self.base + start..self.base + end
    }

    /// Consumes `byte`, or gives up.
    fn expect(&mut self, byte: u8) -> Read<()> {
        (self.peek() == Some(byte)).then(|| self.at += 1)
    }

    fn deeper(&mut self) -> Read<()> {
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }

    /// Skips spaces, tabs and comments on the current line, stopping at its
    /// end. It stops at a `/* */` comment across lines too: [`Self::gap`]
    /// skips it where line ends are spaces; where a line end ends an item,
    /// the reader gives up there (hcl-edit's to read).
    fn inline_gap(&mut self) -> Read<()> {
        loop {
            match self.peek() {
                Some(b' ' | b'\t') => self.at += 1,
                Some(b'#') => self.line_comment()?,
                Some(b'/') if self.peek_at(1) == Some(b'/') => self.line_comment()?,
                Some(b'/') if self.peek_at(1) == Some(b'*') => {
                    let end = find(&self.rest()[2..], b"*/")? + 2;
                    if self.rest()[..end].contains(&b'\n') {
                        // Across lines: [`Self::gap`] skips it.
                        return Some(());
                    }
                    self.at += end + 2;
                }
                _ => return Some(()),
            }
        }
    }

    /// Skips everything [`Self::inline_gap`] does, and line ends.
    fn gap(&mut self) -> Read<()> {
        loop {
            self.inline_gap()?;
            match self.peek() {
                Some(b'\n') => self.at += 1,
                Some(b'/') if self.peek_at(1) == Some(b'*') => {
                    self.at += find(&self.rest()[2..], b"*/")? + 4;
                }
                Some(b'\r') if self.peek_at(1) == Some(b'\n') => self.at += 2,
                _ => return Some(()),
            }
        }
    }

    /// Skips a gap in which line ends separate (`lines`) or do not. The
    /// expression readers look past the same gap for what follows an
    /// operand (a step, an operator, a `?`), level after level: the last
    /// gap skipped is remembered, so a long comment is crossed once.
    fn skip(&mut self, lines: bool) -> Read<()> {
        let (from, was, to) = self.skipped;
        if from == self.at && was == lines {
            self.at = to;
            return Some(());
        }
        let from = self.at;
        if lines {
            self.inline_gap()?;
        } else {
            self.gap()?;
        }
        self.skipped = (from, lines, self.at);
        Some(())
    }

    /// Up to the line end (`\n` or `\r\n`); a `\r` alone is hcl-edit's.
    fn line_comment(&mut self) -> Read<()> {
        let rest = self.rest();
        let len = rest
            .iter()
            .position(|&b| b == b'\n' || b == b'\r')
            .unwrap_or(rest.len());
        if rest.get(len) == Some(&b'\r') && rest.get(len + 1) != Some(&b'\n') {
            return None;
        }
        self.at += len;
        Some(())
    }

    /// The end of an attribute or a block: a line end, or the end of the
    /// file.
    fn line_end(&mut self) -> Read<()> {
        self.inline_gap()?;
        match self.peek() {
            None => Some(()),
            Some(b'\n') => {
                self.at += 1;
                Some(())
            }
            Some(b'\r') if self.peek_at(1) == Some(b'\n') => {
                self.at += 2;
                Some(())
            }
            _ => None,
        }
    }

    /// An ASCII name (`-` allowed after the first byte): its range.
    fn name(&mut self) -> Read<Range<usize>> {
        let start = self.at;
        if !is_name_start(self.peek()?) {
            return None;
        }
        let len = self.rest().iter().take_while(|&&b| is_name_byte(b)).count();
        self.at += len;
        // A non-ASCII letter continuing the name: hcl-edit's to read.
        if self.peek().is_some_and(|b| !b.is_ascii()) {
            return None;
        }
        Some(start..self.at)
    }

    /// Whether the bytes at the cursor are the keyword `word`, whole.
    fn at_keyword(&self, word: &str) -> bool {
        let rest = self.rest();
        rest.starts_with(word.as_bytes())
            && rest
                .get(word.len())
                .is_none_or(|&b| !is_name_byte(b) && b.is_ascii())
    }

    fn body(&mut self, top: bool) -> Read<Body> {
        self.deeper()?;
        let mut body = Body::default();
        let mut names = Names::default();
        loop {
            self.gap()?;
            match self.peek() {
                None if top => break,
                Some(b'}') if !top => break,
                _ => {}
            }
            let name = self.name()?;
            self.inline_gap()?;
            if self.peek() == Some(b'=') && self.peek_at(1) != Some(b'=') {
                self.at += 1;
                // A name defined twice is an error hcl-edit reports.
                let key = &self.text[name.clone()];
                if !names.insert(key, &body.attributes) {
                    return None;
                }
                body.attributes.push(self.attribute(name)?);
            } else {
                body.blocks.push(self.block(name)?);
            }
            self.line_end()?;
        }
        self.depth -= 1;
        body.attributes.shrink_to_fit();
        body.blocks.shrink_to_fit();
        Some(body)
    }

    /// After `name =`: the value, to the end of its line.
    fn attribute(&mut self, name: Range<usize>) -> Read<Attribute> {
        self.inline_gap()?;
        let expr = self.expr(true)?;
        Some(Attribute {
            name: self.text[name.clone()].to_string(),
            file: self.id,
            // To the value's end, a closing parenthesis included.
            span: self.span(name.start, self.at),
            expr,
        })
    }

    /// After the block's kind: labels, `{`, the body and `}`.
    fn block(&mut self, kind: Range<usize>) -> Read<Block> {
        let mut labels = Vec::new();
        let mut header_end = kind.end;
        loop {
            match self.peek()? {
                b'"' => {
                    let ExprKind::String(label) = self.string()?.kind else {
                        return None;
                    };
                    labels.push(label);
                    header_end = self.at;
                }
                b'{' => break,
                _ => {
                    let label = self.name()?;
                    header_end = label.end;
                    labels.push(self.text[label].to_string());
                }
            }
            self.inline_gap()?;
        }
        self.at += 1;
        self.inline_gap()?;
        let body = match self.peek()? {
            b'}' => Body::default(),
            b'\n' | b'\r' => self.body(false)?,
            // A block on one line holds one attribute.
            _ => {
                let name = self.name()?;
                self.inline_gap()?;
                self.expect(b'=')?;
                if self.peek() == Some(b'=') {
                    return None;
                }
                let attribute = self.attribute(name)?;
                self.inline_gap()?;
                Body {
                    attributes: vec![attribute],
                    ..Body::default()
                }
            }
        };
        self.expect(b'}')?;
        labels.shrink_to_fit();
        Some(Block {
            kind: self.text[kind.clone()].to_string(),
            labels,
            body,
            file: self.id,
            span: self.span(kind.start, self.at),
            focus: self.span(kind.start, header_end),
        })
    }

    /// An expression; `lines`: a line end ends it (an attribute, an object
    /// item), else line ends are spaces (inside brackets).
    fn expr(&mut self, lines: bool) -> Read<Expr> {
        self.deeper()?;
        let start = self.at;
        let cond = self.binary(0, lines)?;
        let save = self.at;
        self.skip(lines)?;
        let expr = if self.peek() == Some(b'?') {
            self.at += 1;
            self.skip(lines)?;
            let then = self.expr(lines)?;
            self.skip(lines)?;
            self.expect(b':')?;
            self.skip(lines)?;
            let otherwise = self.expr(lines)?;
            let span = self.span(start, self.at);
            Expr::new(
                ExprKind::Conditional(Box::new([cond, then, otherwise])),
                span,
            )
        } else {
            self.at = save;
            cond
        };
        self.depth -= 1;
        Some(expr)
    }

    /// Operators binding at least as tightly as `min`, left to right.
    fn binary(&mut self, min: u8, lines: bool) -> Read<Expr> {
        let start = self.at;
        let mut left = self.unary(lines)?;
        loop {
            let save = self.at;
            self.skip(lines)?;
            let Some((op, len, precedence)) = operator(self.rest()) else {
                self.at = save;
                break;
            };
            if precedence < min {
                self.at = save;
                break;
            }
            self.at += len;
            self.skip(lines)?;
            self.deeper()?;
            let right = self.binary(precedence + 1, lines)?;
            self.depth -= 1;
            let span = self.span(start, self.at);
            left = Expr::new(ExprKind::Binary(op, Box::new([left, right])), span);
        }
        Some(left)
    }

    fn unary(&mut self, lines: bool) -> Read<Expr> {
        let op = match self.peek()? {
            b'-' => UnaryOp::Neg,
            b'!' => UnaryOp::Not,
            _ => return self.postfix(lines),
        };
        let start = self.at;
        self.at += 1;
        // A negative number is a number, as hcl-edit reads it.
        if op == UnaryOp::Neg && self.peek().is_some_and(|b| b.is_ascii_digit()) {
            let mut number = self.number()?;
            let integer = self.text[start + 1..self.at]
                .bytes()
                .all(|b| b.is_ascii_digit());
            if let ExprKind::Number(n) = &mut number.kind {
                // An integer zero stays zero (hcl-edit negates integers as
                // integers), where a float's sign flips.
                if !(integer && *n == 0.0) {
                    *n = -*n;
                }
            }
            number.span.start = self.base + start;
            return Some(number);
        }
        self.skip(lines)?;
        if self.peek().is_some_and(|b| b.is_ascii_digit()) {
            return None;
        }
        self.deeper()?;
        let operand = self.unary(lines)?;
        self.depth -= 1;
        let span = self.span(start, self.at);
        Some(Expr::new(ExprKind::Unary(op, Box::new(operand)), span))
    }

    /// A primary expression and the steps after it (`.a`, `[0]`, `[*]`).
    fn postfix(&mut self, lines: bool) -> Read<Expr> {
        let start = self.at;
        let (base, root) = self.primary()?;
        let mut steps = Vec::new();
        // Legacy indexes (`a.0`) take the whole traversal's span.
        let mut legacy = Vec::new();
        loop {
            match self.peek() {
                Some(b'.') => match self.peek_at(1) {
                    // `...`: an expansion or a grouping, not a step.
                    Some(b'.') => break,
                    Some(b'*') => {
                        self.at += 2;
                        steps.push(Step::Splat);
                    }
                    Some(b) if b.is_ascii_digit() => {
                        self.at += 1;
                        let digits = self
                            .rest()
                            .iter()
                            .take_while(|b| b.is_ascii_digit())
                            .count();
                        let fraction = self.rest().get(digits + 1).is_some_and(u8::is_ascii_digit);
                        let zero = digits > 1 && self.peek() == Some(b'0');
                        if digits > 15 || zero || (self.peek_at(digits) == Some(b'.') && fraction) {
                            return None;
                        }
                        let index: f64 = self.text[self.at..self.at + digits].parse().ok()?;
                        self.at += digits;
                        legacy.push(steps.len());
                        steps.push(Step::Index(Expr::new(ExprKind::Number(index), 0..0)));
                    }
                    _ => {
                        self.at += 1;
                        let name = self.name()?;
                        steps.push(Step::Attr(self.text[name].to_string()));
                    }
                },
                Some(b'[') => {
                    self.at += 1;
                    self.gap()?;
                    if self.peek() == Some(b'*') {
                        self.at += 1;
                        self.gap()?;
                        steps.push(Step::Splat);
                    } else {
                        steps.push(Step::Index(self.expr(false)?));
                        self.gap()?;
                    }
                    self.expect(b']')?;
                }
                _ => break,
            }
        }
        // A step after a space is hcl-edit's to read.
        let save = self.at;
        self.skip(lines)?;
        if self.at > save && matches!(self.peek(), Some(b'.' | b'[')) {
            return None;
        }
        self.at = save;
        let span = self.span(start, self.at);
        for &i in &legacy {
            if let Step::Index(index) = &mut steps[i] {
                index.span = span.clone();
            }
        }
        steps.shrink_to_fit();
        Some(match (root, steps.is_empty()) {
            (Some(root), _) => Expr::new(ExprKind::Traversal { root, steps }, span),
            (None, true) => base,
            (None, false) => Expr::new(
                ExprKind::Postfix {
                    base: Box::new(base),
                    steps,
                },
                span,
            ),
        })
    }

    /// A primary expression; for a name (the root of a traversal), the
    /// name too.
    fn primary(&mut self) -> Read<(Expr, Option<String>)> {
        let start = self.at;
        let expr = match self.peek()? {
            b'"' => self.string()?,
            b'<' if self.peek_at(1) == Some(b'<') => self.heredoc()?,
            b'[' => self.constructor(false)?,
            b'{' => self.constructor(true)?,
            b'(' => {
                self.at += 1;
                self.gap()?;
                let inner = self.expr(false)?;
                self.gap()?;
                self.expect(b')')?;
                inner
            }
            b'0'..=b'9' => self.number()?,
            _ => {
                let name = self.name()?;
                let word = &self.text[name.clone()];
                let literal = match word {
                    "true" => Some(ExprKind::Bool(true)),
                    "false" => Some(ExprKind::Bool(false)),
                    "null" => Some(ExprKind::Null),
                    _ => None,
                };
                let next = self.peek();
                if let Some(kind) = literal {
                    if matches!(next, Some(b'.' | b'[' | b'(')) {
                        return None;
                    }
                    Expr::new(kind, self.span(start, self.at))
                } else if next == Some(b'(') || self.rest().starts_with(b"::") {
                    self.call(name)?
                } else {
                    return Some((
                        Expr::new(ExprKind::Null, 0..0),
                        Some(self.text[name].to_string()),
                    ));
                }
            }
        };
        Some((expr, None))
    }

    fn number(&mut self) -> Read<Expr> {
        let start = self.at;
        let digits = |r: &Self, from: usize| {
            r.bytes[from..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count()
        };
        let mut end = start + digits(self, start);
        if self.bytes.get(end) == Some(&b'.') {
            let fraction = digits(self, end + 1);
            if fraction == 0 {
                return None;
            }
            end += 1 + fraction;
        }
        if matches!(self.bytes.get(end), Some(b'e' | b'E')) {
            let mut exp = end + 1;
            if matches!(self.bytes.get(exp), Some(b'+' | b'-')) {
                exp += 1;
            }
            let len = digits(self, exp);
            if len == 0 {
                return None;
            }
            end = exp + len;
        }
        // Long numbers, and a name or `.` straight after one: hcl-edit's.
        let next = self.bytes.get(end).copied();
        if end - start > 15 || next.is_some_and(|b| b.is_ascii_alphanumeric() || b"_.".contains(&b))
        {
            return None;
        }
        let value: f64 = self.text[start..end].parse().ok()?;
        if !value.is_finite() {
            return None;
        }
        self.at = end;
        Some(Expr::new(ExprKind::Number(value), self.span(start, end)))
    }

    /// `name(args)` or `provider::aws::name(args)`, the name read.
    fn call(&mut self, name: Range<usize>) -> Read<Expr> {
        let start = name.start;
        while self.rest().starts_with(b"::") {
            self.at += 2;
            self.name()?;
        }
        let name = self.text[start..self.at].to_string();
        self.expect(b'(')?;
        self.gap()?;
        let (args, expand) = self.items(b')', true)?;
        let kind = ExprKind::Call { name, args, expand };
        Some(Expr::new(kind, self.span(start, self.at)))
    }

    /// `[...]` or `{...}` (`object`): a tuple, an object, or a `for`
    /// expression making one.
    fn constructor(&mut self, object: bool) -> Read<Expr> {
        let start = self.at;
        self.at += 1;
        self.gap()?;
        if self.at_keyword("for") {
            return self.for_expr(start, object);
        }
        let kind = if object {
            ExprKind::Object(self.object_items()?)
        } else {
            ExprKind::Tuple(self.items(b']', false)?.0)
        };
        Some(Expr::new(kind, self.span(start, self.at)))
    }

    /// Expressions separated by commas (one may follow the last) up to
    /// `close`, which is consumed; `expandable`: the last may end with
    /// `...` (a call's arguments), and whether it does.
    fn items(&mut self, close: u8, expandable: bool) -> Read<(Vec<Expr>, bool)> {
        let mut items = Vec::new();
        let mut expand = false;
        while self.peek() != Some(close) {
            items.push(self.expr(false)?);
            self.gap()?;
            if expandable && self.rest().starts_with(b"...") {
                self.at += 3;
                expand = true;
                self.gap()?;
                break;
            }
            if self.peek() != Some(b',') {
                break;
            }
            self.at += 1;
            self.gap()?;
        }
        self.expect(close)?;
        items.shrink_to_fit();
        Some((items, expand))
    }

    /// An object constructor's items, separated by commas or line ends,
    /// and its `}`.
    fn object_items(&mut self) -> Read<Vec<(Expr, Expr)>> {
        let mut items = Vec::new();
        while self.peek() != Some(b'}') {
            let key = match self.peek()? {
                b'"' => self.string()?,
                b'(' => self.primary()?.0,
                _ => {
                    let name = self.name()?;
                    let literal = matches!(&self.text[name.clone()], "true" | "false" | "null");
                    if literal || matches!(self.peek(), Some(b'.' | b'[' | b'(')) {
                        return None;
                    }
                    let word = self.text[name.clone()].to_string();
                    Expr::new(ExprKind::String(word), self.span(name.start, name.end))
                }
            };
            self.inline_gap()?;
            match self.peek()? {
                b'=' if self.peek_at(1) != Some(b'=') && self.peek_at(1) != Some(b'>') => {}
                b':' => {}
                _ => return None,
            }
            self.at += 1;
            self.inline_gap()?;
            if matches!(self.peek(), Some(b'\n' | b'\r')) {
                return None;
            }
            let value = self.expr(true)?;
            items.push((key, value));
            self.inline_gap()?;
            match self.peek()? {
                b',' => self.at += 1,
                b'\n' | b'\r' | b'}' => {}
                _ => return None,
            }
            self.gap()?;
        }
        self.at += 1;
        items.shrink_to_fit();
        Some(items)
    }

    /// `[for k, v in coll : value if cond]` or the object form, after its
    /// bracket.
    fn for_expr(&mut self, start: usize, object: bool) -> Read<Expr> {
        self.at += 3;
        self.gap()?;
        let first = self.name()?;
        self.gap()?;
        let mut key_var = None;
        let mut value_var = self.text[first].to_string();
        if self.peek() == Some(b',') {
            self.at += 1;
            self.gap()?;
            let second = self.name()?;
            key_var = Some(std::mem::replace(
                &mut value_var,
                self.text[second].to_string(),
            ));
            self.gap()?;
        }
        if !self.at_keyword("in") {
            return None;
        }
        self.at += 2;
        self.gap()?;
        let collection = self.expr(false)?;
        self.gap()?;
        self.expect(b':')?;
        self.gap()?;
        let key = if object {
            let key = self.expr(false)?;
            self.gap()?;
            if !self.rest().starts_with(b"=>") {
                return None;
            }
            self.at += 2;
            self.gap()?;
            Some(key)
        } else {
            None
        };
        let value = self.expr(false)?;
        self.gap()?;
        let grouping = object && self.rest().starts_with(b"...");
        if grouping {
            self.at += 3;
            self.gap()?;
        }
        let cond = if self.at_keyword("if") {
            self.at += 2;
            self.gap()?;
            let cond = self.expr(false)?;
            self.gap()?;
            Some(cond)
        } else {
            None
        };
        self.expect(if object { b'}' } else { b']' })?;
        let kind = ExprKind::For(Box::new(For {
            key_var,
            value_var,
            collection,
            key,
            value,
            cond,
            grouping,
        }));
        Some(Expr::new(kind, self.span(start, self.at)))
    }

    /// A quoted string: a literal, or a template of literals and
    /// interpolations.
    fn string(&mut self) -> Read<Expr> {
        let start = self.at;
        self.at += 1;
        let mut parts = Vec::new();
        let mut literal = String::new();
        loop {
            let rest = self.rest();
            let run = rest
                .iter()
                .position(|&b| matches!(b, b'"' | b'\\' | b'$' | b'%' | b'\n' | b'\r'))?;
            literal.push_str(&self.text[self.at..self.at + run]);
            self.at += run;
            match self.peek()? {
                b'"' => break,
                b'\\' => {
                    self.at += 1;
                    self.escape(&mut literal)?;
                }
                b'$' | b'%' => self.template_mark(&mut literal, &mut parts)?,
                _ => return None,
            }
        }
        self.at += 1;
        let span = self.span(start, self.at);
        Some(if parts.is_empty() {
            Expr::new(ExprKind::String(literal), span)
        } else {
            if !literal.is_empty() {
                parts.push(TemplatePart::Literal(literal));
            }
            parts.shrink_to_fit();
            Expr::new(ExprKind::Template(parts), span)
        })
    }

    /// A `$` or `%` in a template: an interpolation, an escaped `$${` or
    /// `%%{`, or plain characters. A directive is hcl-edit's to read, and
    /// so is a longer run of marks before a `{` (`$$${`), where the two
    /// readers part ways.
    fn template_mark(&mut self, literal: &mut String, parts: &mut Vec<TemplatePart>) -> Read<()> {
        let mark = self.peek()?;
        let run = self.rest().iter().take_while(|&&b| b == mark).count();
        match (run, self.peek_at(run)) {
            (1, Some(b'{')) if mark == b'%' => None,
            (1, Some(b'{')) => {
                self.at += 2;
                if self.peek() == Some(b'~') {
                    return None;
                }
                self.gap()?;
                let expr = self.expr(false)?;
                self.gap()?;
                self.expect(b'}')?;
                if !literal.is_empty() {
                    parts.push(TemplatePart::Literal(std::mem::take(literal)));
                }
                parts.push(TemplatePart::Interpolation(expr));
                Some(())
            }
            (2, Some(b'{')) => {
                self.at += 3;
                literal.push(mark as char);
                literal.push('{');
                Some(())
            }
            (_, Some(b'{')) => None,
            _ => {
                self.at += run;
                literal.extend(std::iter::repeat_n(mark as char, run));
                Some(())
            }
        }
    }

    /// After a `\` in a quoted string.
    fn escape(&mut self, literal: &mut String) -> Read<()> {
        let c = match self.peek()? {
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'"' => '"',
            b'\\' => '\\',
            b'u' | b'U' => {
                let len = if self.peek() == Some(b'u') { 4 } else { 8 };
                let hex = self.text.get(self.at + 1..self.at + 1 + len)?;
                if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return None;
                }
                self.at += len;
                char::from_u32(u32::from_str_radix(hex, 16).ok()?)?
            }
            _ => return None,
        };
        self.at += 1;
        literal.push(c);
        Some(())
    }

    /// `<<EOT` or `<<-EOT`, its lines, and the closing line.
    fn heredoc(&mut self) -> Read<Expr> {
        let start = self.at;
        self.at += 2;
        let indented = self.peek() == Some(b'-');
        if indented {
            self.at += 1;
        }
        let marker = self.name()?;
        self.expect(b'\n')?;
        let content = self.at;
        let marker = &self.bytes[marker];
        // The lines up to the closing one.
        let end = loop {
            let line_end = self.rest().iter().position(|&b| b == b'\n');
            let line = &self.rest()[..line_end.unwrap_or(self.rest().len())];
            if line.contains(&b'\r') {
                return None;
            }
            let trimmed = line.trim_ascii_start();
            if trimmed == marker {
                let end = self.at;
                self.at += line.len();
                break end;
            }
            // hcl-edit ends the heredoc at a line that starts with its
            // marker, and reads on after it (`EOT)`).
            if trimmed.starts_with(marker) {
                return None;
            }
            self.at += line_end? + 1;
        };
        let text = &self.text[content..end];
        let mut parts = Vec::new();
        if indented {
            if text.contains("${") || text.contains("%{") || text.contains('\t') {
                return None;
            }
            let indent = text
                .lines()
                .filter(|l| !l.is_empty())
                .map(|l| l.len() - l.trim_start_matches(' ').len())
                .min()
                .unwrap_or(0);
            let mut literal = String::with_capacity(text.len());
            for line in text.split_inclusive('\n') {
                // An empty line is shorter than the indent.
                let spaces = line.len() - line.trim_start_matches(' ').len();
                literal.push_str(&line[indent.min(spaces)..]);
            }
            if !literal.is_empty() {
                parts.push(TemplatePart::Literal(literal));
            }
        } else {
            let mut reader = Reader {
                text: &self.text[..end],
                bytes: &self.bytes[..end],
                at: content,
                base: self.base,
                id: self.id,
                depth: self.depth,
                skipped: (usize::MAX, false, 0),
            };
            let mut literal = String::new();
            while reader.at < end {
                let run = reader.rest().iter().position(|&b| matches!(b, b'$' | b'%'));
                let run = run.unwrap_or(end - reader.at);
                literal.push_str(&reader.text[reader.at..reader.at + run]);
                reader.at += run;
                if reader.at < end {
                    reader.template_mark(&mut literal, &mut parts)?;
                }
            }
            if !literal.is_empty() {
                parts.push(TemplatePart::Literal(literal));
            }
        }
        Some(Expr::new(
            ExprKind::Template(parts),
            self.span(start, self.at),
        ))
    }
}

/// Where `needle` first is in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::super::parse_scanned;
    use super::*;

    /// What the direct reader makes of `text`, and what hcl-edit does, as
    /// their Debug forms; `None` when the direct reader leaves it.
    fn both(text: &str) -> Option<(String, String)> {
        let direct = body(FileId(0), text, 0)?;
        let edit = parse_scanned(FileId(0), text).map(|f| f.body);
        Some((
            format!("{:?}", Ok::<_, ()>(direct)),
            format!("{:?}", edit.map_err(|e| e.message)),
        ))
    }

    #[test]
    fn every_construct_reads_as_hcl_edit_reads_it() {
        let cases = [
            "a = 1\n",
            "a = 1",
            "a = 1.5e3\nb = 0.25\nc = 7E-2\n",
            "a = true\nb = false\nc = null\n",
            "a = \"x\"\nb = \"\"\n",
            "a = \"x\\n\\t\\\"\\\\ \\u00e9 \\U0001F600 é\"\n",
            "a = \"x${b}y\"\nc = \"${d}\"\ne = \"$${f} %%{g} $ % $$ 100%\"\n",
            "a = \"${ {b = \"}\"}.b }\"\n",
            "a = \"${\n  b\n}\"\n",
            "a = [1, 2,]\nb = []\nc = [\n  1,\n  2\n]\n",
            "a = {}\nb = { c = 1, d = 2 }\ne = {\n  f = 1\n  \"g\" = 2\n  h: 3,\n  (i) = 4\n}\n",
            "a = { b = 1, b = 2 }\n",
            "a = var.b.c[0].d\nb = aws_x.y[*].id\nc = x.*.y\nd = x.0.y\ne = local.m[\"k\"]\n",
            "a = f()\nb = g(1, \"x\", h(2))\nc = merge(x...)\nd = provider::aws::arn_parse(x)\ne = f(\n  1,\n  2,\n)\n",
            "a = f(x)[0]\nb = (c).d\nc = [1][0]\nd = (1)\n",
            "a = !b\nc = -1\nd = - x\ne = !!f\n",
            "a = 1 + 2 * 3 - 4 / 5 % 6\nb = x == y || z != w && v < 1\nc = a <= b\nd = a >= b\ne = a > b\n",
            "a = 1 - 2 - 3\nb = (1 + 2) * 3\n",
            "a = b ? c : d\ne = f ? g : h ? i : j\nk = l ? m ? n : o : p\n",
            "a = [for x in y : x]\nb = [for i, x in y : x if x != \"\"]\nc = {for k, v in m : k => v}\nd = {for k, v in m : v => k...}\ne = {for k, v in m : k => v if v}\n",
            "a = {\n  for k, v in var.m : k => v.enabled # why\n  ? 1\n  : 2\n}\n",
            "a = <<EOT\nhello\n  ${name}\nEOT\nb = 1\n",
            "a = <<-EOT\n    x\n      y\n    EOT\n",
            "a = <<EOT\nEOT\n",
            "a = jsonencode({\n  Version = \"2012-10-17\"\n})\n",
            "b {}\nc \"d\" \"e\" {\n}\nf g {\n  h = 1\n  i {\n    j = 2\n  }\n}\n",
            "lifecycle { ignore_changes = [tags] }\nx { }\n",
            "# comment\n// comment\n/* comment */ a = 1 # trailing\nb = /* in */ 2 // trailing\n",
            "/* a\n  b */\na = 1\n",
            "a = 1\r\nb {\r\n  c = \"x\"\r\n}\r\n",
            "\n\n  a   =   1   \n\n",
            "a = x\n  b = y\n",
            "resource \"aws_db_instance\" \"this\" {\n  tags = { tier = \"db\" }\n}\n",
            "a = { for = 1 }\n",
            "a-b = c-d.e-f\n",
            "a = b[\"${c}\"]\n",
            "a = [\n  # a comment\n  1, # one\n  2 // two\n]\n",
            "a = {\n  # a comment\n  b = 1 # one\n\n  c = 2\n}\n",
            "a = x[*]\nb = x[*].y[0]\n",
            "a = 1 +\n 2\n",
            "a = (\n  1\n  + 2\n)\n",
            "a = -1.5\nb = -x.y\n",
            "a = \"\\\\${b}\"\n",
        ];
        let mut left = Vec::new();
        for text in cases {
            match both(text) {
                Some((direct, edit)) => {
                    let at = direct
                        .bytes()
                        .zip(edit.bytes())
                        .take_while(|(a, b)| a == b)
                        .count();
                    let from = at.saturating_sub(150);
                    assert_eq!(
                        direct,
                        edit,
                        "{text:?}\n direct: …{}\n hcl-edit: …{}",
                        &direct[from..(at + 80).min(direct.len())],
                        &edit[from..(at + 80).min(edit.len())]
                    );
                }
                None => left.push(text),
            }
        }
        // Left: a key named `for` (hcl-edit's reading is the one to
        // keep), and an operator before a line end.
        assert_eq!(left, ["a = { for = 1 }\n", "a = 1 +\n 2\n"]);
    }

    /// Corners: each is read as hcl-edit reads it, or left to hcl-edit.
    const CORNERS: &[&str] = &[
        "a = <<EOT\nx\n  EOT\n",
        "a = <<-EOT\n  x\n\n  y\n  EOT\n",
        "a = <<-EOT\n  x\n   \n  y\n  EOT\n",
        "a = <<-EOT\n  x\n \n  y\n  EOT\n",
        "a = <<-EOT\n\n  x\n  EOT\n",
        "a = <<-EOT\n    x\n  y\n      z\n  EOT\n",
        "a = 1-1\nb = 2*3\nc = 1+x\n",
        "a = <<-EOT\n\tx\n\tEOT\n",
        "a = <<EOT\nx\nEOT",
        "a = <<EOT\r\nx\r\nEOT\r\n",
        "a = <<EOT\nx ${y}\nEOT\n",
        "a = <<EOT\n$${y} %%{z}\nEOT\n",
        "a = \"\\u00\"\n",
        "a = \"\\q\"\n",
        "a = 1.\n",
        "a = 01\n",
        "a = 1e5\n",
        "a = 1.5e+3\n",
        "a = x.0.1\n",
        "a = x.01\n",
        "a = \"a\" \"b\"\n",
        "a = f (1)\n",
        "a = x [0]\n",
        "a = x .y\n",
        "a = -x.y[0]\n",
        "a = !x ? 1 : 2\n",
        "a = { \"k\" = 1 }\n",
        "a = { (k) = 1 }\n",
        "a = { 1 = 2 }\n",
        "a = { true = 1 }\n",
        "a = { a.b = 1 }\n",
        "a = { a-b = 1 }\n",
        "a = { a == 1 }\n",
        "a = { \"${k}\" = 1 }\n",
        "a = [for x in y: x]\n",
        "a = { for k, v in m: k => v }\n",
        "a = [for x in y : x if]\n",
        "a = {for x in y : x}\n",
        "a = [for x in y : x => x]\n",
        "b \"x\" y {}\n",
        "b { a = 1 }\n",
        "b { c {} }\n",
        "b { a = 1, }\n",
        "b {a=1}\n",
        "b {}\nc {}",
        "b {} c {}\n",
        "a = x...\n",
        "a = f(x...,)\n",
        "a = f(x..., y)\n",
        "a = f(,)\n",
        "a = 1 # c\r\n",
        "a = \"${a}${b}\"\n",
        "a = \"x${a}\"\n",
        "a = true.x\n",
        "a = [\n]\n",
        "a = {\n}\n",
        "a = {a=1 b=2}\n",
        "a = {a=1\n,b=2}\n",
        "a = {a=1,,b=2}\n",
        "a = x.y.*.z\n",
        "a = x[*][0]\n",
        "a = x.*[0]\n",
        "a = \"\\$${x}\"\n",
        "a = \"$${\"\n",
        "a = \"%%{\"\n",
        "a = \"$$\"\n",
        "a=1\n",
        "a = 1\n}\n",
        "a b {\n}\n\n\n",
        "",
        "\n",
        "# only a comment",
        "a = provider::x(1)\n",
        "a = x::y\n",
        "a = 1 == 2 == 3\n",
        "a = a < b < c\n",
        "a = !a == b\n",
        "a = -a * b\n",
        "a = - - 1\n",
        "a = -(1)\n",
        "a = - 1\n",
        "a = -1.5e2\n",
        "a = 1-1\n",
        "a = x-1\n",
        "a = \"a\\\\\"\n",
        "a = 1 /* x\n */ + 2\n",
        "a = [1 /* x\n */, 2]\n",
        "a = 1 /* x */\n",
        "/* x */ a = 1\n",
        "b { /* x\n */\n}\n",
        "a = 1 // x\n",
        "a = x ? y : z ? w : v\n",
        "a = x ?\n y : z\n",
        "a = (x ?\n y : z)\n",
        "a = [x ? y\n : z]\n",
        "a = a || b && c\n",
        "a = a && b || c\n",
        "a = a + b == c\n",
        "a = 5 % 3 * 2 / 1\n",
        "a = \"\\n${x}\\t\"\n",
        "a = \"${x}\"\"\n",
        "a = 9007199254740993\n",
        "a = 123456789012345\n",
        "a = 0.1\n",
        "a = 1e400\n",
        "a = \"é\"\nb = \"日本\"\n",
        "é = 1\n",
        "a = é\n",
        "b \"é\" {}\n",
        "a = x[\"é\"]\n",
        "a = { é = 1 }\n",
        "a = \"\\u00e9\\uD800\"\n",
        "a = \"\\U00110000\"\n",
        "a = x.y[\n0\n]\n",
        "a = x[ * ]\n",
        "a = f(\n)\n",
        "a = {for k, v in m : k => v... if v}\n",
        "a = {for k, v in m : k => v ...}\n",
        "a = [for k, v in m : v...]\n",
        "a = \"${for}\"\n",
        "a = for\n",
        "a = in\n",
        "a = if\n",
        "a = [for, x in y : x]\n",
        "a = [for x, y, z in w : x]\n",
        "a = [for x in y : x if a if b]\n",
        "a = \"${~x}\"\n",
        "a = \"${x~}\"\n",
        "a = \"${}\"\n",
        "a = \"${x y}\"\n",
        "a = \"${\"${x}\"}\"\n",
        "a = { a = 1\n b = 2 }\n",
        "a = { a = [\n1] }\n",
        "a = {\n a = 1 }\n",
        "a = { a = 1 # c\n}\n",
        "a = { a = 1 /* c */ }\n",
        "a = { a =\n 1 }\n",
        "a = { a\n = 1 }\n",
        "a\n= 1\n",
        "a =\n1\n",
        "b\n{\n}\n",
        "b \"x\"\n{\n}\n",
        "b {\n} # c\n",
        "b {\n}\n# c",
        "a = 1 b = 2\n",
        "a = [1, 2] [0]\n",
        "a = x.y(1)\n",
        "a = <<EOT\nEOT\nb = <<-X\n  y\n  X\n",
        "a = <<EOT x\nEOT\n",
        "a = <<\"EOT\"\nx\nEOT\n",
        "a = << EOT\nx\nEOT\n",
        "a = <<EOT\nEOTX\nEOT\n",
        "a = <<EOT\n EOT \nEOT\n",
        "a = x<<y\n",
        "a = x < -1\n",
        "a = x<=y\n",
        "a = !(x)\n",
        "a = !true\n",
        "a = x.y.z.0\n",
        "a = x[0].1\n",
        "a = (x)[0]\n",
        "a = (x).0\n",
        "a = \"x\"[0]\n",
        "a = {a=1}.a\n",
        "a = f(x).y[*].z\n",
        "a = -f(x)\n",
        "a = -\"1\"\n",
        "a = --1\n",
        "a = 1\na = 2\n",
        "a = \"x\ty\"\n",
        "a = \"x\u{1}y\"\n",
        "a = \"x\u{7f}y\"\n",
        "a = \"x\u{0}y\"\n",
        "# x\u{1}y\na = 1\n",
        "a = <<EOT\nx\u{1}y\nEOT\n",
        "a = 1\u{c}\n",
        "a = 1\u{b}\n",
        "a = \"\u{feff}\"\n",
        "\u{feff}a = 1\n",
        "a = \"\u{2028}\"\n",
        "a\t=\t1\n",
        "b\t\"x\"\t{\n}\n",
        "a = [\t1\t]\n",
        "a = \"\\r\"\n",
        "a = 1 #\n",
        "a = 1 //\n",
        "a = 1 /**/\n",
        "a = 1 /*/ */\n",
        "# a\rb\na = 1\n",
        "a = 1 // a\rb\n",
        "a = 1 /* a\rb */\n",
        "a = [1 /* a\rb */]\n",
        "a = \"${1 # a\rb\n}\"\n",
        "a = 1\r\n# c\r\n",
        "v=------0-------P----------------",
        "a = \"x%%%%%{%%y\"\n",
        "a = \"$$${x}\"\nb = \"%%%{x}\"\nc = \"$$$$\"\nd = \"$$$${x}\"\n",
        "a = <<EOT\nx\nEOT=}\nEOT\n",
        "a = <<EOT\nx\nEOT \"y\"\nEOT\n",
        "a = f(<<EOT\nx\nEOT)\n",
        "a = <<EOT\nEOTX\nEOT\n",
        "a = -0\nb = -0.0\nc = -0e0\nd = -00\ne = - 0\n",
        "a = <<EOT\n\\n \\\" \\\\ \\${x}\nEOT\n",
        "a = <<EOT\n${x}\n${y}\nEOT\n",
        "a = <<EOT\n%\n$\n$${\nEOT\n",
        "a = <<EOT\n${\"EOT\"}\nEOT\n",
        "a = <<EOT\n${x\n}\nEOT\n",
        "a = <<EOT\nx\nEOT\n\nb = 2\n",
        "a = <<EOT\nx\nEOT # c\n",
        "a = f(<<EOT\nx\nEOT\n)\n",
        "a = [<<EOT\nx\nEOT\n, 1]\n",
        "a = { b = <<EOT\nx\nEOT\n}\n",
        "a = \"${<<EOT\nx\nEOT\n}\"\n",
        "a = <<EOT\nEOT\nEOT\n",
        "a = <<-EOT\n  EOT\n",
        "a = <<-EOT\n  x\n    EOT\n",
        "a = 1 /*\n",
        "a = x # c\n.y\n",
        "a = [for x in y : x]...\n",
        "a = f(x...)...\n",
        "a = \"${x}\" # c\n",
        "a = \"\\\"${x}\\\"\"\n",
    ];

    #[test]
    fn corners_read_as_hcl_edit_reads_them_or_are_left_to_it() {
        let cases = CORNERS;
        let mut read = 0;
        let mut differ = Vec::new();
        for text in cases {
            if let Some((direct, edit)) = both(text) {
                if direct != edit {
                    differ.push(format!("{text:?}\n  direct: {direct}\n  hcl-edit: {edit}"));
                }
                read += 1;
            }
        }
        assert!(differ.is_empty(), "{}", differ.join("\n"));
        // Most are read here: a reader that left everything would pass
        // the comparison above.
        assert!(read >= 100, "{read} of {} read directly", cases.len());
    }

    /// hcl-edit rejects an attribute defined twice in a body; so does
    /// this reader, in a short body and in a long one (where names are
    /// looked up in a set), and a name defined in two bodies is no repeat.
    #[test]
    fn a_name_defined_twice_is_left_to_hcl_edit() {
        for n in [2, FEW_NAMES, FEW_NAMES + 1, 3 * FEW_NAMES] {
            let mut text: String = (1..n)
                .map(|i| format!("a{i} = {i}\n"))
                .collect::<Vec<_>>()
                .concat();
            let once = format!("{text}b {{\n  a1 = 1\n}}\n");
            assert!(body(FileId(0), &once, 0).is_some(), "{once}");
            text.push_str("a1 = 0\n");
            assert!(body(FileId(0), &text, 0).is_none(), "{text}");
            assert!(parse_scanned(FileId(0), &text).is_err());
        }
    }

    /// Every `.tf`, `.tofu` and `.tfvars` file under `dir`.
    fn hcl_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
        let mut files: Vec<_> = walkdir::WalkDir::new(dir)
            .into_iter()
            .filter_map(Result::ok)
            .map(walkdir::DirEntry::into_path)
            .filter(|p| {
                p.is_file()
                    && p.extension()
                        .is_some_and(|e| e == "tf" || e == "tofu" || e == "tfvars")
            })
            .collect();
        files.sort();
        files
    }

    /// Every file it reads, of the fixtures and the public modules of the
    /// corpus, reads as hcl-edit reads it; and it reads nearly all of them
    /// (else the speed it is there for is lost without a sign).
    fn reads_as_hcl_edit(dir: &std::path::Path) -> (usize, Vec<std::path::PathBuf>) {
        let files = hcl_files(dir);
        let mut left = Vec::new();
        for path in &files {
            let bytes = std::fs::read(path).expect("readable");
            let Ok(text) = std::str::from_utf8(&bytes) else {
                continue;
            };
            let bom = super::super::bom_len(text);
            let Some(direct) = body(FileId(0), &text[bom..], bom) else {
                left.push(path.clone());
                continue;
            };
            let edit = parse_scanned(FileId(0), text).map(|f| f.body);
            assert_eq!(
                format!("{:?}", Ok::<_, ()>(direct)),
                format!("{:?}", edit.map_err(|e| e.message)),
                "{}",
                path.display()
            );
        }
        (files.len(), left)
    }

    #[test]
    fn every_fixture_reads_as_hcl_edit_reads_it() {
        let (count, left) = reads_as_hcl_edit(std::path::Path::new("fixtures"));
        assert!(count > 40, "{count} fixture files");
        // A template directive, and a syntax error.
        let expected = ["h04-expressions/main.tf", "h10-parse-error/broken.tf"];
        let left: Vec<_> = left
            .iter()
            .map(|p| p.strip_prefix("fixtures").unwrap())
            .collect();
        assert_eq!(left, expected.map(std::path::Path::new));
    }

    #[test]
    #[cfg_attr(
        tierkey_no_corpus,
        ignore = "../shared/corpus is not beside this checkout"
    )]
    fn every_corpus_module_reads_as_hcl_edit_reads_it() {
        let (count, left) = reads_as_hcl_edit(std::path::Path::new("../shared/corpus/hcl"));
        assert!(count > 50, "{count} corpus files");
        assert!(left.len() * 20 <= count, "{count} files, left: {left:#?}");
    }
}
