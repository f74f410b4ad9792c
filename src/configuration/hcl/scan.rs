//! The scan of a `.tf` body before hcl-edit parses it: one pass over its
//! bytes that finds what the parser would take too long over. Things never
//! closed (brackets, strings, interpolations, comments, heredocs), over
//! which the parser backtracks for seconds, are flaws reported at their
//! token. Object constructors of many items, which the parser compares key
//! by key (n²), and those that repeat a key, which it rejects where
//! Terraform takes the last, are cut into chunks the parser reads one at a
//! time. A large file's top-level structures are its pieces.
//! Interpolations are scanned as expressions, and what is open is kept on
//! the heap.

use std::ops::Range;

/// Files larger than this are parsed a piece (a run of top-level blocks)
/// at a time, so the parser's own tree never holds more than one piece:
/// memory stays proportional to the file and to one piece, not to the
/// parser's many allocations for the whole file.
pub(super) const PIECE: usize = 64 * 1024;

/// The most item separators (line breaks and commas) the parser sees in
/// one object constructor. hcl-edit checks each new key of an object
/// against every key before it, so a constructor of n items costs n²: a
/// `tags` map of 40 000 entries took 11 s, two of 100 000 three minutes.
/// Larger objects are parsed this many separators at a time and their
/// items joined, which is what the parser would have built.
#[cfg(not(fuzzing))]
pub(super) const CHUNK: usize = 64;
/// Under the fuzzer, small objects are cut too, and each file parsed in
/// chunks is parsed whole as well, to check that both read the same.
#[cfg(fuzzing)]
pub(super) const CHUNK: usize = 3;

/// What one scan of a body's brackets says about how to parse it.
pub(super) struct Shape {
    /// The body's pieces: the whole body when it is small; a large one's
    /// whole top-level structures, each about [`PIECE`] bytes, cut at a
    /// line break outside any bracket, string, heredoc or comment.
    pub pieces: Vec<Range<usize>>,
    /// Its object constructors of more than [`CHUNK`] separators, in
    /// closing order (inner ones first).
    pub large: Vec<Large>,
}

/// An object constructor too large to give the parser at once.
pub(super) struct Large {
    /// Where its `{` is.
    pub open: usize,
    /// Where its `}` is.
    pub close: usize,
    /// Where its chunks after the first start: just after every
    /// [`CHUNK`]th item separator directly inside it.
    pub cuts: Vec<usize>,
}

/// Something never closed, or closing nothing, at a byte of the body: a
/// flaw the scan is sure of, which the parser would also reject. The
/// parser backtracks exponentially over some of them (a 1 KB file with
/// unclosed brackets or strings took seconds), so such a body is rejected
/// before it is parsed, pointing at the place, as Terraform rejects it.
pub(super) struct Flaw {
    pub at: usize,
    /// The length of the token at `at`.
    pub len: usize,
    pub what: &'static str,
}

impl Flaw {
    fn at(at: usize, len: usize, what: &'static str) -> Self {
        Flaw { at, len, what }
    }
}

/// One pass over the body decides its [`Shape`].
pub(super) fn shape(text: &str) -> Result<Shape, Flaw> {
    let cut = text.len() > PIECE;
    let mut pieces = Vec::new();
    let mut start = 0;
    let scan = scan_brackets(text, |i, depth| {
        if cut && depth == 0 && i + 1 - start >= PIECE {
            pieces.push(start..i + 1);
            start = i + 1;
        }
    })?;
    // An interpolation still open is the innermost thing never closed
    // (strings and heredocs are reported where their text ends).
    let bytes = text.as_bytes();
    if let Some(&at) = scan
        .open
        .iter()
        .rev()
        .find(|&&at| matches!(bytes[at], b'$' | b'%'))
    {
        return Err(Flaw::at(
            at,
            2,
            "starts an interpolation that is never closed",
        ));
    }
    if let Some(&at) = scan.open.first() {
        return Err(Flaw::at(at, 1, "is never closed"));
    }
    if start < text.len() || pieces.is_empty() {
        pieces.push(start..text.len());
    }
    Ok(Shape {
        pieces,
        large: scan.large,
    })
}

/// What [`scan_brackets`] found.
struct Scan {
    /// Where the brackets still open at the end are.
    open: Vec<usize>,
    /// The large object constructors.
    large: Vec<Large>,
}

/// An object constructor being scanned.
struct Constructor {
    open: usize,
    /// Where its current item starts: just after its last separator.
    item: usize,
    /// Item separators directly inside it since its last cut.
    separators: usize,
    /// Whether an item has started since its last cut.
    items: bool,
    /// Whether the item before the current one surely ended at the
    /// separator before it: only there is it cut.
    ended: bool,
    /// Where its keys since its last cut start in the scan's list of keys.
    keys_from: usize,
    /// Where its cuts start in the scan's list of cuts.
    cuts_from: usize,
}

