//! Input files as text, and every location in them.
//!
//! A [`SourceFile`] owns the bytes of one input; a [`Span`] is a byte range in
//! one of them, recorded once while parsing and never found again by searching
//! text. Line and column numbers are derived here, on demand, from a sparse
//! [`LineIndex`] of checkpoints, so a 100 MB single-line plan needs neither a
//! table of every line start nor a scan from the start of the file per lookup.
//! [`Excerpt`] is the `miette::SourceCode` view used by the human report: it
//! clips very long lines to a window around the span.

use std::ops::{Deref, Range};
use std::sync::OnceLock;

use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

/// Index of a file in [`Sources`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(pub(crate) usize);

/// A byte range in one source file.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Span {
    pub file: FileId,
    pub range: Range<usize>,
}

impl Span {
    pub(crate) fn new(file: FileId, range: Range<usize>) -> Self {
        Self { file, range }
    }
}

/// At most `max` characters of a text from the input, for a message.
pub(crate) fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// Byte range of `part` within `whole`; `part` must be a sub-slice of `whole`
/// (as `serde_json::value::RawValue` and borrowed strings are).
pub(crate) fn range_in(whole: &str, part: &str) -> Range<usize> {
    let start = (part.as_ptr() as usize).wrapping_sub(whole.as_ptr() as usize);
    debug_assert!(
        start + part.len() <= whole.len(),
        "part is not inside whole"
    );
    let start = start.min(whole.len());
    start..(start + part.len()).min(whole.len())
}

/// The text of one file: owned, or the file's mapped pages (a large file
/// is never copied into memory; see `input::read`). UTF-8, checked once.
#[derive(Debug)]
pub(crate) enum Text {
    Owned(String),
    Mapped(MappedText),
}

type Str<'a> = &'a str;

self_cell::self_cell!(
    /// A mapped file and the same bytes as checked UTF-8 text.
    pub(crate) struct MappedText {
        owner: memmap2::Mmap,
        #[covariant]
        dependent: Str,
    }
    impl {Debug}
);

impl MappedText {
    /// The mapped bytes as text, or the mapping back with where they stop
    /// being UTF-8.
    pub(crate) fn from_map(
        map: memmap2::Mmap,
    ) -> Result<Self, (memmap2::Mmap, std::str::Utf8Error)> {
        MappedText::try_new_or_recover(map, |m| match simdutf8::basic::from_utf8(m) {
            Ok(text) => Ok(text),
            // Where it stops being UTF-8: the fast check does not say.
            Err(_) => std::str::from_utf8(m),
        })
    }
}

impl Default for Text {
    fn default() -> Self {
        Text::Owned(String::new())
    }
}

impl From<String> for Text {
    fn from(text: String) -> Self {
        Text::Owned(text)
    }
}

impl Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        match self {
            Text::Owned(s) => s,
            Text::Mapped(m) => m.borrow_dependent(),
        }
    }
}

/// One input file: the path as the user named it and its text.
#[derive(Debug)]
pub struct SourceFile {
    pub path: String,
    text: Text,
    index: OnceLock<LineIndex>,
    /// The text as excerpts show it, when it differs: carriage returns and
    /// form feeds as spaces (the same length, so spans still fit).
    shown: OnceLock<Option<String>>,
}

/// 1-based line and column (the column counts characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineCol {
    pub line: usize,
    pub column: usize,
}

impl SourceFile {
    pub(crate) fn new(path: String, text: impl Into<Text>) -> Self {
        Self {
            path,
            text: text.into(),
            index: OnceLock::new(),
            shown: OnceLock::new(),
        }
    }

