//! `terraform show -json` / `tofu show -json` plans and states, and raw
//! `terraform.tfstate` files, read into the [`Inventory`] the rules check.
//!
//! The document is parsed once, typed and borrowed: the top level into raw
//! slices, then only the parts the rule needs (`resource_changes`, or the
//! value trees when there are no changes; `configuration`; `variables`)
//! into small structs that keep `&str` slices of the input ([`views`]).
//! Nothing is copied into a DOM. The configuration is read first, from
//! where its key is found, so that each entry of `resource_changes` becomes
//! a resource as it is parsed; the walk checks that guess, and reads the
//! document again keeping the entries when it was wrong ([`Walk`]). This module owns what is particular to
//! plans: which instances survive (rule S4), `tags_all` and `after_unknown`
//! (S3), `provider_config_key`, aliases, module scopes, variables and the
//! pre-1.2 key shapes (S8.2, in [`configuration`]). The model decides
//! regions and tags from what it hands over.

mod configuration;
mod instances;
mod top;
mod views;

use std::collections::BTreeMap;
use std::ops::Range;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::error::{ErrorCode, InputError};
use crate::finding::Code;
use crate::input::{Document, InputKind};
use crate::json::cursor::Cursor;
use crate::json::lenient::LenientObject;
use crate::json::Located;
use crate::json::{cursor_error, parse_in, syntax_error};
use crate::model::{Held, Inventory, Note, ProviderSettings, TagKeys};
use crate::source::{clip, range_in, FileId, Span};
use configuration::Configuration;
use instances::Reader;
use views::{
    Changes, RawStateResource, RawStateTop, ResourceChange, Sink, Status, Top, ValuesRoot,
};

/// What a plan or state holds: its kind, its inventory (regions not yet
/// settled across instances: [`Inventory::settle_regions`]), and a plan's
/// root variable values.
pub(crate) struct Read<'a> {
    pub kind: InputKind,
    pub inventory: Inventory<'a>,
    pub variables: BTreeMap<String, serde_json::Value>,
}

/// Reads one plan, state or raw state. `text` is the whole file; `body` the
/// range holding the JSON (all of it, or the part inside setup-terraform
/// wrapper output, where trailing text is expected and ignored); `threads`:
/// how many threads a large plan may be read on.
pub(crate) fn read<'t>(
    document: Document,
    file: FileId,
    text: &'t str,
    body: Range<usize>,
    trailing_allowed: bool,
    keys: &dyn TagKeys,
    threads: usize,
) -> Result<Read<'t>, InputError> {
    let json = &text[body.clone()];
    let mut inventory = Inventory {
        texts: vec![(file, text)],
        document: Some(Span::new(file, body.clone())),
        ..Inventory::default()
    };
    let (kind, variables) = match document {
        Document::RawState => {
            let top: RawStateTop<'_> = parse_document(json, body.start, trailing_allowed)?;
            read_raw_state(text, file, &top, keys, &mut inventory)?;
            (InputKind::RawState, BTreeMap::new())
        }
        Document::PlanOrState | Document::Configuration => {
            let walk = Walk {
                text,
                file,
                json,
                base: body.start,
                trailing_allowed,
                keys,
                threads,
            };
            #[cfg(fuzzing)]
            walk.same_both_ways();
            let (top, config) = match walk.configuration_first()? {
                Some(read) => read,
                None => (walk.entries_kept()?, None),
            };
            read_plan_or_state(text, file, top, config, keys, &mut inventory, threads)?
        }
    };
    Ok(Read {
        kind,
        inventory,
        variables,
    })
}

fn parse_document<'a, T: Deserialize<'a>>(
    json: &'a str,
    base: usize,
    trailing_allowed: bool,
) -> Result<T, InputError> {
    let mut de = serde_json::Deserializer::from_str(json);
    T::deserialize(&mut de)
        .and_then(|top| {
            if !trailing_allowed {
                de.end()?;
            }
            Ok(top)
        })
        .map_err(|e| syntax_error(json, &e, base))
}

/// A structure Terraform never writes, at a place in the input.
fn structure_error((message, range): (String, Range<usize>)) -> InputError {
    InputError::new(
        ErrorCode::InvalidJson,
        format!("unexpected plan structure: {message}"),
    )
    .help("is this file the unmodified output of `terraform show -json`?")
    .at(range.start..range.end + 1)
}

