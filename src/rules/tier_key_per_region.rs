//! The rule: every region holding tier resources must hold a tier key.
//!
//! ## What it does
//! For one input and one tier, groups the tier resources (rule S5) and the
//! tier keys (S6, S7) by effective region (S8, S9), and reports each region
//! that holds tier resources but no usable tier key (S11).
//!
//! ## Why is this bad?
//! Conformity KMS-009/010/011: a tier's data at rest should be protected by
//! a customer-managed key the team controls, and KMS keys never leave their
//! region, so every region with tier data needs its own tier key.
//!
//! ## Unknowns
//! An unknown never passes silently (S10): unknown tags, regions and key
//! attributes turn into warnings, and into the `missing-tier-key` error
//! when the input has no tier key at all.
//!
//! ## How to fix
//! Add an `aws_kms_key` carrying the tier tag in each reported region.

use std::collections::BTreeMap;

use super::diags;
use super::membership::{Classified, KeyRole, Role};
use super::SharedKey;
use crate::aws::arn_region;
use crate::finding::{Code, Finding, Label, RegionCheck};
use crate::model::{Inventory, Region};
use crate::source::{FileId, Span};
use crate::tier::Tier;

/// Where a set of instances is, as far as the input tells.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Place {
    Known(String),
    /// Unknown, but shared by every instance of this provider configuration.
    Group(String),
    /// Unknown and not shared: (resource index, region index).
    Alone(usize, usize),
}

impl Place {
    fn of(region: &Region, resource: usize, nth: usize) -> Place {
        match region {
            Region::Known { name, .. } => Place::Known(name.to_string()),
            Region::Unknown { group: Some(g), .. } => Place::Group(g.to_string()),
            Region::Unknown { group: None, .. } => Place::Alone(resource, nth),
        }
    }
}

/// A tier resource's stake in a place: which resource, and how it comes to
/// be there (its own region, or S9: its replica or copy).
#[derive(Clone)]
struct Stake {
    resource: usize,
    how: String,
    /// Its own region, decided by its provider configuration.
    from_provider: bool,
    /// Its own region (not an S9 extra one).
    own_region: bool,
}

/// The candidate keys of one place, by what they are for the tier.
#[derive(Default)]
struct Keys {
    tier: Vec<usize>,
    possible: Vec<(usize, String)>,
    unusable: Vec<(usize, String)>,
    near_miss: Vec<(usize, String)>,
    /// Keys that are not the tier's (untagged, or of a tier not checked in
    /// this run): the tier tag would make them the tier's.
    other: Vec<usize>,
}

/// Applies the rule to one input and one tier.
pub(super) fn check(
    inventory: &Inventory<'_>,
    tier: &Tier,
    classified: &Classified,
    shared: &[&SharedKey],
) -> (Vec<Finding>, Vec<RegionCheck>) {
    let Places {
        mut stakes,
        keys,
        floating,
    } = places(inventory, classified);
    // Keys from outside the input: external keys (S12), and the tier keys
    // of the inputs judged together with it (S17).
    let external: BTreeMap<&str, &str> = tier
        .external_keys
        .iter()
        .filter_map(|arn| Some((arn_region(arn)?, arn.as_str())))
        .chain(
            shared
                .iter()
                .filter(|k| k.tier_key.is_ok())
                .filter_map(|k| Some((k.region.as_deref()?, k.address.as_str()))),
        )
        .collect();
    let any_tier_key = !external.is_empty()
        || !floating.tier.is_empty()
        || keys.values().any(|k| !k.tier.is_empty());
    let any_possible_key =
        !floating.possible.is_empty() || keys.values().any(|k| !k.possible.is_empty());
    for region in &tier.required_regions {
        stakes.entry(Place::Known(region.clone())).or_default();
    }
    let rule = Rule {
        inventory,
        tier,
        floating: &floating,
        keys: &keys,
        input_has_keys: any_tier_key || any_possible_key,
    };
    let empty = Keys::default();
    let mut findings = Vec::new();
    let mut checks = Vec::new();
    for (place, stakes) in &stakes {
        let here = keys.get(place).unwrap_or(&empty);
        let region = match place {
            Place::Known(r) => Some(r.clone()),
            _ => None,
        };
        let external_here = region.as_deref().is_some_and(|r| external.contains_key(r));
        let passed = !here.tier.is_empty() || external_here;
        checks.push(RegionCheck {
            input: String::new(),
            tier: tier.name.clone(),
            subject: place_subject(place, stakes, inventory),
            resources: stakes.len(),
            keys: here.tier.len() + usize::from(external_here),
            region,
            passed,
        });
        if !passed {
            findings.push(rule.region_finding(place, stakes, here));
        }
    }
    (findings, checks)
}

