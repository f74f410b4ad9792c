//! The top level of a plan or state, walked member by member, and
//! `resource_changes` entry by entry — on two threads for a large plan.
//!
//! A plan is one JSON object whose bulk is two members: `planned_values`,
//! which the rule does not read but must still be checked as JSON, and
//! `resource_changes`, which it reads. Parsed on one thread, the document
//! costs as much as parsing it at all. Where the run may use another core,
//! the reader guesses an entry boundary of `resource_changes` (`},{"address":`)
//! where the two threads' work seems even, and a helper thread parses from
//! there to the end while this thread parses up to it. The guess is only taken when this thread, walking the array
//! entry by entry, arrives exactly at it: then the helper's part is
//! exactly what this thread would have parsed next, and every byte was
//! parsed once. Otherwise the helper's work is dropped and this thread
//! parses on alone. Either way the result, errors included, is that of a
//! parse from start to end.

use std::sync::atomic::{AtomicBool, Ordering};

use serde::de::IgnoredAny;

use serde_json::value::RawValue;

use super::views::{Changes, ResourceChange, Sink, Top};
use crate::json::cursor::{Cursor, CursorError};
use crate::json::Located;

/// The smallest document parsed on two threads: below it, starting a
/// thread costs more than it saves.
pub(super) const TWO_THREADS_FROM: usize = 4 << 20;

/// Makes what each part of `resource_changes` goes to ([`Sink`]), given
/// how many bytes of the document the part may span at most.
pub(super) type MakeSink<'m, C> = &'m (dyn Fn(usize) -> C + Sync);

/// What a walk is told: members already parsed (objects, taken as they
/// are when the walk comes to them), and what makes the [`Sink`] of each
/// part of `resource_changes`.
pub(super) struct Given<'a, 'm, C> {
    pub known: &'m [&'a RawValue],
    pub sink: MakeSink<'m, C>,
}

/// Walks a whole document (`json`, nothing else but white space after it
/// unless `trailing_allowed`). `threads`: how many threads it may use.
pub(super) fn read<'a, C: Sink<'a>>(
    json: &'a str,
    trailing_allowed: bool,
    threads: usize,
    given: &Given<'a, '_, C>,
) -> Result<Top<'a, C>, CursorError> {
    let split = if threads > 1 && json.len() >= TWO_THREADS_FROM {
        split_point(json)
    } else {
        None
    };
    #[cfg(fuzzing)]
    same_as_one_thread(json, trailing_allowed);
    read_split(json, trailing_allowed, split, given)
}

/// [`read`], with the second thread starting at `split`, if any.
fn read_split<'a, C: Sink<'a>>(
    json: &'a str,
    trailing_allowed: bool,
    split: Option<usize>,
    given: &Given<'a, '_, C>,
) -> Result<Top<'a, C>, CursorError> {
    let Some(split) = split else {
        return match head(json, trailing_allowed, None, given)? {
            Walked::Whole(top) => Ok(top),
            Walked::Stopped(..) => unreachable!("no split point to stop at"),
        };
    };
    let cancel = AtomicBool::new(false);
    std::thread::scope(|s| {
        let helper = s.spawn(|| tail(json, split, trailing_allowed, &cancel, given));
        let head = head(json, trailing_allowed, Some(split), given);
        if !matches!(head, Ok(Walked::Stopped(..))) {
            cancel.store(true, Ordering::Relaxed);
        }
        let tail = helper
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        match head? {
            Walked::Whole(top) => Ok(top),
            Walked::Stopped(mut top, seen) => {
                join(&mut top, seen, tail)?;
                Ok(top)
            }
        }
    })
}

/// Where the second thread starts: the `{` of a `resource_changes` entry
/// where the two threads' work seems even, if one is there. The text
/// before `resource_changes` (`planned_values`, mostly) is only checked as
/// JSON, which costs about two fifths of reading entries and turning them
/// into resources (measured on the benchmark's plans), so the first thread
/// takes that much more of the text: half of it plus three tenths of what
/// precedes the key. The key is looked for from the middle outwards
/// (backwards first: `planned_values` is rarely the larger), so only the
/// text between the middle and the key is searched.
fn split_point(json: &str) -> Option<usize> {
    const KEY: &[u8] = b"\"resource_changes\":[";
    let bytes = json.as_bytes();
    let middle = json.len() / 2;
    let changes = memchr::memmem::rfind(&bytes[..middle], KEY)
        .or_else(|| memchr::memmem::find(&bytes[middle..], KEY).map(|at| middle + at))?;
    let from = changes.max(middle + changes / 10 * 3);
    let found = memchr::memmem::find(&bytes[from..], b"},{\"address\":")?;
    Some(from + found + 2)
}