/// How a plan or state document is walked.
struct Walk<'a, 'k> {
    text: &'a str,
    file: FileId,
    /// The document, at `base` in `text`.
    json: &'a str,
    base: usize,
    trailing_allowed: bool,
    keys: &'k dyn TagKeys,
    threads: usize,
}

/// What became of `resource_changes`: entries still to be turned into
/// resources, or resources already (or the first entry that could not be).
enum Entries<'a> {
    Kept(Changes<'a>),
    Converted(Result<Held<'a>, InputError>),
}

impl<'a> Walk<'a, '_> {
    /// The walk that keeps the entries of `resource_changes` until the
    /// configuration, which follows them, has been read.
    fn entries_kept(&self) -> Result<Top<'a, Entries<'a>>, InputError> {
        let given = top::Given {
            known: &[],
            sink: &|_| Changes::default(),
        };
        let top = top::read(self.json, self.trailing_allowed, self.threads, &given)
            .map_err(|e| cursor_error(&e, self.base))?;
        Ok(top.map_changes(Entries::Kept))
    }

    /// The walk that turns each entry of `resource_changes` into a resource
    /// as it is parsed, so that the entries are never all held at once:
    /// the configuration (and the root variables it is evaluated with) is
    /// found and read first, at the place Terraform writes it
    /// ([`guess_members`]). That place is a guess, taken only if the walk
    /// then finds those very members there: otherwise (or when the guess
    /// cannot be read) `None`, and the document is walked again keeping the
    /// entries. A syntax error is the document's error either way.
    #[allow(clippy::type_complexity)]
    fn configuration_first(
        &self,
    ) -> Result<Option<(Top<'a, Entries<'a>>, Option<Configuration<'a>>)>, InputError> {
        let Some(guess) = guess_members(self.json) else {
            return Ok(None);
        };
        let config = match guess.configuration {
            Some(raw) => match Configuration::new(self.text, self.file, raw, guess.variables) {
                Ok(config) => Some(config),
                Err(_) => return Ok(None),
            },
            None => None,
        };
        let reader = Reader {
            text: self.text,
            file: self.file,
            config: config.as_ref(),
            keys: self.keys,
        };
        let providers = config.as_ref().map_or(&[][..], |c| &c.settings[..]);
        let sink = |bytes| Converted {
            reader: &reader,
            providers,
            held: room_for(bytes),
            error: None,
        };
        // The walk takes the members found as they are, without parsing
        // them again, when it comes to them where they were found.
        let known: Vec<&RawValue> = [guess.configuration, guess.variables]
            .into_iter()
            .flatten()
            .collect();
        let given = top::Given {
            known: &known,
            sink: &sink,
        };
        let top = top::read(self.json, self.trailing_allowed, self.threads, &given)
            .map_err(|e| cursor_error(&e, self.base))?;
        if !(same(top.configuration, guess.configuration) && same(top.variables, guess.variables)) {
            return Ok(None);
        }
        let top = top.map_changes(|c| {
            Entries::Converted(match c.error {
                Some(e) => Err(structure_error(e)),
                None => Ok(c.held),
            })
        });
        Ok(Some((top, config)))
    }
}

#[cfg(any(test, fuzzing))]
impl Walk<'_, '_> {
    /// What the document reads as: with the configuration first (`None`
    /// when that guess is not taken), and with the entries kept.
    fn both_ways(&self) -> (Option<String>, String) {
        let finish =
            |read: Result<(Top<'_, Entries<'_>>, Option<Configuration<'_>>), InputError>| {
                let mut inventory = Inventory::default();
                let read = read.and_then(|(top, config)| {
                    read_plan_or_state(
                        self.text,
                        self.file,
                        top,
                        config,
                        self.keys,
                        &mut inventory,
                        self.threads,
                    )
                });
                format!(
                    "{read:?} {:?} {:?} {:?}",
                    inventory.resources, inventory.inert, inventory.providers
                )
            };
        let first = match self.configuration_first() {
            Ok(None) => None,
            Ok(Some(read)) => Some(finish(Ok(read))),
            Err(e) => Some(finish(Err(e))),
        };
        let kept = finish(self.entries_kept().map(|top| (top, None)));
        (first, kept)
    }

    /// Fuzzing: reading the configuration first reads what keeping the
    /// entries reads.
    #[cfg(fuzzing)]
    fn same_both_ways(&self) {
        if let (Some(first), kept) = self.both_ways() {
            assert_eq!(first, kept);
        }
    }
}

