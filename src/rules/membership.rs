//! What each resource of an input is for one tier: a tier resource (rule
//! S5), a candidate key and whether it is a tier key (S6, S7), or neither —
//! decided once per tier and shared by every rule. The findings about
//! membership itself (global tier resources, unknown tags, tags that differ
//! only in case, provider `ignore_tags` hiding the tier tag) are made here.

use crate::aws::{is_global_type, is_key_type, Usability};
use crate::finding::Finding;
use crate::model::Inventory;
use crate::tier::{Membership, Tier};

use super::diags;

/// What one resource is for the tier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Role {
    /// Not the tier's business (another provider, another tier, a global
    /// resource, unknown tags).
    Other,
    /// A tier resource (S5).
    Member,
    /// A candidate key (S6) and what it is for the tier.
    Key(KeyRole),
}

/// What a candidate key is for the tier (S7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum KeyRole {
    /// A usable tier key.
    Tier,
    /// Maybe a tier key: its tags or usability are unknown (why).
    Possible(String),
    /// Tagged for the tier, but it cannot protect data (why).
    Unusable(String),
    /// Its tag differs from a tier tag only in case (the tag).
    NearMiss(String),
    /// Not a tier key.
    Other,
}

/// Every resource's role, and the membership findings.
pub(super) struct Classified {
    pub roles: Vec<Role>,
    pub findings: Vec<Finding>,
    /// Keys that are a usable tier key of another tier of the run (by
    /// resource index; empty when there is none): never suggested for
    /// re-tagging.
    pub taken: Vec<bool>,
}

pub(super) fn classify(inventory: &Inventory<'_>, tier: &Tier) -> Classified {
    let mut roles = Vec::with_capacity(inventory.resources.len());
    let mut findings = Vec::new();
    let mut unknown_tags: std::collections::BTreeMap<
        (String, String),
        Vec<&crate::model::Resource<'_>>,
    > = std::collections::BTreeMap::new();
    for r in &inventory.resources {
        if !r.is_aws || r.rtype == "aws_kms_alias" {
            roles.push(Role::Other);
            continue;
        }
        if is_key_type(&r.rtype) {
            let key_role = match (tier.membership(&r.tags), r.usability()) {
                (Membership::Member, Usability::Usable) => KeyRole::Tier,
                (Membership::Member, Usability::Unusable(why)) => KeyRole::Unusable(why.clone()),
                (Membership::Member, Usability::Unknown(why)) => KeyRole::Possible(why.clone()),
                (Membership::Unknown, Usability::Usable | Usability::Unknown(_)) => {
                    KeyRole::Possible(r.tags.unknown_why())
                }
                (Membership::CaseMismatch(tag), _) => KeyRole::NearMiss(tag),
                _ => KeyRole::Other,
            };
            let counts = !matches!(key_role, KeyRole::Other | KeyRole::NearMiss(_));
            if r.forgotten && counts {
                findings.push(diags::forgotten(inventory, tier, r, "key"));
            }
            roles.push(Role::Key(key_role));
            continue;
        }
        // Selectors of tierkey.toml decide before tags do.
        let membership = match tier.selects(&r.rtype, &r.address, || inventory.values(r)) {
            Ok(Some(true)) => Membership::Member,
            Ok(Some(false)) => Membership::NotMember,
            Ok(None) => tier.membership(&r.tags),
            // The selectors cannot decide: the membership is unknown.
            Err(why) => {
                findings.push(diags::selectors_unreadable(inventory, tier, r, &why));
                roles.push(Role::Other);
                continue;
            }
        };
        let global = is_global_type(&r.rtype);
        let role = match membership {
            Membership::Member if global => {
                findings.push(diags::global_tier_resource(inventory, tier, r));
                Role::Other
            }
            Membership::Member => {
                if r.forgotten {
                    findings.push(diags::forgotten(inventory, tier, r, "resource"));
                }
                Role::Member
            }
            Membership::Unknown if !global => {
                // One finding per cause: the same reason in one module.
                let module = crate::model::block_address(&r.address);
                let module = module
                    .rsplitn(3, '.')
                    .nth(2)
                    .unwrap_or_default()
                    .to_string();
                unknown_tags
                    .entry((module, r.tags.unknown_why()))
                    .or_default()
                    .push(r);
                Role::Other
            }
            Membership::CaseMismatch(tag) => {
                findings.push(diags::case_mismatch(inventory, tier, r, &tag));
                Role::Other
            }
            _ => Role::Other,
        };
        roles.push(role);
    }
    for alike in unknown_tags.values() {
        findings.push(diags::tags_unknown(inventory, tier, alike));
    }
    for provider in inventory.providers.iter().filter(|p| p.is_aws) {
        if let (Some(why), Some(site)) = (tier.hidden_by(&provider.ignore_tags), &provider.site) {
            findings.push(diags::tier_tag_ignored(tier, &provider.key, site, &why));
        }
    }
    Classified {
        roles,
        findings,
        taken: Vec::new(),
    }
}