/// The top-level members, in the order they may appear; a bit each in
/// [`Seen`].
const MEMBERS: [&str; 9] = [
    "format_version",
    "variables",
    "planned_values",
    "resource_changes",
    "configuration",
    "prior_state",
    "values",
    "errored",
    "complete",
];

/// The members read so far, and where the last one's key was.
#[derive(Default)]
struct Seen {
    members: u16,
    keys: Vec<(usize, usize)>,
}

enum Walked<'a, C> {
    /// The whole document.
    Whole(Top<'a, C>),
    /// Stopped at the split point, inside `resource_changes`.
    Stopped(Top<'a, C>, Seen),
}

/// From the start of the document: to its end, or to `stop` when that is
/// where an entry of `resource_changes` starts.
fn head<'a, C: Sink<'a>>(
    json: &'a str,
    trailing_allowed: bool,
    stop: Option<usize>,
    given: &Given<'a, '_, C>,
) -> Result<Walked<'a, C>, CursorError> {
    let mut cur = Cursor::new(json, 0);
    let mut top = Top::default();
    let mut seen = Seen::default();
    if cur.peek() != Some(b'{') {
        let at = cur.pos();
        cur.value::<IgnoredAny>()?;
        return Err(CursorError {
            message: "invalid type: expected a JSON object".into(),
            at,
            eof: false,
        });
    }
    cur.expect(b'{', "an object")?;
    if cur.peek() == Some(b'}') {
        cur.expect(b'}', "an object")?;
    } else {
        loop {
            let (key_at, key) = (cur.peek().map(|_| cur.pos()), cur.key()?);
            cur.expect(b':', "an object")?;
            if let Some(i) = MEMBERS.iter().position(|m| *m == key) {
                seen.add(i, key_at.unwrap_or_default())?;
            }
            if key == "resource_changes" && cur.peek() == Some(b'[') {
                cur.expect(b'[', "a list")?;
                // The part ends at `stop`, unless that is behind.
                let end = stop.filter(|&s| s >= cur.pos()).unwrap_or(json.len());
                let mut changes = (given.sink)(end - cur.pos());
                if entries(&mut cur, &mut changes, stop, None)? == Entries::Stopped {
                    top.resource_changes = Some(changes);
                    return Ok(Walked::Stopped(top, seen));
                }
                top.resource_changes = Some(changes);
            } else {
                member(&mut cur, &mut top, &key, given.known)?;
            }
            if !cur.next_or_end(b'}', "an object")? {
                break;
            }
        }
    }
    if !trailing_allowed {
        cur.end()?;
    }
    Ok(Walked::Whole(top))
}

/// From the split point to the end of the document: the rest of
/// `resource_changes`, then the members after it.
struct Tail<'a, C> {
    top: Top<'a, C>,
    /// The members it read, even when it stopped on an error: one that
    /// repeats a member of the first part, before the error, is the first
    /// error.
    seen: Seen,
    error: Option<CursorError>,
}

fn tail<'a, C: Sink<'a>>(
    json: &'a str,
    split: usize,
    trailing_allowed: bool,
    cancel: &AtomicBool,
    given: &Given<'a, '_, C>,
) -> Tail<'a, C> {
    let mut cur = Cursor::new(json, split);
    let mut top = Top::default();
    let mut seen = Seen::default();
    let mut walk = || -> Result<(), CursorError> {
        let mut changes = (given.sink)(json.len() - split);
        if entries(&mut cur, &mut changes, None, Some(cancel))? == Entries::Stopped {
            // Cancelled: nobody reads this.
            return Ok(());
        }
        top.resource_changes = Some(changes);
        while cur.next_or_end(b'}', "an object")? {
            let (key_at, key) = (cur.peek().map(|_| cur.pos()), cur.key()?);
            cur.expect(b':', "an object")?;
            if let Some(i) = MEMBERS.iter().position(|m| *m == key) {
                seen.add(i, key_at.unwrap_or_default())?;
            }
            member(&mut cur, &mut top, &key, given.known)?;
        }
        if !trailing_allowed {
            cur.end()?;
        }
        Ok(())
    };
    let error = walk().err();
    Tail { top, seen, error }
}