/// Whether two optional members are the same slice of the document.
fn same(a: Option<&RawValue>, b: Option<&RawValue>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => std::ptr::eq(a.get(), b.get()),
        _ => false,
    }
}

/// Where a plan's `configuration` and root `variables` are, in the two
/// orders plans come in: Terraform's and OpenTofu's (`format_version`
/// first, `variables` before `planned_values`, `configuration` after
/// `resource_changes`) and keys sorted (`configuration` before
/// `planned_values`, `variables` last, as `jq -S` writes them). A guess,
/// checked by the walk; `None` for a state (`values`), or a document that
/// ends or breaks before its bulk.
struct Guess<'a> {
    configuration: Option<&'a RawValue>,
    variables: Option<&'a RawValue>,
}

/// How far from the end a member after the bulk of a plan is looked for at
/// first; the window doubles until it is found or the document crossed.
const FROM_THE_END: usize = 4 << 20;

fn guess_members(json: &str) -> Option<Guess<'_>> {
    const VARIABLES: &[u8] = b"\"variables\":";
    const CONFIGURATION: &[u8] = b"\"configuration\":";
    // The members before the bulk (`planned_values` or `resource_changes`),
    // walked: what is there is certain.
    let mut cur = Cursor::new(json, 0);
    let mut configuration = None;
    let mut variables = None;
    let mut terraforms_order = false;
    cur.expect(b'{', "an object").ok()?;
    for first in std::iter::successors(Some(true), |_| Some(false)) {
        let key = cur.key().ok()?;
        cur.expect(b':', "an object").ok()?;
        match key.as_ref() {
            "planned_values" | "resource_changes" => break,
            "values" => return None,
            "configuration" => configuration = Some(cur.value::<&RawValue>().ok()?),
            "variables" => variables = Some(cur.value::<&RawValue>().ok()?),
            other => {
                terraforms_order |= first && other == "format_version";
                cur.value::<serde::de::IgnoredAny>().ok()?;
            }
        }
        if !cur.next_or_end(b'}', "an object").ok()? {
            return None;
        }
    }
    let bytes = json.as_bytes();
    // The value after a key at `at`, and whether nothing but the document's
    // closing `}` follows it (then it is the last member for certain).
    let value = |at: usize, key: &[u8]| -> Option<(&RawValue, bool)> {
        let from = at + key.len();
        let mut values = serde_json::Deserializer::from_str(&json[from..]).into_iter::<&RawValue>();
        let raw = values.next()?.ok()?;
        let rest = &json[from + values.byte_offset()..];
        let last = rest
            .trim()
            .strip_prefix('}')
            .is_some_and(|r| r.trim().is_empty());
        Some((raw, last))
    };
    // After the bulk: the last occurrence of a key that `fits`, looked for
    // in windows growing back from the end.
    let from_the_end = |key: &[u8], fits: &dyn Fn(usize) -> bool| -> Option<usize> {
        let (mut end, mut window) = (bytes.len(), FROM_THE_END);
        while end > cur.pos() {
            let start = end.saturating_sub(window).max(cur.pos());
            let stop = (end + key.len()).min(bytes.len());
            let found = memchr::memmem::find_iter(&bytes[start..stop], key)
                .map(|at| start + at)
                .filter(|&at| fits(at))
                .last();
            if found.is_some() {
                return found;
            }
            (end, window) = (start, window * 2);
        }
        None
    };
    if configuration.is_none() {
        // Its first member (a block of a resource would be a list), white
        // space allowed around the punctuation, as in an indented plan.
        let starts_right = |at: usize| {
            let rest = skip_space(&bytes[at + CONFIGURATION.len()..]);
            let Some(rest) = rest.strip_prefix(b"{") else {
                return false;
            };
            let rest = skip_space(rest);
            [&b"\"provider_config\""[..], b"\"root_module\""]
                .iter()
                .any(|key| {
                    rest.strip_prefix(*key)
                        .is_some_and(|r| skip_space(r).starts_with(b":"))
                })
        };
        if let Some(at) = from_the_end(CONFIGURATION, &starts_right) {
            configuration = Some(value(at, CONFIGURATION)?.0);
        }
    }
    // A sorted plan's last member: the key's last occurrence, when nothing
    // but the closing `}` follows its value (nested ones, a module's
    // declarations or a Lambda function's environment, are followed by more).
    if variables.is_none() && !terraforms_order {
        if let Some(at) = from_the_end(VARIABLES, &|_| true) {
            let (raw, last) = value(at, VARIABLES)?;
            variables = last.then_some(raw);
        }
    }
    Some(Guess {
        configuration,
        variables,
    })
}