/// What the scan keeps of the object constructors open at a point.
#[derive(Default)]
struct Constructors<'t> {
    open: Vec<Constructor>,
    /// Where each is cut into chunks.
    cuts: Vec<usize>,
    /// The plain keys of each since its last cut, in order: at most
    /// [`CHUNK`] or so, looked through rather than hashed.
    keys: Vec<&'t str>,
}

impl<'t> Constructors<'t> {
    fn push(&mut self, open: usize) {
        self.open.push(Constructor {
            open,
            item: open + 1,
            separators: 0,
            items: false,
            ended: true,
            keys_from: self.keys.len(),
            cuts_from: self.cuts.len(),
        });
    }

    /// An item separator directly inside the innermost constructor, just
    /// before `next`, after the byte `last`: whether the item before it
    /// surely ended there (a comma, or a line break after a byte that ends
    /// an expression: of a name, which may end in `-`, a number, a string,
    /// a bracket, or `*` of a splat; the parser reads `a.\n b` as one
    /// traversal).
    fn separator(&mut self, next: usize, comma: bool, last: u8) {
        let Some(c) = self.open.last_mut() else {
            return;
        };
        c.item = next;
        c.ended = comma || is_name_byte(last) || last >= 0x80 || b"\")]}*,{".contains(&last);
        c.separators += 1;
    }

    /// The innermost constructor is cut where its current item starts: the
    /// keys before are in another chunk.
    fn cut(&mut self) {
        let Some(c) = self.open.last_mut() else {
            return;
        };
        self.cuts.push(c.item);
        c.separators = 0;
        c.items = false;
        self.keys.truncate(c.keys_from);
    }

    /// An item of the innermost constructor starts with `key`. It is cut
    /// before it, when the item before surely ended, after [`CHUNK`]
    /// separators, before a plain key it already has since its last cut,
    /// and before any other key after an item (the parser compares those
    /// by value): the parser rejects a repeated key.
    fn key(&mut self, key: Key<'t>) {
        let Some(c) = self.open.last_mut() else {
            return;
        };
        let earlier = std::mem::replace(&mut c.items, true);
        let due = c.separators >= CHUNK;
        // Past a few chunks without a cut (items that never end, as in
        // invalid input), keys are no longer looked through.
        let keys = &self.keys[c.keys_from..];
        let known = keys.len() < 4 * CHUNK;
        let cut = c.ended
            && match key {
                Key::Plain(key) => due || (known && keys.contains(&key)),
                Key::Other => due || earlier,
            };
        if cut {
            self.cut();
            if let Some(c) = self.open.last_mut() {
                c.items = true;
            }
        }
        if let (Key::Plain(key), true) = (key, known || cut) {
            self.keys.push(key);
        }
    }

    /// The innermost constructor closes at `close`: it is large when it was
    /// cut, unless it is an object `for` expression.
    fn close(&mut self, bytes: &[u8], close: usize) -> Option<Large> {
        let c = self.open.pop()?;
        self.keys.truncate(c.keys_from);
        let cuts = self.cuts.split_off(c.cuts_from);
        (!cuts.is_empty() && !starts_for(bytes, c.open + 1)).then_some(Large {
            open: c.open,
            close,
            cuts,
        })
    }
}