    /// The text as an excerpt shows it: no control character but line
    /// breaks and tabs reaches the terminal (CRLF files would otherwise
    /// print raw CRs, a string could hold an escape sequence). Each becomes
    /// as many spaces as it has bytes, so spans still fit.
    pub(crate) fn shown(&self) -> &str {
        let hidden = |c: char| c.is_control() && c != '\n' && c != '\t';
        self.shown
            .get_or_init(|| {
                has_hidden(&self.text).then(|| {
                    let mut shown = String::with_capacity(self.text.len());
                    for c in self.text.chars() {
                        if hidden(c) {
                            shown.extend(std::iter::repeat_n(' ', c.len_utf8()));
                        } else {
                            shown.push(c);
                        }
                    }
                    shown
                })
            })
            .as_deref()
            .unwrap_or(self.text())
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    fn index(&self) -> &LineIndex {
        self.index.get_or_init(|| LineIndex::new(&self.text))
    }

    /// Builds the line index now (it is built on first use otherwise), so
    /// that another thread can do it while this one works on.
    pub(crate) fn index_lines(&self) {
        self.index();
    }

    /// Line and column of a byte offset (clamped to the text, rounded down to
    /// a character boundary).
    pub fn line_col(&self, offset: usize) -> LineCol {
        let (line, mut column) = self.index().locate(&self.text, offset);
        // A byte order mark is no column of the first line.
        if line == 0 && column > 0 && self.text.starts_with('\u{feff}') {
            column -= 1;
        }
        LineCol {
            line: line + 1,
            column: column + 1,
        }
    }
}

/// All files read in one run, addressed by [`FileId`].
#[derive(Debug, Default)]
pub struct Sources {
    /// The id of the first file: files read on another thread are numbered
    /// from where they will stand once appended to the run's.
    first: usize,
    files: Vec<SourceFile>,
}

impl Sources {
    /// No files yet; the first one added gets id `first`.
    pub(crate) fn starting_at(first: usize) -> Self {
        Sources {
            first,
            files: Vec::new(),
        }
    }

    pub(crate) fn add(&mut self, path: String, text: impl Into<Text>) -> FileId {
        self.files.push(SourceFile::new(path, text));
        FileId(self.len() - 1)
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 - self.first]
    }

    /// Every file, to rename (report paths relative to a base directory).
    pub(crate) fn files_mut(&mut self) -> impl Iterator<Item = &mut SourceFile> {
        self.files.iter_mut()
    }

    /// The next file's id (how many files there are, with those before
    /// `first`).
    pub(crate) fn len(&self) -> usize {
        self.first + self.files.len()
    }

    /// The id of the first file (ids before it are another's).
    pub(crate) fn first(&self) -> usize {
        self.first
    }

    /// Moves the files of `other` to the end, in order: the file of `other`
    /// with id `other.first() + i` gets id `self.len() + i` (before the
    /// move).
    pub(crate) fn append(&mut self, other: Sources) {
        self.files.extend(other.files);
    }

    /// Moves the files of `other` to the end, where they were numbered to
    /// stand ([`Sources::starting_at`] this one's length): their ids stay.
    pub(crate) fn append_numbered(&mut self, other: Sources) {
        debug_assert_eq!(other.first, self.len(), "sources numbered elsewhere");
        self.files.extend(other.files);
    }

    /// Frees the text of a file no finding points into (its path stays).
    pub(crate) fn release_text(&mut self, id: FileId) {
        let file = &mut self.files[id.0 - self.first];
        file.text = Text::default();
        file.index = OnceLock::new();
        file.shown = OnceLock::new();
    }
}

/// Checkpoints every [`LineIndex::STRIDE`] bytes: (offset, 0-based line,
/// 0-based char column) at that offset.
#[derive(Debug)]
struct LineIndex {
    checkpoints: Vec<(usize, usize, usize)>,
}

impl LineIndex {
    const STRIDE: usize = 4 * 1024;

    fn new(text: &str) -> Self {
        let bytes = text.as_bytes();
        // Exactly the room needed, not a doubling growth: a 200 MB plan
        // has 50 000 checkpoints.
        let mut checkpoints = Vec::with_capacity(bytes.len() / Self::STRIDE + 2);
        checkpoints.push((0, 0, 0));
        let (mut line, mut column) = (0usize, 0usize);
        let mut pos = 0;
        while pos < bytes.len() {
            let mut end = (pos + Self::STRIDE).min(bytes.len());
            while !text.is_char_boundary(end) {
                end += 1;
            }
            let chunk = &bytes[pos..end];
            let newlines = count_newlines(chunk);
            if newlines == 0 {
                column += count_chars(chunk);
            } else {
                line += newlines;
                let last = memchr::memrchr(b'\n', chunk).unwrap_or(0);
                column = count_chars(&chunk[last + 1..]);
            }
            pos = end;
            checkpoints.push((pos, line, column));
        }
        Self { checkpoints }
    }

    fn locate(&self, text: &str, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let at = match self.checkpoints.binary_search_by_key(&offset, |c| c.0) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let (base, line, column) = self.checkpoints[at];
        let chunk = &text.as_bytes()[base..offset];
        match memchr::memrchr(b'\n', chunk) {
            Some(last) => (
                line + count_newlines(chunk),
                count_chars(&chunk[last + 1..]),
            ),
            None => (line, column + count_chars(chunk)),
        }
    }
}

