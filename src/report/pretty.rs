//! Pretty JSON written in pieces, byte for byte as `serde_json` writes the
//! whole document: a value written in place at some depth, and a long array
//! whose items are turned into text on several threads and written in
//! order. The JSON and SARIF reports list every finding this way: a run
//! may have tens of thousands.

use std::io;

use serde::Serialize;

use crate::pool;

/// Items of an array turned into text a chunk at a time.
pub(super) const CHUNK: usize = 32;

/// Writes `value` pretty as it stands at `depth` (the number of arrays and
/// objects around it) in a document.
pub(super) fn in_place(
    out: &mut dyn io::Write,
    depth: usize,
    value: &impl Serialize,
) -> io::Result<()> {
    serde_json::to_writer_pretty(Indent::at(depth, out), value)?;
    Ok(())
}

/// Writes an array of `count` items at `depth`, item `i` being `item(i)`.
/// With several `jobs`, chunks of `chunk` items are turned into text on
/// that many threads and written in order as they come back; with one,
/// each item is written as it is made, with no buffer.
pub(super) fn array<T: Serialize>(
    out: &mut dyn io::Write,
    depth: usize,
    (jobs, chunk): (usize, usize),
    count: usize,
    item: &(dyn Fn(usize) -> T + Sync),
) -> io::Result<()> {
    if count == 0 {
        return out.write_all(b"[]");
    }
    // Item `i`, after what separates it from the one before.
    let write = |out: &mut dyn io::Write, i: usize| -> io::Result<()> {
        out.write_all(if i == 0 { b"\n" } else { b",\n" })?;
        out.write_all(spaces(depth + 1))?;
        in_place(out, depth + 1, &item(i))
    };
    out.write_all(b"[")?;
    if jobs <= 1 {
        for i in 0..count {
            write(out, i)?;
        }
    } else {
        let text = |nth: usize| -> io::Result<Vec<u8>> {
            let mut text = Vec::new();
            for i in nth * chunk..count.min((nth + 1) * chunk) {
                write(&mut text, i)?;
            }
            Ok(text)
        };
        let mut done: Vec<Option<io::Result<Vec<u8>>>> = Vec::new();
        done.resize_with(count.div_ceil(chunk), || None);
        let (mut next, mut written) = (0, Ok(()));
        pool::each(jobs, done.len(), &text, &mut |nth, text| {
            done[nth] = text;
            while let Some(text) = done.get_mut(next).and_then(Option::take) {
                if written.is_ok() {
                    written = text.and_then(|t| out.write_all(&t));
                }
                next += 1;
            }
        });
        written?;
    }
    out.write_all(b"\n")?;
    out.write_all(spaces(depth))?;
    out.write_all(b"]")
}

/// The indentation of a line at `depth`: two spaces a level (as deep as
/// the reports go).
fn spaces(depth: usize) -> &'static [u8] {
    const SPACES: &[u8] = b"                ";
    debug_assert!(2 * depth <= SPACES.len(), "deeper than the reports go");
    &SPACES[..(2 * depth).min(SPACES.len())]
}

/// Writes to `out` with every line after the first indented to `depth`: a
/// value written pretty on its own, so indented, reads as it would written
/// in place (JSON text breaks lines only between tokens, never inside a
/// string).
struct Indent<'w> {
    out: &'w mut dyn io::Write,
    by: &'static [u8],
}

impl<'w> Indent<'w> {
    fn at(depth: usize, out: &'w mut dyn io::Write) -> Self {
        Indent {
            out,
            by: spaces(depth),
        }
    }
}

impl io::Write for Indent<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        for line in buf.split_inclusive(|&b| b == b'\n') {
            self.out.write_all(line)?;
            if line.ends_with(b"\n") {
                self.out.write_all(self.by)?;
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}