/// `bytes` from its first byte that is not JSON white space.
fn skip_space(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !matches!(b, b' ' | b'\n' | b'\r' | b'\t'))
        .unwrap_or(bytes.len());
    &bytes[start..]
}

/// Fewer bytes than an entry that becomes a resource takes in the plans
/// Terraform writes (its address, type, provider, actions, values before and
/// after, and their unknown and sensitive marks: a few hundred bytes for
/// the least resource, kilobytes for most).
const ENTRY_TAKES: usize = 512;

/// Vectors with room for the resources (and the addresses of inert ones)
/// of entries spanning `bytes`, so that they are not regrown and copied
/// while entries are read. Room not filled is address space only (its
/// pages are never touched: about 0.75 times the bytes); past it, or where
/// the system will not lend that much, a vector grows as it fills.
fn room_for<'a>(bytes: usize) -> Held<'a> {
    let mut held = Held::default();
    let _ = held.resources.try_reserve_exact(bytes / ENTRY_TAKES);
    let _ = held.inert.try_reserve_exact(bytes / ENTRY_TAKES);
    held
}

/// Turns each entry into a resource as it is parsed, until one cannot be.
struct Converted<'a, 'r> {
    reader: &'r Reader<'a, 'r>,
    providers: &'r [ProviderSettings],
    held: Held<'a>,
    /// The first entry that could not be (nothing after it is converted).
    error: Option<(String, Range<usize>)>,
}

impl<'a> Sink<'a> for Converted<'a, '_> {
    fn push(&mut self, entry: Located<Box<ResourceChange<'a>>>) {
        if self.error.is_some() || entry.value.status() == Status::Dropped {
            return;
        }
        match self.reader.change(entry, self.providers) {
            Ok(Some(r)) => self.held.hold(r, self.reader.keys),
            Ok(None) => {}
            Err(e) => self.error = Some(e),
        }
    }

    fn append(&mut self, later: Self) {
        if self.error.is_none() {
            self.held.append(later.held);
            self.error = later.error;
        }
    }
}

/// The kind, and a plan's root variable values. `config`: the plan's
/// configuration when it was read before its entries.
fn read_plan_or_state<'a>(
    text: &'a str,
    file: FileId,
    top: Top<'a, Entries<'a>>,
    config: Option<Configuration<'a>>,
    keys: &dyn TagKeys,
    inventory: &mut Inventory<'a>,
    threads: usize,
) -> Result<(InputKind, BTreeMap<String, serde_json::Value>), InputError> {
    if let Some(fv) = top.format_version {
        check_format_version(text, fv)?;
    }
    let is_plan = top.planned_values.is_some()
        || top.resource_changes.is_some()
        || top.configuration.is_some()
        || top.prior_state.is_some();
    if !is_plan {
        if let Some(values) = top.values {
            let mut held = Held::default();
            Reader {
                text,
                file,
                config: None,
                keys,
            }
            .values_tree(values.0.map(|v| v.root_module), &[], &mut held)
            .map_err(structure_error)?;
            inventory.hold(held);
        }
        return Ok((InputKind::State, BTreeMap::new()));
    }
    let config = match (config, top.configuration) {
        (Some(config), _) => Some(config),
        (None, Some(raw)) => {
            Some(Configuration::new(text, file, raw, top.variables).map_err(structure_error)?)
        }
        (None, None) => None,
    };
    let reader = Reader {
        text,
        file,
        config: config.as_ref(),
        keys,
    };
    let providers = config.as_ref().map_or(&[][..], |c| &c.settings[..]);
    if let Some(changes) = top.resource_changes {
        inventory.hold(match changes {
            Entries::Kept(changes) => convert(&reader, changes.kept, providers, threads)?,
            Entries::Converted(held) => held?,
        });
    } else if let Some(raw) = top.planned_values {
        let values: LenientObject<ValuesRoot<'_>> =
            parse_in(text, raw.get()).map_err(structure_error)?;
        let mut held = Held::default();
        reader
            .values_tree(values.0.map(|v| v.root_module), providers, &mut held)
            .map_err(structure_error)?;
        inventory.hold(held);
    }
    let mut variables = BTreeMap::new();
    if let Some(config) = config {
        inventory.outputs = config.root_outputs();
        inventory.providers = config.settings;
        variables = config.variables;
    }
    inventory
        .notes
        .extend(plan_notes(text, file, top.errored, top.complete));
    Ok((InputKind::Plan, variables))
}