/// Joins the tail to the head: the first error in the document's order, or
/// the members of both.
fn join<'a, C: Sink<'a>>(
    top: &mut Top<'a, C>,
    mut seen: Seen,
    tail: Tail<'a, C>,
) -> Result<(), CursorError> {
    // The tail continues `resource_changes`: only later members repeat,
    // and a repeat before the tail's own error comes first.
    for (i, at) in tail.seen.keys {
        seen.add(i, at)?;
    }
    if let Some(error) = tail.error {
        return Err(error);
    }
    let rest = tail.top;
    if let (Some(changes), Some(more)) = (top.resource_changes.as_mut(), rest.resource_changes) {
        changes.append(more);
    }
    let Top {
        format_version,
        variables,
        planned_values,
        resource_changes: _,
        configuration,
        prior_state,
        values,
        errored,
        complete,
    } = rest;
    top.format_version = top.format_version.or(format_version);
    top.variables = top.variables.or(variables);
    top.planned_values = top.planned_values.or(planned_values);
    top.configuration = top.configuration.or(configuration);
    top.prior_state = top.prior_state.or(prior_state);
    top.values = top.values.take().or(values);
    top.errored = top.errored.or(errored);
    top.complete = top.complete.or(complete);
    Ok(())
}

impl Seen {
    /// A member read; a second one of the same name is an error, as for
    /// any derived serde struct.
    fn add(&mut self, index: usize, at: usize) -> Result<(), CursorError> {
        let bit = 1 << index;
        if self.members & bit != 0 {
            return Err(CursorError {
                message: format!("duplicate field `{}`", MEMBERS[index]),
                at,
                eof: false,
            });
        }
        self.members |= bit;
        self.keys.push((index, at));
        Ok(())
    }
}

#[derive(PartialEq, Eq)]
enum Entries {
    /// Past the closing `]`.
    Done,
    /// At `stop`, or cancelled.
    Stopped,
}

/// The entries of `resource_changes`, after its `[` (or at the split
/// point, where an entry starts).
fn entries<'a, C: Sink<'a>>(
    cur: &mut Cursor<'a>,
    changes: &mut C,
    stop: Option<usize>,
    cancel: Option<&AtomicBool>,
) -> Result<Entries, CursorError> {
    if cur.peek() == Some(b']') {
        cur.expect(b']', "a list")?;
        return Ok(Entries::Done);
    }
    loop {
        cur.peek();
        if stop == Some(cur.pos()) || cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
            return Ok(Entries::Stopped);
        }
        let mut entry = cur.value::<Located<Box<ResourceChange<'a>>>>()?;
        // Where it ends, so a report need not look for it again.
        entry.end = Some(cur.address());
        changes.push(entry);
        if !cur.next_or_end(b']', "a list")? {
            return Ok(Entries::Done);
        }
    }
}

/// One member other than an array of `resource_changes`.
fn member<'a, C>(
    cur: &mut Cursor<'a>,
    top: &mut Top<'a, C>,
    key: &str,
    known: &[&'a RawValue],
) -> Result<(), CursorError> {
    match key {
        "format_version" => top.format_version = cur.value()?,
        // Parsed already by whoever gave them.
        "variables" => {
            top.variables = cur
                .known(known)
                .map_or_else(|| cur.value(), |r| Ok(Some(r)))?;
        }
        "planned_values" => top.planned_values = cur.value()?,
        // Not an array: `null` (no changes) or an error.
        "resource_changes" => {
            cur.value::<Option<Changes<'a>>>()?;
            top.resource_changes = None;
        }
        "configuration" => {
            top.configuration = cur
                .known(known)
                .map_or_else(|| cur.value(), |r| Ok(Some(r)))?;
        }
        "prior_state" => top.prior_state = cur.value()?,
        "values" => top.values = cur.value()?,
        "errored" => top.errored = cur.value()?,
        "complete" => top.complete = cur.value()?,
        _ => {
            cur.value::<IgnoredAny>()?;
        }
    }
    Ok(())
}

/// What a walk read, in a form to compare (tests, and the fuzz oracle).
/// A walk that keeps the entries, told nothing.
#[cfg(any(test, fuzzing))]
fn keep<'a>() -> Given<'a, 'a, Changes<'a>> {
    Given {
        known: &[],
        sink: &|_| Changes::default(),
    }
}

#[cfg(any(test, fuzzing))]
fn summary(top: Result<Top<'_, Changes<'_>>, CursorError>) -> String {
    match top {
        Err(e) => format!("error at {}: {} (eof: {})", e.at, e.message, e.eof),
        Ok(top) => {
            let raw = |r: Option<&serde_json::value::RawValue>| {
                r.map_or("-".to_string(), |r| r.get().to_string())
            };
            let changes = top.resource_changes.map(|c| {
                c.kept
                    .iter()
                    .map(|e| (e.value.address.get().to_string(), e.end))
                    .collect::<Vec<_>>()
            });
            format!(
                "fv {} vars {} pv {} changes {changes:?} config {} prior {} errored {} complete {}",
                raw(top.format_version),
                raw(top.variables),
                raw(top.planned_values),
                raw(top.configuration),
                top.prior_state.is_some(),
                raw(top.errored),
                raw(top.complete),
            )
        }
    }
}