/// Tier resources and candidate keys by place.
struct Places {
    stakes: BTreeMap<Place, Vec<Stake>>,
    keys: BTreeMap<Place, Keys>,
    /// Keys in an unknown region of their own.
    floating: Keys,
}

/// Groups the tier's resources (own region and S9 extra regions) and
/// candidate keys by place.
fn places(inventory: &Inventory<'_>, classified: &Classified) -> Places {
    let mut places = Places {
        stakes: BTreeMap::new(),
        keys: BTreeMap::new(),
        floating: Keys::default(),
    };
    let pairs = inventory
        .resources
        .iter()
        .zip(&classified.roles)
        .enumerate();
    for (i, (r, role)) in pairs {
        match role {
            Role::Key(role) => {
                let slot = match Place::of(&r.region, i, 0) {
                    Place::Alone(..) => &mut places.floating,
                    place => places.keys.entry(place).or_default(),
                };
                match role {
                    KeyRole::Tier => slot.tier.push(i),
                    KeyRole::Possible(why) => slot.possible.push((i, why.clone())),
                    KeyRole::Unusable(why) => slot.unusable.push((i, why.clone())),
                    KeyRole::NearMiss(tag) => slot.near_miss.push((i, tag.clone())),
                    KeyRole::Other if !classified.taken.get(i).copied().unwrap_or(false) => {
                        slot.other.push(i);
                    }
                    KeyRole::Other => {}
                }
            }
            Role::Member => {
                let how = match &r.region {
                    Region::Known { .. } => format!("region from {}", r.region.explain()),
                    Region::Unknown { why, .. } => why.clone(),
                };
                places
                    .stakes
                    .entry(Place::of(&r.region, i, 0))
                    .or_default()
                    .push(Stake {
                        resource: i,
                        how,
                        from_provider: r.region.is_from_provider(),
                        own_region: true,
                    });
                for (n, extra) in r.extra_regions().iter().enumerate() {
                    let how = match extra {
                        Region::Known { .. } => {
                            format!("its data is also there: {}", extra.explain())
                        }
                        Region::Unknown { why, .. } => why.clone(),
                    };
                    let stake = Stake {
                        resource: i,
                        how,
                        from_provider: false,
                        own_region: false,
                    };
                    places
                        .stakes
                        .entry(Place::of(extra, i, n + 1))
                        .or_default()
                        .push(stake);
                }
            }
            Role::Other => {}
        }
    }
    places
}

struct Rule<'i, 'a> {
    inventory: &'i Inventory<'a>,
    tier: &'i Tier,
    /// Keys in an unknown region of their own.
    floating: &'i Keys,
    keys: &'i BTreeMap<Place, Keys>,
    /// Whether the input has any tier key, or any key that may be one.
    input_has_keys: bool,
}

impl Rule<'_, '_> {
    fn label(&self, i: usize, message: String) -> Label {
        diags::label(self.inventory, &self.inventory.resources[i].site, message)
    }

    /// A related label on resource `i`: its block in the configuration when
    /// a plan's configuration is known (what a reviewer can change), else
    /// its place in the input.
    fn relate(&self, i: usize, message: String, elidable: bool, related: &mut Vec<Label>) {
        let mut label = match self.inventory.resources[i].declared() {
            Some(declared) => diags::label(self.inventory, &declared.site, message),
            None => self.label(i, message),
        };
        label.elidable = elidable;
        related.push(label);
    }

    fn address(&self, i: usize) -> &str {
        &self.inventory.resources[i].address
    }