/// The smallest number of entries converted on two threads.
const TWO_THREADS_FROM: usize = 2000;

/// The resources of the kept `resource_changes` entries, in their order;
/// a large plan's on two threads, each converting half of them.
fn convert<'a>(
    reader: &Reader<'a, '_>,
    mut changes: Vec<Located<Box<ResourceChange<'a>>>>,
    providers: &[ProviderSettings],
    threads: usize,
) -> Result<Held<'a>, InputError> {
    let each = |changes: Vec<_>, out: &mut Held<'a>| -> Result<(), InputError> {
        for change in changes {
            if let Some(r) = reader.change(change, providers).map_err(structure_error)? {
                out.hold(r, reader.keys);
            }
        }
        Ok(())
    };
    // Room for every entry's resource: one allocation, not a doubling
    // growth that holds twice the memory while it copies (the room inert
    // resources leave is address space only).
    let mut out = Held {
        resources: Vec::with_capacity(changes.len()),
        inert: Vec::new(),
    };
    if threads < 2 || changes.len() < TWO_THREADS_FROM {
        each(changes, &mut out)?;
        return Ok(out);
    }
    let second = changes.split_off(changes.len() / 2);
    // The second half comes back in small batches, appended as they come:
    // never a second vector of half the resources beside the first.
    let (send, batches) = std::sync::mpsc::channel();
    std::thread::scope(|s| {
        s.spawn(move || {
            let mut batch = Held::default();
            for change in second {
                match reader.change(change, providers) {
                    Ok(None) => {}
                    Ok(Some(r)) => {
                        batch.hold(r, reader.keys);
                        if batch.resources.len() + batch.inert.len() == BATCH {
                            let full = std::mem::take(&mut batch);
                            if send.send(Ok(full)).is_err() {
                                return;
                            }
                        }
                    }
                    Err(e) => {
                        let _ = send.send(Err(structure_error(e)));
                        return;
                    }
                }
            }
            let _ = send.send(Ok(batch));
        });
        // The first error in the document's order.
        each(changes, &mut out)?;
        for batch in batches {
            out.append(batch?);
        }
        Ok(out)
    })
}

/// How many resources the second thread hands over at a time.
const BATCH: usize = 512;

/// S10: a plan that stopped on errors, or a partial one.
fn plan_notes(
    text: &str,
    file: FileId,
    errored: Option<&RawValue>,
    complete: Option<&RawValue>,
) -> Vec<Note> {
    let notes = [
        (
            errored,
            "true",
            Code::PlanErrored,
            "the plan stopped on errors (`errored: true`); the result covers only the resources it shows",
        ),
        (
            complete,
            "false",
            Code::PlanIncomplete,
            "the plan is partial (`complete: false`, e.g. -target); the result covers only the resources it shows",
        ),
    ];
    notes
        .into_iter()
        .filter_map(|(raw, value, code, message)| {
            let raw = raw.filter(|r| r.get() == value)?;
            let span = Span::new(file, range_in(text, raw.get()));
            Some(Note {
                code,
                message: message.into(),
                help:
                    "check a complete plan: fix the errors and run `terraform plan` without -target"
                        .into(),
                focus: span.clone(),
                span,
            })
        })
        .collect()
}

fn read_raw_state<'a>(
    text: &'a str,
    file: FileId,
    top: &RawStateTop<'a>,
    keys: &dyn TagKeys,
    inventory: &mut Inventory<'a>,
) -> Result<(), InputError> {
    let version = top.version.map(RawValue::get).unwrap_or_default();
    if version != "4" {
        let range = top.version.map_or(0..1, |v| range_in(text, v.get()));
        return Err(InputError::new(
            ErrorCode::UnsupportedFormatVersion,
            format!("raw state version {version} is not supported (tierkey reads version 4)"),
        )
        .help("run `terraform show -json > state.json` and check that file instead")
        .at(range));
    }
    if let Some(raw) = top.resources {
        let resources: Vec<&RawValue> = parse_in(text, raw.get()).map_err(structure_error)?;
        let reader = Reader {
            text,
            file,
            config: None,
            keys,
        };
        let mut held = Held::default();
        for raw in resources {
            let resource: RawStateResource<'_> =
                parse_in(text, raw.get()).map_err(structure_error)?;
            reader
                .raw_state(resource, &mut held)
                .map_err(structure_error)?;
        }
        inventory.hold(held);
    }
    Ok(())
}

