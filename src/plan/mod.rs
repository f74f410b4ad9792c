//! `terraform show -json` / `tofu show -json` plans and states, and raw
//! `terraform.tfstate` files, read into the [`Inventory`] the rules check.
//!
//! The document is parsed once, typed and borrowed: the top level into raw
//! slices, then only the parts the rule needs (`resource_changes`, or the
//! value trees when there are no changes; `configuration`; `variables`)
//! into small structs that keep `&str` slices of the input ([`views`]).
//! Nothing is copied into a DOM. This module owns what is particular to
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
use crate::json::lenient::LenientObject;
use crate::json::Located;
use crate::json::{cursor_error, parse_in, syntax_error};
use crate::model::{Inventory, Note, ProviderSettings, Resource, TagKeys};
use crate::source::{clip, range_in, FileId, Span};
use configuration::Configuration;
use instances::Reader;
use views::{RawStateResource, RawStateTop, ResourceChange, Top, ValuesRoot};

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
            let top = top::read(json, trailing_allowed, threads)
                .map_err(|e| cursor_error(&e, body.start))?;
            read_plan_or_state(text, file, top, keys, &mut inventory, threads)?
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

/// The kind, and a plan's root variable values.
fn read_plan_or_state<'a>(
    text: &'a str,
    file: FileId,
    top: Top<'a>,
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
            Reader {
                text,
                file,
                config: None,
                keys,
            }
            .values_tree(
                values.0.map(|v| v.root_module),
                &[],
                &mut inventory.resources,
            )
            .map_err(structure_error)?;
        }
        return Ok((InputKind::State, BTreeMap::new()));
    }
    let config = match top.configuration {
        Some(raw) => {
            Some(Configuration::new(text, file, raw, top.variables).map_err(structure_error)?)
        }
        None => None,
    };
    let reader = Reader {
        text,
        file,
        config: config.as_ref(),
        keys,
    };
    let providers = config.as_ref().map_or(&[][..], |c| &c.settings[..]);
    if let Some(changes) = top.resource_changes {
        inventory.resources = convert(&reader, changes.kept, providers, threads)?;
    } else if let Some(raw) = top.planned_values {
        let values: LenientObject<ValuesRoot<'_>> =
            parse_in(text, raw.get()).map_err(structure_error)?;
        reader
            .values_tree(
                values.0.map(|v| v.root_module),
                providers,
                &mut inventory.resources,
            )
            .map_err(structure_error)?;
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
) -> Result<Vec<Resource<'a>>, InputError> {
    let each = |changes: Vec<_>, out: &mut Vec<Resource<'a>>| -> Result<(), InputError> {
        for change in changes {
            if let Some(r) = reader.change(change, providers).map_err(structure_error)? {
                out.push(r);
            }
        }
        Ok(())
    };
    // Most entries become a resource: one allocation, not a doubling
    // growth that holds twice the memory while it copies.
    let mut out = Vec::with_capacity(changes.len());
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
            let mut batch = Vec::with_capacity(BATCH);
            for change in second {
                match reader.change(change, providers) {
                    Ok(None) => {}
                    Ok(Some(r)) => {
                        batch.push(r);
                        if batch.len() == BATCH {
                            let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
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
            out.extend(batch?);
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
        for raw in resources {
            let resource: RawStateResource<'_> =
                parse_in(text, raw.get()).map_err(structure_error)?;
            reader
                .raw_state(resource, &mut inventory.resources)
                .map_err(structure_error)?;
        }
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
