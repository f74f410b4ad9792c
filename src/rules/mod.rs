//! The rules, over one input's [`Inventory`].
//!
//! [`check`] runs every rule for every tier: membership is decided once per
//! tier ([`membership`]) and shared; each rule is one file
//! ([`tier_key_per_region`]); notes about the input itself are reported
//! once, whatever the tiers; `--strict` is applied once, at the end. Adding
//! a rule is a new file here and one line in [`check`].

mod diags;
mod membership;

pub(crate) use diags::source_note;
mod tier_key_per_region;

use crate::finding::{Finding, RegionCheck, Severity};
use crate::model::Inventory;
use crate::tier::Tier;

/// Options of the rules that hold for every tier.
#[derive(Debug, Clone, Default)]
pub struct RuleOptions {
    /// `--strict`: every warning becomes an error.
    pub strict: bool,
}

/// Applies every rule for every tier to one input; `input` names it in the
/// findings.
pub(crate) fn check(
    inventory: &Inventory<'_>,
    tiers: &[Tier],
    options: &RuleOptions,
    input: &str,
) -> (Vec<Finding>, Vec<RegionCheck>) {
    let mut findings = Vec::new();
    let mut checks = Vec::new();
    for tier in tiers {
        let classified = membership::classify(inventory, tier);
        let (found, checked) = tier_key_per_region::check(inventory, tier, &classified);
        findings.extend(classified.findings);
        findings.extend(found);
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
    for f in &mut findings {
        f.input = input.to_string();
    }
    for c in &mut checks {
        c.input = input.to_string();
    }
    (findings, checks)
}