fn check_format_version(text: &str, raw: &RawValue) -> Result<(), InputError> {
    let span = range_in(text, raw.get());
    let version: Option<String> = serde_json::from_str(raw.get()).ok();
    let major = version
        .as_deref()
        .and_then(|v| v.split('.').next())
        .and_then(|m| m.parse::<u32>().ok());
    match major {
        Some(0 | 1) => Ok(()),
        _ => Err(InputError::new(
            ErrorCode::UnsupportedFormatVersion,
            format!("format_version {} is not supported", clip(raw.get(), 40)),
        )
        .help("tierkey reads format versions 0.x and 1.x (Terraform 0.12 and later, every OpenTofu); a new major version changes the format incompatibly, so upgrade tierkey")
        .at(span)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Tier;
    impl TagKeys for Tier {
        fn reads(&self, key: &str) -> bool {
            key == "tier"
        }
    }

    fn walk(json: &str, threads: usize) -> Walk<'_, 'static> {
        Walk {
            text: json,
            file: FileId(0),
            json,
            base: 0,
            trailing_allowed: false,
            keys: &Tier,
            threads,
        }
    }

    const CHANGES: &str = r#""resource_changes":[{"address":"aws_db_instance.a","mode":"managed","type":"aws_db_instance","name":"a","provider_name":"registry.terraform.io/hashicorp/aws","change":{"actions":["create"],"after":{"tags":{"tier":"database"},"tags_all":{"tier":"database"}},"after_unknown":{}}},{"address":"aws_kms_key.k","mode":"managed","type":"aws_kms_key","name":"k","provider_name":"registry.terraform.io/hashicorp/aws","change":{"actions":["create"],"after":{"tags":{"tier":"database"},"tags_all":{"tier":"database"},"is_enabled":true},"after_unknown":{"arn":true}}}]"#;
    const CONFIG: &str = r#""configuration":{"provider_config":{"aws":{"name":"aws","full_name":"registry.terraform.io/hashicorp/aws","expressions":{"region":{"references":["var.region"]}}}},"root_module":{"resources":[{"address":"aws_db_instance.a","mode":"managed","type":"aws_db_instance","name":"a","provider_config_key":"aws","expressions":{}},{"address":"aws_kms_key.k","mode":"managed","type":"aws_kms_key","name":"k","provider_config_key":"aws","expressions":{}}],"variables":{"region":{"default":"eu-west-1"}}}}"#;
    const VARIABLES: &str = r#""variables":{"region":{"value":"us-east-2"}}"#;
    const VALUES: &str = r#""planned_values":{"root_module":{}}"#;

    /// The plans read alike both ways; `first`: whether the configuration
    /// is read first.
    fn check(json: &str, first: bool) {
        for threads in [1, 2] {
            let (read_first, kept) = walk(json, threads).both_ways();
            assert_eq!(read_first.is_some(), first, "{json}");
            if let Some(read_first) = read_first {
                assert_eq!(read_first, kept, "{json}");
            }
            assert!(kept.contains("us-east-2"), "{kept}");
        }
    }

    #[test]
    fn the_configuration_is_read_first_in_both_orders_plans_come_in() {
        // Terraform's order, and keys sorted.
        check(
            &format!(
                r#"{{"format_version":"1.2","terraform_version":"1.11.0",{VARIABLES},{VALUES},{CHANGES},{CONFIG},"errored":false}}"#
            ),
            true,
        );
        check(
            &format!(
                r#"{{"applyable":true,{CONFIG},"format_version":"1.2",{VALUES},{CHANGES},"terraform_version":"1.11.0",{VARIABLES}}}"#
            ),
            true,
        );
    }

    /// Every plan of the fixtures (most written by Terraform itself) is
    /// read configuration first, and reads as with the entries kept: a
    /// guess that stops being taken would read every plan twice.
    #[test]
    fn the_fixtures_plans_are_read_configuration_first() {
        let mut plans = 0;
        for entry in walkdir::WalkDir::new(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures")) {
            let path = entry.unwrap().into_path();
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            if path.extension().is_none_or(|e| e != "json")
                || !text.contains("\"resource_changes\"")
                || !text.contains("\"terraform_version\"")
            {
                continue;
            }
            plans += 1;
            let (first, kept) = walk(&text, 1).both_ways();
            assert_eq!(first.as_ref(), Some(&kept), "{}", path.display());
        }
        assert!(plans >= 40, "{plans} plans");
    }

    /// An indented plan (`jq .`, editors) is read configuration first too.
    #[test]
    fn an_indented_plan_is_read_configuration_first() {
        // In Terraform's order (serde_json would sort the keys).
        let compact =
            format!(r#"{{"format_version":"1.2",{VARIABLES},{VALUES},{CHANGES},{CONFIG}}}"#);
        let indented = compact
            .replace("\":", "\": ")
            .replace("{\"", "{\n  \"")
            .replace(",\"", ",\n  \"");
        assert!(indented.contains("\"configuration\": {\n  \"provider_config\": "));
        serde_json::from_str::<serde_json::Value>(&indented).unwrap();
        check(&indented, true);
    }

    #[test]
    fn a_wrong_guess_is_not_taken() {
        // Root variables in neither place they are looked for.
        check(
            &format!(
                r#"{{"format_version":"1.2",{VALUES},{CHANGES},{VARIABLES},{CONFIG},"errored":false}}"#
            ),
            false,
        );
        // A resource attribute that looks like the configuration, after it.
        let decoy = r#""x":{"configuration":{"root_module":{}}}"#;
        check(
            &format!(
                r#"{{"format_version":"1.2",{VARIABLES},{VALUES},{CHANGES},{CONFIG},{decoy}}}"#
            ),
            false,
        );
        // Inside the planned values, before the changes: never looked for
        // there, and the configuration after them is found.
        check(
            &format!(
                r#"{{"applyable":true,"planned_values":{{"configuration":{{"root_module":{{}}}}}},{CHANGES},{CONFIG},{VARIABLES}}}"#
            ),
            true,
        );
        // Root variables followed by another member, in a plan not in
        // Terraform's order: not the last member, so not taken for them.
        check(
            &format!(r#"{{"applyable":true,{CONFIG},{VALUES},{CHANGES},{VARIABLES},"zz":1}}"#),
            false,
        );
    }

    /// Large enough to be read on two threads, each converting its part:
    /// the same resources (and addresses of inert ones: every third), and
    /// the same first error when an entry in the second part is malformed.
    #[test]
    fn a_large_plan_reads_alike_both_ways_on_two_threads() {
        let entry = |i: usize| {
            let tag = if i % 3 == 0 { "env" } else { "tier" };
            format!(
                r#"{{"address":"aws_db_instance.r{i}","mode":"managed","type":"aws_db_instance","name":"r{i}","change":{{"actions":["create"],"after":{{"tags":{{"{tag}":"database"}},"tags_all":{{"{tag}":"database"}},"identifier":"a-database-instance-with-a-long-name-{i}"}},"after_unknown":{{}}}}}}"#
            )
        };
        let entries: Vec<String> = (0..24_000).map(entry).collect();
        let good = format!(
            r#"{{"format_version":"1.2",{VARIABLES},{VALUES},"resource_changes":[{}],{CONFIG}}}"#,
            entries.join(",")
        );
        assert!(good.len() >= top::TWO_THREADS_FROM);
        let bad = good.replace(
            r#""mode":"managed","type":"aws_db_instance","name":"r20000""#,
            r#""type":"aws_db_instance","name":"r20000""#,
        );
        for json in [&good, &bad] {
            let (first, kept) = walk(json, 2).both_ways();
            let first = first.expect("the configuration read first");
            assert_eq!(first, kept);
            assert_eq!(first, walk(json, 1).both_ways().1);
        }
        assert!(walk(&bad, 2).both_ways().1.starts_with("Err("));
    }

    /// Not an object, or cut short: no guess to take, and the same error.
    #[test]
    fn a_document_that_is_no_plan_is_read_alike() {
        for json in [
            r#""variables":{},"resource_changes":[],"configuration":{"root_module":{}}"#,
            r#"["variables":{},"resource_changes":[{}]]"#,
            r#"{"variables":{},"resource_changes":[{"#,
            r#"{"resource_changes":[],"configuration":{"root_module":"#,
        ] {
            let (first, kept) = walk(json, 1).both_ways();
            assert!(kept.starts_with("Err("), "{kept}");
            assert!(first.is_none_or(|first| first == kept), "{json}");
        }
    }

    #[test]
    fn errors_are_the_same_both_ways() {
        let good = format!(r#"{{"format_version":"1.2",{VARIABLES},{VALUES},{CHANGES},{CONFIG}}}"#);
        for bad in [
            good.replace(
                r#""mode":"managed","type":"aws_kms_key""#,
                r#""type":"aws_kms_key""#,
            ),
            good.replace(
                r#""tier":"database"},"tags_all""#,
                r#""tier":"database"},"tags_all":x"#,
            ),
            good.replace(r#""format_version":"1.2""#, r#""format_version":"9.0""#),
            good.replace(
                r#""provider_config":{"aws":{"#,
                r#""provider_config":{"aws":["#,
            ),
        ] {
            let (first, kept) = walk(&bad, 1).both_ways();
            assert!(kept.starts_with("Err("), "{kept}");
            if let Some(first) = first {
                assert_eq!(first, kept);
            }
        }
    }

    /// Tiers with JSONPath selectors: every resource may be read.
    struct Selecting;

    impl TagKeys for Selecting {
        fn reads(&self, key: &str) -> bool {
            key == "tier"
        }

        fn reads_every_resource(&self) -> bool {
            true
        }
    }

    /// The addresses of the resources held, and of those kept as an
    /// address only.
    fn held(json: &str, keys: &dyn TagKeys, threads: usize) -> (Vec<String>, Vec<String>) {
        let walk = Walk {
            keys,
            threads,
            ..walk(json, threads)
        };
        let top = walk.entries_kept().unwrap();
        let mut inventory = Inventory::default();
        read_plan_or_state(json, FileId(0), top, None, keys, &mut inventory, threads).unwrap();
        (
            inventory
                .resources
                .iter()
                .map(|r| r.address.to_string())
                .collect(),
            inventory.inert.iter().map(ToString::to_string).collect(),
        )
    }

    /// Only resources no rule can read are kept as an address: not keys,
    /// aliases, what points at a bucket, resources with a tag the rules
    /// read or tags that may be unknown, nor one whose ARN may settle
    /// others' regions; and none at all when the tiers have selectors.
    #[test]
    fn only_inert_resources_are_kept_as_addresses() {
        let entry = |address: &str, actions: &str, values: &str, unknown: &str| {
            let (rtype, name) = address.split_once('.').unwrap();
            format!(
                r#"{{"address":"{address}","mode":"managed","type":"{rtype}","name":"{name}","provider_name":"registry.terraform.io/hashicorp/aws","change":{{"actions":[{actions}],"before":{values},"after":{values},"after_unknown":{unknown}}}}}"#
            )
        };
        let create = r#""create""#;
        let entries = [
            entry("aws_db_instance.untagged", create, "{}", "{}"),
            entry(
                "aws_db_instance.other_tags",
                create,
                r#"{"tags_all":{"env":"prod"}}"#,
                "{}",
            ),
            entry(
                "aws_db_instance.tier",
                create,
                r#"{"tags_all":{"tier":"web"}}"#,
                "{}",
            ),
            entry(
                "aws_db_instance.unknown_tags",
                create,
                "{}",
                r#"{"tags":true,"tags_all":true}"#,
            ),
            entry("aws_kms_key.untagged", create, "{}", "{}"),
            entry("aws_kms_alias.a", create, r#"{"name":"alias/a"}"#, "{}"),
            entry("aws_s3_bucket.b", create, r#"{"bucket":"b"}"#, "{}"),
            entry(
                "aws_s3_bucket_server_side_encryption_configuration.b",
                create,
                r#"{"bucket":"b"}"#,
                "{}",
            ),
            entry(
                "aws_sqs_queue.by_arn",
                r#""update""#,
                r#"{"arn":"arn:aws:sqs:eu-west-1:123456789012:q"}"#,
                "{}",
            ),
            entry("google_storage_bucket.g", create, "{}", "{}"),
        ];
        let json = format!(
            r#"{{"format_version":"1.2","planned_values":{{}},"resource_changes":[{}]}}"#,
            entries.join(",")
        );
        let every: Vec<String> = entries
            .iter()
            .map(|e| e.split('"').nth(3).unwrap().to_string())
            .collect();
        for threads in [1, 2] {
            let (resources, inert) = held(&json, &Tier, threads);
            assert_eq!(
                inert,
                [
                    "aws_db_instance.untagged",
                    "aws_db_instance.other_tags",
                    "aws_s3_bucket.b",
                    "google_storage_bucket.g"
                ]
            );
            assert_eq!(resources.len() + inert.len(), every.len());
            assert!(resources.iter().all(|r| !inert.contains(r)));
            assert_eq!(held(&json, &Selecting, threads), (every.clone(), vec![]));
        }
    }
}