/// Fuzzing: a split read at any place where an object starts gives what
/// one thread reads.
#[cfg(fuzzing)]
fn same_as_one_thread(json: &str, trailing_allowed: bool) {
    let one = summary(read_split(json, trailing_allowed, None, &keep()));
    for split in memchr::memchr_iter(b'{', json.as_bytes()).take(64) {
        let two = summary(read_split(json, trailing_allowed, Some(split), &keep()));
        assert_eq!(one, two, "split at {split}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(address: &str, action: &str) -> String {
        format!(
            r#"{{"address":"{address}","mode":"managed","type":"aws_s3_bucket","name":"b","change":{{"actions":["{action}"],"after":{{"tags":{{"tier":"database"}}}}}}}}"#
        )
    }

    /// Every place the second thread could be told to start gives what one
    /// thread reads, whether or not it is where an entry starts: the
    /// result, the ends of entries, and the first error.
    #[test]
    fn two_threads_read_what_one_reads() {
        let changes = [
            entry("a", "create"),
            entry("b", "delete"),
            r#"{"address":"bad"}"#.to_string(),
            entry("c", "update"),
            r#"{"address":"bad2"}"#.to_string(),
            entry("d", "no-op"),
        ]
        .join(",");
        let good = format!(
            r#"{{"format_version":"1.2","planned_values":{{"root_module":{{"resources":[{{"address":"x"}},{{"address":"y"}}]}}}},"resource_changes":[{changes}],"configuration":{{"root_module":{{}}}},"errored":false,"complete":true}}"#
        );
        let documents = [
            good.clone(),
            // An error before, inside and after the entries.
            good.replace(r#""planned_values":{"#, r#""planned_values":{x"#),
            good.replace(r#""address":"c""#, r#""address":c"#),
            good.replace(r#""errored":false"#, r#""errored":fals"#),
            // A member repeated after the entries, and trailing text.
            good.replace(r#""complete":true"#, r#""format_version":"1.2""#),
            // A repeated member, then a syntax error (found by fuzzing: the
            // repeat is the first error).
            good.replace(r#""complete":true"#, r#""format_version":"1.2","x":tru"#),
            format!("{good} x"),
            // Truncated inside the entries.
            good[..good.find(r#""address":"d""#).unwrap()].to_string(),
        ];
        for json in &documents {
            let one = summary(read_split(json, false, None, &keep()));
            for split in 0..=json.len() {
                let two = summary(read_split(json, false, Some(split), &keep()));
                assert_eq!(two, one, "split at {split} of {json}");
            }
        }
        assert!(summary(read_split(&good, false, None, &keep())).contains(r#"\"d\""#));
        // The second thread's part was taken at every entry.
        let taken = (0..=good.len())
            .filter(|&at| {
                matches!(
                    head(&good, false, Some(at), &keep()),
                    Ok(Walked::Stopped(..))
                )
            })
            .count();
        assert_eq!(taken, 6);
    }

    /// The guess is an entry boundary of `resource_changes`, past the
    /// middle (further past it the more text precedes the key).
    #[test]
    fn the_split_point_is_an_entry_past_the_middle() {
        let changes = (0..40)
            .map(|i| entry(&format!("r{i}"), "create"))
            .collect::<Vec<_>>();
        let json = format!(
            r#"{{"planned_values":{{"root_module":{{"resources":[{{"address":"x"}},{{"address":"y"}}]}}}},"resource_changes":[{}]}}"#,
            changes.join(",")
        );
        let at = split_point(&json).expect("a split point");
        assert!(at >= json.len() / 2);
        assert!(json[at..].starts_with(r#"{"address":"r"#));
        assert!(matches!(
            head(&json, false, Some(at), &keep()),
            Ok(Walked::Stopped(..))
        ));
        assert_eq!(split_point(r#"{"planned_values":{}}"#), None);
        // The key past the middle, after large planned values.
        let json = format!(
            r#"{{"planned_values":{{"root_module":{{"resources":[{}]}}}},"resource_changes":[{}]}}"#,
            (0..80)
                .map(|i| format!(r#"{{"address":"v{i}"}}"#))
                .collect::<Vec<_>>()
                .join(","),
            changes[..4].join(",")
        );
        let at = split_point(&json).expect("a split point");
        assert!(json[..at].contains("resource_changes"));
        assert!(json[at..].starts_with(r#"{"address":"r1""#));
    }
}
