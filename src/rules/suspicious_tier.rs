//! Rule S18: a tier that matches nothing is suspicious. When a tier matches
//! no resource and no key of an input, but tags there come close to its tag
//! pairs — the same key with other values, or a key or value that differs
//! only in case, spaces or a letter or two — a typo in a CI setting may be
//! giving a silent pass forever: the finding says what was seen.

use std::collections::{BTreeMap, BTreeSet};

use crate::finding::Finding;
use crate::model::Inventory;
use crate::tier::{near, TagValue, Tier};

use super::diags;
use super::membership::{Classified, KeyRole, Role};

/// How many values of a key a finding names.
const SHOWN_VALUES: usize = 5;

/// The finding when the tier matches nothing here but tags come close.
pub(super) fn check(
    inventory: &Inventory<'_>,
    tier: &Tier,
    classified: &Classified,
) -> Option<Finding> {
    let matched = classified.roles.iter().any(|role| {
        matches!(
            role,
            Role::Member | Role::Key(KeyRole::Tier | KeyRole::Possible(_) | KeyRole::Unusable(_))
        )
    });
    // Unknown tags, global resources or ignored tags say something of
    // their own; tags that differ only in case are what this is about.
    let other_findings = classified
        .findings
        .iter()
        .any(|f| f.code != crate::finding::Code::TierTagCaseMismatch);
    if matched || other_findings {
        return None;
    }
    // Every tag key seen on the input's AWS resources, with its values.
    let mut seen: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for r in inventory.resources.iter().filter(|r| r.is_aws) {
        for (key, value) in &r.tags.known {
            seen.entry(key.as_ref()).or_default().insert(value.as_ref());
        }
    }
    let mut close = Vec::new();
    for pair in &tier.pairs {
        for (key, values) in &seen {
            let same_key = *key == pair.key;
            if !same_key && !near(key, &pair.key) {
                continue;
            }
            let shown: Vec<&str> = values.iter().copied().take(SHOWN_VALUES).collect();
            let guess = match &pair.value {
                TagValue::Exact(wanted) => values
                    .iter()
                    .find(|v| **v == wanted || near(v, wanted))
                    .map(|v| format!("{key}={v}")),
                TagValue::Regex(_) => None,
            };
            let mut text = format!(
                "tag `{key}` has the values {}{}",
                shown
                    .iter()
                    .map(|v| format!("{v:?}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                if values.len() > SHOWN_VALUES {
                    ", ..."
                } else {
                    ""
                }
            );
            if let Some(guess) =
                guess.filter(|g| *g != format!("{}={}", pair.key, value_text(&pair.value)))
            {
                text.push_str(&format!(" (did you mean {guess}?)"));
            } else if !same_key {
                text.push_str(&format!(" (did you mean the key `{key}`?)"));
            }
            close.push(text);
        }
    }
    if close.is_empty() {
        return None;
    }
    Some(diags::suspicious_tier(inventory, tier, &close))
}

fn value_text(value: &TagValue) -> String {
    match value {
        TagValue::Exact(v) => v.clone(),
        TagValue::Regex(r) => r.as_str().to_string(),
    }
}