/// Scans a body's brackets outside strings, heredocs and comments, calling
/// `line_break(at, depth)` at each line break; finds the brackets still
/// open at the end and the large object constructors, or the first flaw:
/// a string, interpolation, heredoc or comment that is never closed, a
/// closing bracket without an opening one, `<<` that starts no heredoc.
fn scan_brackets(text: &str, mut line_break: impl FnMut(usize, usize)) -> Result<Scan, Flaw> {
    let bytes = text.as_bytes();
    let mut open = Vec::new();
    let mut constructors = Constructors::default();
    let mut large = Vec::new();
    // The last byte outside whitespace and comments: a `{` after a name or
    // a label opens a block body, any other an object constructor.
    let mut last = b'\n';
    // Whether the innermost bracket is an object constructor, and whether
    // the next token directly inside it starts an item.
    let (mut direct, mut expecting) = (false, false);
    // What stands for the last byte after a template's part, when not `b`.
    let mut after: Option<u8> = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if expecting && !matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b',' | b'#' | b'/' | b'}') {
            expecting = false;
            if let Some(key) = object_key(text, i) {
                constructors.key(key);
            }
        }
        match b {
            b'"' | b'<' if b == b'"' || bytes.get(i + 1) == Some(&b'<') => {
                open.push(i);
                let start = if b == b'"' {
                    i + 1
                } else {
                    heredoc_body(text, i)?
                };
                let (next, ended) = scan_template(text, &mut open, start)?;
                i = next;
                if !ended {
                    // In an interpolation: an expression starts.
                    (direct, expecting, after) = (false, false, Some(b'('));
                }
            }
            b'#' => i = line_end(bytes, i),
            b'/' if bytes.get(i + 1) == Some(&b'/') => i = line_end(bytes, i),
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = memchr::memmem::find(&bytes[i + 2..], b"*/")
                    .map(|p| i + 2 + p + 2)
                    .ok_or(Flaw::at(i, 2, "starts a comment that is never closed"))?;
            }
            b'{' | b'[' | b'(' => {
                // (Names may hold any letter: a byte of a multi-byte
                // character counts as a name's.)
                direct = b == b'{' && !(last == b'"' || is_name_byte(last) || last >= 0x80);
                expecting = direct;
                if direct {
                    constructors.push(i);
                }
                open.push(i);
                i += 1;
            }
            b'}' | b']' | b')' => {
                let at = open.pop().ok_or(Flaw::at(i, 1, "closes nothing"))?;
                if constructors.open.last().is_some_and(|c| c.open == at) {
                    large.extend(constructors.close(bytes, i));
                }
                i += 1;
                if b == b'}' && matches!(bytes[at], b'$' | b'%') {
                    // An interpolation closes: its template goes on.
                    let (next, ended) = scan_template(text, &mut open, i)?;
                    i = next;
                    after = Some(if ended { b'"' } else { b'(' });
                }
                direct = constructors.open.last().map(|c| c.open) == open.last().copied();
                expecting = false;
            }
            b'\n' | b',' => {
                if b == b'\n' {
                    line_break(i, open.len());
                }
                if direct {
                    constructors.separator(i + 1, b == b',', last);
                    expecting = true;
                }
                i += 1;
            }
            _ => i += 1,
        }
        if let Some(byte) = after.take() {
            last = byte;
        } else if !b.is_ascii_whitespace() && !matches!(b, b'#' | b'/') {
            last = if b == b'<' { b'a' } else { b };
        }
    }
    Ok(Scan { open, large })
}

/// How an object item starts: the keys the parser compares to find a
/// repeated one.
#[derive(Clone, Copy)]
enum Key<'t> {
    /// A name, or a string without escapes or interpolations, followed by
    /// `=` or `:`.
    Plain(&'t str),
    /// A string with escapes or interpolations, or an expression in
    /// parentheses, or a number.
    Other,
}

/// The key of an object item starting at `at`; `None` for a name or
/// string that is not followed by `=` or `:` (`for`, or `k =>` in an
/// object `for` expression), and for any other token.
fn object_key(text: &str, at: usize) -> Option<Key<'_>> {
    let bytes = text.as_bytes();
    let (key, end) = if bytes[at] == b'"' {
        let mut end = at + 1;
        let mut plain = true;
        while *bytes.get(end)? != b'"' {
            match bytes[end] {
                b'\\' => (plain, end) = (false, end + 2),
                b'\n' => return None,
                b'$' | b'%' if bytes.get(end + 1) == Some(&b'{') => return Some(Key::Other),
                _ => end += 1,
            }
        }
        (plain.then_some(&text[at + 1..end]), end + 1)
    } else if bytes[at].is_ascii_alphabetic() || bytes[at] == b'_' {
        let end = at + bytes[at..].iter().take_while(|&&b| is_name_byte(b)).count();
        (Some(&text[at..end]), end)
    } else if bytes[at] == b'(' || bytes[at].is_ascii_digit() {
        return Some(Key::Other);
    } else {
        // An operator, say, continuing the item before.
        return None;
    };
    let rest = &bytes[end..];
    let next = rest.iter().position(|b| !matches!(b, b' ' | b'\t'))?;
    let assigns = match rest[next] {
        b':' => true,
        b'=' => !matches!(rest.get(next + 1), Some(b'=' | b'>')),
        _ => false,
    };
    assigns.then_some(key.map_or(Key::Other, Key::Plain))
}

pub(super) fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-')
}

/// Whether the first token at or after `at` (past whitespace and comments)
/// is `for`: the object constructor is an object `for` expression.
fn starts_for(bytes: &[u8], mut at: usize) -> bool {
    while at < bytes.len() {
        match bytes[at] {
            b' ' | b'\t' | b'\r' | b'\n' => at += 1,
            b'#' => at = line_end(bytes, at),
            b'/' if bytes.get(at + 1) == Some(&b'/') => at = line_end(bytes, at),
            b'/' if bytes.get(at + 1) == Some(&b'*') => {
                let Some(p) = memchr::memmem::find(&bytes[at + 2..], b"*/") else {
                    return false;
                };
                at += 2 + p + 2;
            }
            _ => {
                return bytes[at..].starts_with(b"for")
                    && !bytes.get(at + 3).copied().is_some_and(is_name_byte)
            }
        }
    }
    false
}

