//! The rules, over one input's [`Inventory`].
//!
//! [`check`] runs every rule for every tier: membership is decided once per
//! tier ([`membership`]) and shared; each rule is one file
//! ([`tier_key_per_region`], [`tier_key_in_use`], [`suspicious_tier`]); notes about the input itself are reported
//! once, whatever the tiers; `--strict` is applied once, at the end. Adding
//! a rule is a new file here and one line in [`check`].

mod diags;
mod membership;
mod suspicious_tier;
mod tier_key_in_use;
mod tier_key_per_region;

pub(crate) use diags::source_note;

use std::sync::Arc;

use crate::finding::{Finding, RegionCheck, Severity};
use crate::model::Inventory;
use crate::tier::Tier;

/// Options of the rules that hold for every tier.
#[derive(Debug, Clone, Default)]
pub struct RuleOptions {
    /// `--strict`: every warning becomes an error.
    pub strict: bool,
}

/// S17: a candidate key of another input judged together with this one.
#[derive(Debug, Clone)]
pub(crate) struct SharedKey {
    pub tier: String,
    /// The input that holds it, and its address there.
    pub input: String,
    pub address: String,
    pub region: Option<String>,
    pub arn: Option<String>,
    pub key_id: Option<String>,
    /// Alias names that target it there.
    pub aliases: Vec<String>,
    /// Root outputs of its input that name it (or one of its aliases).
    pub outputs: Vec<String>,
    /// A usable tier key; else why not.
    pub tier_key: Result<(), String>,
}

/// Every tier's classification of the input's resources; a tier key of one
/// tier is marked `taken` for the others (no key to re-tag for them).
fn classify_all(inventory: &Inventory<'_>, tiers: &[Tier]) -> Vec<membership::Classified> {
    let mut all: Vec<membership::Classified> = tiers
        .iter()
        .map(|tier| membership::classify(inventory, tier))
        .collect();
    if all.len() > 1 {
        let tier_keys: Vec<Vec<bool>> = all
            .iter()
            .map(|c| {
                c.roles
                    .iter()
                    .map(|r| matches!(r, membership::Role::Key(membership::KeyRole::Tier)))
                    .collect()
            })
            .collect();
        for (t, classified) in all.iter_mut().enumerate() {
            classified.taken = (0..inventory.resources.len())
                .map(|i| (0..tier_keys.len()).any(|o| o != t && tier_keys[o][i]))
                .collect();
        }
    }
    all
}

/// S17: the candidate keys of one input, for the other inputs of its group.
pub(crate) fn shared_keys(
    inventory: &Inventory<'_>,
    tiers: &[Tier],
    input: &str,
) -> Vec<SharedKey> {
    use crate::aws::{is_key_type, KeyUse};
    use crate::model::{block_address, Region};
    let mut out = Vec::new();
    let all = classify_all(inventory, tiers);
    for (tier, classified) in tiers.iter().zip(all) {
        for (k, r) in inventory.resources.iter().enumerate() {
            if !is_key_type(&r.rtype) {
                continue;
            }
            let tier_key = match &classified.roles[k] {
                membership::Role::Key(membership::KeyRole::Tier) => Ok(()),
                membership::Role::Key(membership::KeyRole::Possible(why)) => {
                    Err(format!("may be a {} tier key, but {why}", tier.name))
                }
                membership::Role::Key(membership::KeyRole::Unusable(why)) => Err(why.clone()),
                _ => Err(format!("is not tagged {}", tier.describe())),
            };
            let names_it = |target: Option<&KeyUse>| match target {
                Some(KeyUse::Reference { address, .. }) => {
                    block_address(address) == block_address(&r.address)
                }
                Some(KeyUse::Named(value)) => {
                    r.names().key_id.as_deref() == Some(value)
                        || r.names().arn.as_deref() == Some(value)
                }
                _ => false,
            };
            let aliases: Vec<&crate::model::Resource<'_>> = inventory
                .resources
                .iter()
                .filter(|a| a.rtype == "aws_kms_alias" && names_it(a.names().target.as_ref()))
                .collect();
            let outputs = inventory
                .outputs
                .iter()
                .filter(|(_, address)| {
                    block_address(address) == block_address(&r.address)
                        || aliases
                            .iter()
                            .any(|a| block_address(address) == block_address(&a.address))
                })
                .map(|(name, _)| name.clone())
                .collect();
            out.push(SharedKey {
                tier: tier.name.clone(),
                input: input.to_string(),
                address: r.address.to_string(),
                region: match &r.region {
                    Region::Known { name, .. } => Some(name.to_string()),
                    Region::Unknown { .. } => None,
                },
                arn: r.names().arn.clone(),
                key_id: r.names().key_id.clone(),
                aliases: aliases
                    .iter()
                    .filter_map(|a| a.names().name.clone())
                    .collect(),
                outputs,
                tier_key,
            });
        }
    }
    out
}

