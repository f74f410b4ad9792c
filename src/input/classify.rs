//! What a JSON document is, told from its top-level keys before any reader
//! parses it.
//!
//! Terraform and OpenTofu write `format_version` first and configuration
//! files start with block types, so the first key almost always decides and
//! a 100 MB plan costs nothing here. Documents whose keys come in another
//! order are scanned key by key, skipping values without building them.

use std::ops::Range;

use serde::de::IgnoredAny;
use serde::Deserialize;

use crate::error::{ErrorCode, InputError};
use crate::json::syntax_error;

/// The kind of a JSON document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Document {
    /// `format_version` at the top: a plan, or a state written by
    /// `terraform show -json` (the reader tells which).
    PlanOrState,
    /// A raw `terraform.tfstate` (`version` with `lineage` or `resources`).
    RawState,
    /// Block types (`resource`, `provider`, ...) at the top: a JSON
    /// configuration (native, CDKTF or hcl2json output).
    Configuration,
}

/// Top-level keys that start a configuration.
const BLOCK_TYPES: &[&str] = &[
    "resource",
    "data",
    "provider",
    "module",
    "variable",
    "output",
    "locals",
    "terraform",
];

const NOT_A_PLAN_HELP: &str = "tierkey reads the output of `terraform show -json PLANFILE` (plans) or `terraform show -json` (state), and raw terraform.tfstate files";

/// Classifies the JSON document at `body` in `text`. `trailing_allowed`:
/// text after the document is wrapper noise (setup-terraform output).
pub(crate) fn classify(
    text: &str,
    body: Range<usize>,
    trailing_allowed: bool,
) -> Result<Document, InputError> {
    let json = &text[body.clone()];
    let first = json.chars().next().map_or(0, char::len_utf8);
    let at_start = body.start..body.start + first;
    let mut seen = Seen::default();
    match scan_top_keys(json.as_bytes(), |key| seen.key(key)) {
        Scan::Decided(document) => return document.map_err(|e| e.at(at_start)),
        Scan::NotObject | Scan::Ended | Scan::Malformed => {}
    }
    // Undecided: the whole document must be valid JSON before it can be
    // called anything.
    let mut de = serde_json::Deserializer::from_str(json);
    let valid =
        IgnoredAny::deserialize(&mut de).and_then(
            |_| {
                if trailing_allowed {
                    Ok(())
                } else {
                    de.end()
                }
            },
        );
    if let Err(e) = valid {
        return Err(syntax_error(json, &e, body.start));
    }
    if !json.starts_with('{') {
        return Err(InputError::new(
            ErrorCode::NotAPlan,
            "this JSON document is not an object, so it is neither a plan nor a state",
        )
        .help(NOT_A_PLAN_HELP)
        .at(at_start));
    }
    if seen.version && (seen.lineage || seen.resources) {
        return Ok(Document::RawState);
    }
    // python-hcl2 v8 marks every block, whatever the top-level keys.
    if json.contains("\"__is_block__\"") {
        return Ok(Document::Configuration);
    }
    let help = if seen.config_representation {
        "this looks like a configuration representation (`tofu show -json -config`); check a plan: `terraform show -json PLANFILE > plan.json`"
    } else {
        NOT_A_PLAN_HELP
    };
    Err(InputError::new(
        ErrorCode::NotAPlan,
        "this JSON is neither a Terraform/OpenTofu plan nor a state (it has no `format_version`)",
    )
    .help(help)
    .at(at_start))
}

/// The top-level keys seen so far that decide nothing on their own.
#[derive(Default)]
#[allow(clippy::struct_excessive_bools, reason = "one flag per key seen")]
struct Seen {
    version: bool,
    lineage: bool,
    resources: bool,
    config_representation: bool,
}

impl Seen {
    /// A key: `Some` when it decides the document.
    fn key(&mut self, key: &[u8]) -> Option<Result<Document, InputError>> {
        match key {
            b"format_version" => return Some(Ok(Document::PlanOrState)),
            b"encrypted_data" => {
                return Some(Err(InputError::new(
                    ErrorCode::EncryptedInput,
                    "this is an OpenTofu encrypted plan or state (it has `encrypted_data`)",
                )
                .help("decrypt it with `tofu show -json PLANFILE > plan.json` (OpenTofu needs the encryption key) and check that file")))
            }
            b"version" => self.version = true,
            b"lineage" => self.lineage = true,
            b"resources" => self.resources = true,
            b"root_module" | b"provider_config" => self.config_representation = true,
            key if BLOCK_TYPES.iter().any(|t| t.as_bytes() == key) => {
                return Some(Ok(Document::Configuration))
            }
            _ => {}
        }
        None
    }
}