/// Whether a text holds a control character other than a line break or a
/// tab. Blocks of bytes are first looked at all at once for a byte that
/// could start one (below space, DEL, or the first byte of U+0080–U+009F);
/// only such a block is decoded, so a large plan costs a pass at memory
/// speed, not one character at a time.
fn has_hidden(text: &str) -> bool {
    const BLOCK: usize = 4096;
    let hidden = |c: char| c.is_control() && c != '\n' && c != '\t';
    let bytes = text.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        let end = (at + BLOCK).min(bytes.len());
        // Every byte, no early exit: the compiler vectorizes the sum.
        let suspect = bytes[at..end].iter().fold(0u8, |seen, &b| {
            seen | u8::from(matches!(b, 0..=8 | 11..=0x1f | 0x7f | 0xc2))
        }) != 0;
        if suspect {
            let (mut from, mut to) = (at, end);
            while !text.is_char_boundary(from) {
                from -= 1;
            }
            while !text.is_char_boundary(to) {
                to += 1;
            }
            if text[from..to].contains(hidden) {
                return true;
            }
        }
        at = end;
    }
    false
}

/// Characters in UTF-8 bytes: every byte that is not a continuation byte.
/// Written as a plain sum so the compiler vectorizes it.
fn count_chars(bytes: &[u8]) -> usize {
    if bytes.is_ascii() {
        return bytes.len();
    }
    bytes.iter().map(|&b| usize::from(b & 0xC0 != 0x80)).sum()
}

fn count_newlines(bytes: &[u8]) -> usize {
    memchr::memchr_iter(b'\n', bytes).count()
}

/// The `miette::SourceCode` of one file for the human report, clipping lines
/// longer than [`Excerpt::WINDOW`] bytes to a window around the span that
/// fits the terminal: a little before it, the rest after.
pub(crate) struct Excerpt<'a> {
    file: &'a SourceFile,
    /// On a long line: bytes shown before the span and after it.
    before: usize,
    after: usize,
    /// Lines longer than this are long.
    long: usize,
}

impl<'a> Excerpt<'a> {
    const WINDOW: usize = 100;

    #[cfg(test)]
    pub(crate) fn new(file: &'a SourceFile) -> Self {
        Self {
            file,
            before: Self::WINDOW,
            after: Self::WINDOW,
            long: 2 * Self::WINDOW,
        }
    }

    /// An excerpt whose long lines fit `width` columns, labels included
    /// (they start under the span, so little is shown before it).
    pub(crate) fn fitting(file: &'a SourceFile, width: usize) -> Self {
        Self {
            file,
            before: 12,
            after: width.saturating_sub(40).max(20),
            long: width.saturating_sub(10).max(30),
        }
    }
}

impl Excerpt<'_> {
    /// Whether the line holding `offset` is longer than `self.long` bytes.
    fn on_long_line(&self, offset: usize) -> bool {
        let bytes = self.file.text().as_bytes();
        let from = offset.saturating_sub(self.long);
        let to = (offset + self.long).min(bytes.len());
        let start = bytes[from..offset]
            .iter()
            .rposition(|&b| b == b'\n')
            .map(|i| from + i + 1);
        let end = bytes[offset..to]
            .iter()
            .position(|&b| b == b'\n')
            .map(|i| offset + i);
        match (start, end) {
            (Some(start), Some(end)) => end - start > self.long,
            (Some(start), None) => to == bytes.len() && to - start > self.long || to < bytes.len(),
            (None, Some(end)) => from == 0 && end > self.long || from > 0,
            (None, None) => bytes.len() > self.long,
        }
    }
}