    /// The finding for a place without a confirmed tier key:
    /// `missing-tier-key`, or a warning when a key there cannot be verified
    /// or the place is an unknown region.
    fn region_finding(&self, place: &Place, stakes: &[Stake], here: &Keys) -> Finding {
        let tier = &self.tier.name;
        let (region, where_) = match place {
            Place::Known(r) => (Some(r.clone()), format!("in {r}")),
            _ => (None, "in an unknown region".to_string()),
        };
        // What code review can see first: a resource the configuration
        // declares leads.
        let mut ordered = stakes.to_vec();
        ordered.sort_by_key(|s| self.inventory.resources[s.resource].declared().is_none());
        let labels = self.resource_labels(&ordered, &where_);
        let mut related = labels.related;
        for (i, why) in &here.unusable {
            let message = format!("tagged {tier}-tier key, but it {why}");
            self.relate(*i, message, false, &mut related);
        }
        for (i, tag) in &here.near_miss {
            let message = format!("key tagged {tag}: differs from the tier tag only in case");
            self.relate(*i, message, false, &mut related);
        }
        let doubts = self.doubts(place, stakes, here, &mut related);
        let help = self.help(place, stakes, here, !doubts.all.is_empty());
        let count = stakes.len();
        let resources = if count == 1 { "resource" } else { "resources" };
        let (code, message) = match place {
            Place::Known(r) if doubts.all.is_empty() => (
                Code::MissingTierKey,
                if count == 0 {
                    format!(
                        "required region {r} has no {tier}-tier KMS key ({})",
                        self.tier.describe()
                    )
                } else {
                    format!(
                        "{r} holds {count} {tier}-tier {resources} but no usable customer-managed KMS key tagged {}",
                        self.tier.describe()
                    )
                },
            ),
            Place::Known(r) => (
                Code::TierKeyUnverified,
                format!(
                    "{r} holds {count} {tier}-tier {resources}; no {tier}-tier KMS key there is certain: {}",
                    doubts.all.join("; ")
                ),
            ),
            _ if !self.input_has_keys && !doubts.data_sources => (
                Code::MissingTierKey,
                format!(
                    "{count} {tier}-tier {resources} in an unknown region, and this input has no {tier}-tier KMS key in any region"
                ),
            ),
            _ => (
                Code::RegionUnknown,
                format!(
                    "{count} {tier}-tier {resources} in an unknown region: whether a {tier}-tier key shares it cannot be verified"
                ),
            ),
        };
        let mut finding = diags::finding(self.tier, code, region, message, help, labels.primary)
            .about(&place_subject(place, stakes, self.inventory))
            .with_resources(
                stakes
                    .iter()
                    .map(|s| self.address(s.resource).to_string())
                    .collect(),
            );
        finding.source = labels.source.map(Box::new);
        finding.module_chain = labels.chain;
        finding.related = related;
        finding
    }

    /// The labels of a place's tier resources: the primary (its first tier
    /// resource, or the document for a required region without resources)
    /// and where the configuration declares it, the `module` calls that
    /// reach it, and related labels: the provider configuration and the
    /// `region` argument that placed it, and the other tier resources.
    fn resource_labels(&self, stakes: &[Stake], where_: &str) -> ResourceLabels {
        let tier = &self.tier.name;
        let mut related = Vec::new();
        let Some(first) = stakes.first() else {
            let (span, focus) = self.inventory.document_focus().unwrap_or_else(|| {
                let none = Span::new(FileId(0), 0..0);
                (none.clone(), none)
            });
            let primary = Label {
                focus,
                span,
                message: format!("required region {where_}"),
                elidable: false,
            };
            return ResourceLabels {
                primary,
                source: None,
                chain: Vec::new(),
                related,
            };
        };
        let r = &self.inventory.resources[first.resource];
        let declared = r.declared();
        if first.from_provider {
            let message = format!(
                "the provider configuration that puts {} {where_}",
                r.address
            );
            let provider = r.provider.and_then(|p| self.inventory.providers.get(p));
            let blocks = [
                declared.map(|d| (&d.provider_site, &d.provider_region_site)),
                provider.map(|p| (&p.site, &p.region_site)),
            ];
            for (block, region) in blocks.into_iter().flatten() {
                let Some(block) = block else { continue };
                related.push(diags::label(self.inventory, block, message.clone()));
                // An override file sets the region: point at it too.
                if let Some(region) = region.as_ref().filter(|r| r.file != block.file) {
                    related.push(diags::label(
                        self.inventory,
                        region,
                        "an override file sets its `region` here".to_string(),
                    ));
                }
            }
        }
        if first.own_region && r.region.is_own_argument() {
            let message = format!("the `region` argument that puts {} {where_}", r.address);
            let sites = [
                declared.and_then(|d| d.region_site.as_ref()),
                r.region_site(),
            ];
            for site in sites.into_iter().flatten() {
                related.push(diags::label(self.inventory, site, message.clone()));
            }
        }
        let message = format!("{tier}-tier resource {where_}: {}", first.how);
        let source = declared.map(|d| diags::label(self.inventory, &d.site, message.clone()));
        let primary = self.label(first.resource, message);
        for s in stakes.iter().skip(1) {
            let message = format!(
                "also {tier} tier {where_}: {} ({})",
                self.address(s.resource),
                s.how
            );
            self.relate(s.resource, message, true, &mut related);
        }
        ResourceLabels {
            primary,
            source,
            chain: diags::module_chain(self.inventory, r),
            related,
        }
    }