enum Scan<T> {
    Decided(T),
    NotObject,
    /// The object ended without a decision.
    Ended,
    /// Not well-formed where the scan looked; a parser says more.
    Malformed,
}

/// Calls `on_key` with each top-level key's raw bytes (between the quotes)
/// until it decides.
fn scan_top_keys<T>(bytes: &[u8], mut on_key: impl FnMut(&[u8]) -> Option<T>) -> Scan<T> {
    let mut i = skip_ws(bytes, 0);
    if bytes.get(i) != Some(&b'{') {
        return Scan::NotObject;
    }
    i = skip_ws(bytes, i + 1);
    if bytes.get(i) == Some(&b'}') {
        return Scan::Ended;
    }
    loop {
        if bytes.get(i) != Some(&b'"') {
            return Scan::Malformed;
        }
        let Some(end) = string_end(bytes, i) else {
            return Scan::Malformed;
        };
        if let Some(decided) = on_key(&bytes[i + 1..end - 1]) {
            return Scan::Decided(decided);
        }
        i = skip_ws(bytes, end);
        if bytes.get(i) != Some(&b':') {
            return Scan::Malformed;
        }
        let Some(after) = skip_value(bytes, skip_ws(bytes, i + 1)) else {
            return Scan::Malformed;
        };
        i = skip_ws(bytes, after);
        match bytes.get(i) {
            Some(b',') => i = skip_ws(bytes, i + 1),
            Some(b'}') => return Scan::Ended,
            _ => return Scan::Malformed,
        }
    }
}

fn skip_ws(bytes: &[u8], mut i: usize) -> usize {
    while bytes
        .get(i)
        .is_some_and(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
    {
        i += 1;
    }
    i
}

/// The index just after the string starting (with its quote) at `start`.
fn string_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 1;
    loop {
        i += memchr::memchr2(b'"', b'\\', bytes.get(i..)?)?;
        if bytes[i] == b'\\' {
            i += 2;
        } else {
            return Some(i + 1);
        }
    }
}

/// The index just after the value starting at `start` (lexically: strings
/// and brackets are matched, scalars run to the next delimiter).
fn skip_value(bytes: &[u8], start: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = start;
    loop {
        match *bytes.get(i)? {
            b'"' => {
                i = string_end(bytes, i)?;
                if depth == 0 {
                    return Some(i);
                }
                continue;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            b',' | b' ' | b'\t' | b'\n' | b'\r' if depth == 0 => return Some(i),
            _ => {}
        }
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(json: &str) -> Result<Document, ErrorCode> {
        classify(json, 0..json.len(), false).map_err(|e| e.code)
    }

    #[test]
    fn the_first_deciding_key_wins() {
        assert_eq!(
            kind(r#"{"format_version": "1.2"}"#),
            Ok(Document::PlanOrState)
        );
        assert_eq!(
            kind(r#"{"applyable": true, "configuration": {"x": ["}"]}, "format_version": "1.2"}"#),
            Ok(Document::PlanOrState)
        );
        assert_eq!(
            kind(r#"{"version": 4, "terraform_version": "1.5.0", "lineage": "x"}"#),
            Ok(Document::RawState)
        );
        assert_eq!(
            kind(r#"{"//": {}, "resource": {}}"#),
            Ok(Document::Configuration)
        );
        assert_eq!(
            kind(r#"{"meta": {"a": "b\"}"}, "encrypted_data": "AA"}"#),
            Err(ErrorCode::EncryptedInput)
        );
    }

    #[test]
    fn what_is_not_ours_is_told_apart_from_broken_json() {
        assert_eq!(kind(r#"{"name": "pkg"}"#), Err(ErrorCode::NotAPlan));
        assert_eq!(kind("[1, 2]"), Err(ErrorCode::NotAPlan));
        assert_eq!(kind("[1, 2"), Err(ErrorCode::InvalidJson));
        assert_eq!(kind(r#"{"name": }"#), Err(ErrorCode::InvalidJson));
        assert_eq!(kind(r#"{"version": 4}"#), Err(ErrorCode::NotAPlan));
        assert_eq!(
            kind(r#"{"block": [{"a": {"__is_block__": true}}]}"#),
            Ok(Document::Configuration)
        );
    }
}