/// One copy of each text the findings of an input repeat: their input,
/// tier and help texts (thousands of findings may say the same).
#[derive(Default)]
pub(super) struct Texts(std::collections::HashSet<Arc<str>>);

impl Texts {
    fn get(&mut self, text: &str) -> Arc<str> {
        if let Some(shared) = self.0.get(text) {
            return shared.clone();
        }
        let shared: Arc<str> = text.into();
        self.0.insert(shared.clone());
        shared
    }

    /// Makes a finding's tier and help the shared copies.
    pub(super) fn share(&mut self, f: &mut Finding) {
        f.tier = self.get(&f.tier);
        f.help = self.get(&f.help);
    }
}

/// Applies every rule for every tier to one input; `input` names it in the
/// findings; `shared`: the keys of the other inputs of its group (S17).
pub(crate) fn check(
    inventory: &Inventory<'_>,
    tiers: &[Tier],
    options: &RuleOptions,
    input: &str,
    shared: &[SharedKey],
) -> (Vec<Finding>, Vec<RegionCheck>) {
    let mut checks = Vec::new();
    let all = classify_all(inventory, tiers);
    // One vector, not one per rule copied into it: room for a finding per
    // tier resource (the in-use rule may make that many), the membership
    // findings, a few per tier of each other rule, the notes and the note
    // about the source. A plan of many tier resources has thousands of
    // findings; room beyond is never touched.
    let room = all
        .iter()
        .map(|c| {
            c.roles
                .iter()
                .filter(|r| **r == membership::Role::Member)
                .count()
                + c.findings.len()
                + 8
        })
        .sum::<usize>()
        + inventory.notes.len()
        + 1;
    let mut findings = Vec::with_capacity(room);
    let mut texts = Texts::default();
    for (tier, mut classified) in tiers.iter().zip(all) {
        let shared: Vec<&SharedKey> = shared.iter().filter(|k| k.tier == tier.name).collect();
        let (found, checked) = tier_key_per_region::check(inventory, tier, &classified, &shared);
        findings.extend(suspicious_tier::check(inventory, tier, &classified));
        findings.append(&mut classified.findings);
        findings.extend(found);
        tier_key_in_use::check(
            inventory,
            tier,
            &classified,
            &shared,
            &mut findings,
            &mut texts,
        );
        checks.extend(checked);
    }
    // Notes about the input do not depend on the tier: report them once.
    if let Some(tier) = tiers.first() {
        findings.extend(inventory.notes.iter().map(|n| diags::input_note(tier, n)));
    }
    if options.strict {
        for f in &mut findings {
            if f.severity == Severity::Warning {
                f.severity = Severity::Error;
            }
        }
    }
    let input = texts.get(input);
    for f in &mut findings {
        f.input = input.clone();
        texts.share(f);
    }
    for c in &mut checks {
        c.input = input.to_string();
    }
    (findings, checks)
}