    /// What could still satisfy this place: keys whose tags, usability or
    /// region are unknown, and keys read through data sources (S10, S12).
    /// Labels each possible key.
    fn doubts(
        &self,
        place: &Place,
        stakes: &[Stake],
        here: &Keys,
        related: &mut Vec<Label>,
    ) -> Doubts {
        let tier = &self.tier.name;
        let mut all: Vec<String> = Vec::new();
        for (i, why) in &here.possible {
            related.push(self.label(*i, format!("possible {tier}-tier key: {why}")));
            all.push(format!("{} ({why})", self.address(*i)));
        }
        if matches!(place, Place::Known(_)) {
            let floating = self
                .floating
                .tier
                .iter()
                .chain(self.floating.possible.iter().map(|(i, _)| i))
                .copied();
            let grouped = self
                .keys
                .iter()
                .filter(|(p, _)| matches!(p, Place::Group(_)) && *p != place)
                .flat_map(|(_, k)| {
                    k.tier
                        .iter()
                        .chain(k.possible.iter().map(|(i, _)| i))
                        .copied()
                });
            for i in floating.chain(grouped) {
                related.push(self.label(i, format!("{tier}-tier key in an unknown region")));
                all.push(format!("{} (its region is unknown)", self.address(i)));
            }
        }
        let mut data_sources = false;
        for s in stakes {
            let r = &self.inventory.resources[s.resource];
            let refs = r.kms_refs.list();
            if !refs.is_empty() {
                data_sources = true;
                all.push(format!(
                    "{} uses {}, whose tags a plan cannot show",
                    r.address,
                    refs.join(", ")
                ));
            }
        }
        Doubts { all, data_sources }
    }

    /// What to do about a place without a confirmed tier key.
    fn help(&self, place: &Place, stakes: &[Stake], here: &Keys, doubtful: bool) -> String {
        let wanted = self.tier.wanted();
        let mut help = match place {
            // A key of the region that only lacks the tier tag is the
            // quickest fix.
            Place::Known(r) if !here.other.is_empty() => {
                let keys: Vec<&str> = here.other.iter().map(|i| self.address(*i)).collect();
                format!(
                    "tag {} with {wanted}, or add an aws_kms_key with {wanted} in {r}",
                    keys.join(" or ")
                )
            }
            Place::Known(r) => format!("add an aws_kms_key with {wanted} in {r}"),
            _ => {
                let provider = stakes
                    .first()
                    .and_then(|s| self.inventory.resources[s.resource].provider)
                    .and_then(|p| self.inventory.providers.get(p))
                    .map(|p| format!(" in provider configuration `{}`", p.key))
                    .unwrap_or_default();
                format!(
                    "make the region known: set `region`{provider}, or give --default-region for what AWS_REGION or a profile supplies at run time; or add an aws_kms_key with {wanted} under the same provider configuration"
                )
            }
        };
        if !here.unusable.is_empty() {
            let listed: Vec<String> = here
                .unusable
                .iter()
                .map(|(i, why)| format!("{} {why}", self.address(*i)))
                .collect();
            help.push_str("; the tagged keys there do not count: ");
            help.push_str(&listed.join(", "));
        }
        for (i, tag) in &here.near_miss {
            help.push_str(&format!(
                "; {} has tag {tag}, but tags are case-sensitive (or run with --ignore-case)",
                self.address(*i)
            ));
        }
        if doubtful && matches!(place, Place::Known(_)) {
            help = format!(
                "make the possible key's tags, settings and region known at plan time, or {help}"
            );
        }
        help
    }
}

/// Why no key of a place is certain.
struct Doubts {
    /// Each possible key, and each data source a tier resource uses.
    all: Vec<String>,
    /// Whether a tier resource uses a KMS data source (S12).
    data_sources: bool,
}

/// What a region finding is about: the region, or the provider
/// configuration (or resource) whose region is unknown.
fn place_subject(place: &Place, stakes: &[Stake], inventory: &Inventory<'_>) -> String {
    match place {
        Place::Known(r) => r.clone(),
        Place::Group(g) => format!("unknown region of {g}"),
        Place::Alone(..) => format!(
            "unknown region of {}",
            stakes
                .first()
                .map_or("", |s| inventory.resources[s.resource].address.as_ref())
        ),
    }
}

/// The labels of a place's tier resources (see
/// [`Rule::resource_labels`]).
struct ResourceLabels {
    primary: Label,
    source: Option<Label>,
    chain: Vec<Label>,
    related: Vec<Label>,
}