impl SourceCode for Excerpt<'_> {
    fn read_span<'b>(
        &'b self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'b> + 'b>, MietteError> {
        let text = self.file.shown();
        let bytes = text.as_bytes();
        let start = span.offset();
        let end = start + span.len();
        if end > text.len() {
            return Err(MietteError::OutOfBounds);
        }
        let (from, to) = if before == 0 && after == 0 {
            (start, end)
        } else if span.len() > 2 * Self::WINDOW && self.on_long_line(start) {
            // miette asks for the union of two labels' contexts when they
            // share a line; on a minified plan that line is the whole file.
            // Refusing keeps the labels in separate, clipped excerpts.
            return Err(MietteError::OutOfBounds);
        } else {
            // Back over `before` line breaks, but never further than WINDOW
            // bytes per line (on a long line, the excerpt's own window);
            // forward likewise.
            let long = self.on_long_line(start);
            let (back, ahead) = if long {
                (self.before, self.after)
            } else {
                (Self::WINDOW, Self::WINDOW)
            };
            let mut from = start;
            for n in 0..=before {
                let limit = from.saturating_sub(back);
                match bytes[limit..from].iter().rposition(|&b| b == b'\n') {
                    Some(i) if n < before && limit + i > 0 => from = limit + i,
                    Some(i) => {
                        from = limit + i + 1;
                        break;
                    }
                    None => {
                        from = limit;
                        break;
                    }
                }
            }
            let mut to = end;
            for n in 0..=after {
                let limit = (to + ahead).min(bytes.len());
                match bytes[to..limit].iter().position(|&b| b == b'\n') {
                    Some(i) if n < after && to + i + 1 < bytes.len() => to = to + i + 1,
                    Some(i) => {
                        to += i;
                        break;
                    }
                    None => {
                        to = limit;
                        break;
                    }
                }
            }
            while !text.is_char_boundary(from) {
                from += 1;
            }
            while !text.is_char_boundary(to) {
                to -= 1;
            }
            (from.min(start), to.max(end))
        };
        let LineCol { line, column } = self.file.line_col(from);
        let lines = count_newlines(&bytes[from..to]) + 1;
        Ok(Box::new(MietteSpanContents::new_named(
            self.file.path.clone(),
            &bytes[from..to],
            (from, to - from).into(),
            line - 1,
            column - 1,
            lines,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The block scan finds what a scan of every character finds, at any
    /// place in a block and across block boundaries.
    #[test]
    fn hidden_characters_are_found_anywhere() {
        let filler = "é©a".repeat(1500);
        for hidden in ["\r", "\u{7f}", "\u{85}", "\u{9f}", "\u{1b}"] {
            for at in [0, 1, 4095, 4096, 4097, filler.len()] {
                let mut text = filler.clone();
                let at = (0..=at)
                    .rev()
                    .find(|&i| text.is_char_boundary(i))
                    .unwrap_or(0);
                text.insert_str(at, hidden);
                assert!(has_hidden(&text), "{hidden:?} at {at}");
            }
        }
        for shown in [filler.as_str(), "a\tb\nc\u{a0}\u{bf}", ""] {
            assert!(!has_hidden(shown));
        }
    }

    #[test]
    fn line_col_counts_characters_and_lines() {
        let file = SourceFile::new("f".into(), "ab\néx\n  y".to_string());
        assert_eq!(file.line_col(0), LineCol { line: 1, column: 1 });
        assert_eq!(file.line_col(3), LineCol { line: 2, column: 1 });
        // 'x' follows the two-byte 'é'
        assert_eq!(file.line_col(5), LineCol { line: 2, column: 2 });
        assert_eq!(file.line_col(9), LineCol { line: 3, column: 3 });
    }

    #[test]
    fn line_col_across_checkpoints() {
        let mut text = "é".repeat(LineIndex::STRIDE);
        text.push('\n');
        text.push_str(&"a".repeat(LineIndex::STRIDE * 2));
        let file = SourceFile::new("f".into(), text.clone());
        let nl = text.find('\n').unwrap();
        assert_eq!(
            file.line_col(nl),
            LineCol {
                line: 1,
                column: LineIndex::STRIDE + 1
            }
        );
        assert_eq!(
            file.line_col(text.len() - 1),
            LineCol {
                line: 2,
                column: LineIndex::STRIDE * 2
            }
        );
    }

    #[test]
    fn range_in_finds_sub_slices() {
        let whole = "0123456789";
        assert_eq!(range_in(whole, &whole[3..7]), 3..7);
    }

    #[test]
    fn excerpt_clips_long_lines() {
        let text = format!("{}TARGET{}", "x".repeat(10_000), "y".repeat(10_000));
        let file = SourceFile::new("f".into(), text);
        let excerpt = Excerpt::new(&file);
        let contents = excerpt.read_span(&(10_000, 6).into(), 1, 1).unwrap();
        assert!(contents.data().len() <= 6 + 2 * Excerpt::WINDOW);
        assert_eq!(contents.line(), 0);
        assert_eq!(contents.column(), 10_000 - Excerpt::WINDOW);
    }
}
