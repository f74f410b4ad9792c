//! Rule S18: a tier that matches nothing is suspicious. When a tier matches
//! no resource and no key of an input, but tags there come close to its tag
//! pairs — the same key with other values, or a key or value that differs
//! only in case, spaces or a letter or two — a typo in a CI setting may be
//! giving a silent pass forever: the finding says what was seen.

use std::collections::{BTreeMap, BTreeSet};

use crate::finding::Finding;
use crate::model::Inventory;
use crate::tier::{TagValue, Tier};

use super::diags;
use super::membership::{Classified, KeyRole, Role};

/// How many letters a seen key or value may differ by to be close.
const MAX_DISTANCE: usize = 2;

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

/// Whether two strings differ only in case, surrounding spaces, or by at
/// most [`MAX_DISTANCE`] letters (and are not both very short).
fn near(a: &str, b: &str) -> bool {
    if a == b {
        return false;
    }
    let (ta, tb) = (a.trim(), b.trim());
    if ta.eq_ignore_ascii_case(tb) || ta.to_lowercase() == tb.to_lowercase() {
        return true;
    }
    let shorter = ta.chars().count().min(tb.chars().count());
    shorter > MAX_DISTANCE && distance(&ta.to_lowercase(), &tb.to_lowercase()) <= MAX_DISTANCE
}

/// Levenshtein distance, in characters; gives up (a large number) on long
/// strings, which are never typos of a tag.
fn distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len() > 128 || b.len() > 128 || a.len().abs_diff(b.len()) > MAX_DISTANCE {
        return usize::MAX;
    }
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let old = row[j + 1];
            row[j + 1] = (old + 1)
                .min(row[j] + 1)
                .min(previous + usize::from(ca != cb));
            previous = old;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_strings() {
        assert!(near("databse", "database"));
        assert!(near("Database", "database"));
        assert!(near("tier ", "tier"));
        assert!(!near("db", "database"));
        assert!(!near("web", "app"));
        assert!(!near("database", "database"));
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("a", "abcd"), usize::MAX);
        assert_eq!(distance("tier", "tire"), 2);
    }
}