fn line_end(bytes: &[u8], i: usize) -> usize {
    memchr::memchr(b'\n', &bytes[i..]).map_or(bytes.len(), |p| i + p)
}

/// Scans the text of the template (quoted string or heredoc) open at the
/// top of `open`, from `i`: to its end, which closes it (`true`), or to an
/// interpolation (`${` or `%{`), which is pushed on `open` and scanned as
/// expressions until its `}` (`false`). Large objects inside
/// interpolations are found as anywhere else, and what is open is kept on
/// the heap, so no nesting can overflow the call stack.
fn scan_template(text: &str, open: &mut Vec<usize>, mut i: usize) -> Result<(usize, bool), Flaw> {
    let bytes = text.as_bytes();
    let at = *open.last().unwrap_or(&0);
    let interpolation =
        |i: usize| matches!(bytes.get(i), Some(b'$' | b'%')) && bytes.get(i + 1) == Some(&b'{');
    if bytes[at] == b'"' {
        loop {
            match bytes.get(i) {
                None => return Err(Flaw::at(at, 1, "starts a string that is never closed")),
                Some(b'\\') => i += 2,
                Some(b'"') => {
                    open.pop();
                    return Ok((i + 1, true));
                }
                Some(b'\n') => {
                    return Err(Flaw::at(
                        at,
                        1,
                        "starts a string that is not closed on its line",
                    ))
                }
                Some(&b @ (b'$' | b'%')) if bytes.get(i + 1) == Some(&b) => i += 2,
                Some(_) if interpolation(i) => {
                    open.push(i);
                    return Ok((i + 2, false));
                }
                Some(_) => i += 1,
            }
        }
    }
    // A heredoc: lines up to the one holding only its delimiter.
    let name = heredoc_name(text, at);
    let never_closed = || Flaw::at(at, 2, "starts a heredoc that is never closed");
    loop {
        let end = line_end(bytes, i);
        if bytes.get(i.wrapping_sub(1)) == Some(&b'\n') && text[i..end].trim() == name {
            open.pop();
            return Ok((end, true));
        }
        let mut j = i;
        while j < end {
            if let Some(&b @ (b'$' | b'%')) = bytes.get(j) {
                if bytes.get(j + 1) == Some(&b) {
                    j += 2;
                    continue;
                }
                if interpolation(j) {
                    open.push(j);
                    return Ok((j + 2, false));
                }
            }
            j += 1;
        }
        if end == bytes.len() {
            return Err(never_closed());
        }
        i = end + 1;
    }
}

/// The delimiter of the heredoc whose `<<` is at `start` (`<<EOT`,
/// `<<-EOT`).
fn heredoc_name(text: &str, start: usize) -> &str {
    let rest = &text[start + 2..];
    let rest = rest.strip_prefix('-').unwrap_or(rest);
    let len = rest.bytes().take_while(|&b| is_name_byte(b)).count();
    &rest[..len]
}

/// Where the body of the heredoc whose `<<` is at `start` begins: after
/// the line of `<<EOT`.
fn heredoc_body(text: &str, start: usize) -> Result<usize, Flaw> {
    if heredoc_name(text, start).is_empty() {
        // `<<` is no HCL operator.
        return Err(Flaw::at(
            start,
            2,
            "starts no heredoc (`<<` must be followed by its delimiter, as in `<<EOT`)",
        ));
    }
    memchr::memchr(b'\n', &text.as_bytes()[start..])
        .map(|p| start + p + 1)
        .ok_or(Flaw::at(start, 2, "starts a heredoc that is never closed"))
}

/// The most item separators one object constructor may hold in a text
/// parsed without a scan (a template of a JSON configuration, a `-var`
/// value): the parser compares each key with all before it.
const CROWDED: usize = 4096;

/// Whether `text`, an expression (or a template, whose interpolations are
/// expressions), holds an object constructor of more than [`CROWDED`]
/// separators, which would take the parser minutes. Counted per brace
/// level, strings and brackets inside included: never fewer than there
/// are.
pub(super) fn crowded(text: &str, template: bool) -> bool {
    let bytes = text.as_bytes();
    // The separators of each brace open (a template's interpolations too).
    let mut open: Vec<usize> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if template && open.is_empty() {
            if matches!(b, b'$' | b'%') && bytes.get(i + 1) == Some(&b) {
                i += 2;
                continue;
            }
            if matches!(b, b'$' | b'%') && bytes.get(i + 1) == Some(&b'{') {
                open.push(0);
                i += 2;
                continue;
            }
            i += 1;
            continue;
        }
        match b {
            b'{' => open.push(0),
            b'}' => {
                open.pop();
            }
            b',' | b'\n' => {
                if let Some(n) = open.last_mut() {
                    *n += 1;
                    if *n > CROWDED {
                        return true;
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    false
}
