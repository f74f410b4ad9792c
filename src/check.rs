//! The rule: every region holding tier resources must hold a tier key.
//!
//! ## What it does
//! For one input and one tier, finds the tier resources (SPEC S5) and the
//! tier keys (S6, S7), groups both by effective region (S8, S9), and reports
//! each region that holds tier resources but no usable tier key (S11).
//!
//! ## Why is this bad?
//! Conformity KMS-009/010/011: a tier's data at rest should be protected by a
//! customer-managed key the team controls, and KMS keys never leave their
//! region, so every region with tier data needs its own tier key.
//!
//! ## Unknowns
//! An unknown never passes silently (S10): unknown tags, regions and key
//! attributes turn into warnings (errors with `--strict`), and into the
//! `missing-tier-key` error when the input has no tier key at all.
//!
//! ## How to fix
//! Add an `aws_kms_key` carrying the tier tag in each reported region.

use std::collections::BTreeMap;

use crate::finding::{Code, Finding, Label, Severity};
use crate::model::{
    arn_region, is_global_type, is_key_type, Inventory, Membership, Region, Resource, Tier,
    Usability,
};
use crate::source::{FileId, Span};

/// Options of the rule that hold for every tier.
#[derive(Debug, Clone, Default)]
pub struct RuleOptions {
    /// `--strict`: every warning becomes an error.
    pub strict: bool,
}

/// One region (or unknown-region group) the rule decided, for summaries
/// and test-case reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionCheck {
    /// The input's path, as the report lists it.
    pub input: String,
    pub tier: String,
    /// The `subject` of the finding this check gives when it fails.
    pub subject: String,
    pub region: Option<String>,
    pub passed: bool,
}

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
            Region::Known { name, .. } => Place::Known(name.clone()),
            Region::Unknown { group: Some(g), .. } => Place::Group(g.clone()),
            Region::Unknown { group: None, .. } => Place::Alone(resource, nth),
        }
    }
}

/// A tier resource's stake in a place: which resource, and whether it is
/// there through S9 (its replica / copy) rather than its own region.
struct Stake {
    resource: usize,
    how: String,
}

#[derive(Default)]
struct Keys {
    tier: Vec<usize>,
    possible: Vec<(usize, String)>,
    unusable: Vec<(usize, String)>,
    near_miss: Vec<(usize, String)>,
}

/// Applies the rule to one input.
pub(crate) fn tier_key_per_region(
    inventory: &Inventory<'_>,
    tier: &Tier,
    options: &RuleOptions,
) -> (Vec<Finding>, Vec<RegionCheck>) {
    let rule = Rule { inventory, tier };
    let mut findings = Vec::new();
    let mut stakes: BTreeMap<Place, Vec<Stake>> = BTreeMap::new();
    let mut keys: BTreeMap<Place, Keys> = BTreeMap::new();
    let mut floating = Keys::default();

    for (i, r) in inventory.resources.iter().enumerate() {
        if !r.is_aws || r.rtype == "aws_kms_alias" {
            continue;
        }
        if is_key_type(&r.rtype) {
            let membership = tier.membership(&r.tags);
            let place = Place::of(&r.region, i, 0);
            let slot = match place {
                Place::Alone(..) => &mut floating,
                place => keys.entry(place).or_default(),
            };
            match (membership, &r.usability) {
                (Membership::Member, Usability::Usable) => slot.tier.push(i),
                (Membership::Member, Usability::Unusable(why)) => {
                    slot.unusable.push((i, why.clone()))
                }
                (Membership::Member, Usability::Unknown(why)) => {
                    slot.possible.push((i, why.clone()))
                }
                (Membership::Unknown, Usability::Usable | Usability::Unknown(_)) => {
                    slot.possible.push((i, tags_unknown_why(r)));
                }
                (Membership::CaseMismatch(tag), _) => slot.near_miss.push((i, tag)),
                _ => {}
            }
            continue;
        }
        // Selectors of tierkey.toml decide before tags do.
        let membership = match tier.selects(inventory, r) {
            Some(true) => Membership::Member,
            Some(false) => Membership::NotMember,
            None => tier.membership(&r.tags),
        };
        match membership {
            Membership::Member if is_global_type(&r.rtype) => findings.push(rule.finding(
                Code::GlobalTierResource,
                None,
                format!("{} is a global resource tagged {} tier; it adds no region", r.address, tier.name),
                "nothing to do: global services (IAM, Route 53, CloudFront, ...) keep no regional data that a tier key could protect".into(),
                rule.label(r, format!("global resource tagged {}", tier.describe())),
                Vec::new(),
            )
            .about(&r.address)
            .with_resources(vec![r.address.to_string()])),
            Membership::Member => {
                let own = Place::of(&r.region, i, 0);
                stakes.entry(own).or_default().push(Stake {
                    resource: i,
                    how: region_how(&r.region),
                });
                for (n, extra) in r.extra_regions.iter().enumerate() {
                    let how = match extra {
                        Region::Known { how, .. } => format!("its data is also there: {how}"),
                        Region::Unknown { why, .. } => why.clone(),
                    };
                    stakes.entry(Place::of(extra, i, n + 1)).or_default().push(Stake { resource: i, how });
                }
            }
            Membership::Unknown if !is_global_type(&r.rtype) => findings.push(rule.finding(
                Code::TagsUnknown,
                None,
                format!(
                    "the tags of {} are not known, so its {} tier membership cannot be decided",
                    r.address, tier.name
                ),
                format!(
                    "make the tier tag a known value (e.g. a literal `{}`), or apply and check the state",
                    tier.wanted()
                ),
                rule.label(r, tags_unknown_why(r)),
                Vec::new(),
            )
            .about(&r.address)
            .with_resources(vec![r.address.to_string()])),
            Membership::CaseMismatch(tag) => findings.push(rule.finding(
                Code::TierTagCaseMismatch,
                None,
                format!(
                    "{} has tag {tag}, which differs from the {} tier tag {} only in case",
                    r.address,
                    tier.name,
                    tier.describe()
                ),
                format!("tags are case-sensitive: write `{}` if it belongs to the {} tier (or run with --ignore-case)", tier.wanted(), tier.name),
                rule.label(r, format!("tag {tag}")),
                Vec::new(),
            )
            .about(&r.address)
            .with_resources(vec![r.address.to_string()])),
            _ => {}
        }
    }

    let external: BTreeMap<&str, &str> = tier
        .external_keys
        .iter()
        .filter_map(|arn| Some((arn_region(arn)?, arn.as_str())))
        .collect();
    let any_tier_key = !external.is_empty()
        || !floating.tier.is_empty()
        || keys.values().any(|k| !k.tier.is_empty());
    let any_possible_key =
        !floating.possible.is_empty() || keys.values().any(|k| !k.possible.is_empty());
    let mut checks = Vec::new();
    for region in &tier.required_regions {
        stakes.entry(Place::Known(region.clone())).or_default();
    }
    let empty = Keys::default();
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
            region: region.clone(),
            passed,
        });
        if passed {
            continue;
        }
        let data_keys: Vec<String> = stakes
            .iter()
            .filter_map(|s| {
                let r = &inventory.resources[s.resource];
                let refs = r.kms_refs.list();
                (!refs.is_empty()).then(|| format!("{} uses {}", r.address, refs.join(", ")))
            })
            .collect();
        findings.push(rule.region_finding(
            place,
            stakes,
            here,
            &floating,
            &keys,
            &data_keys,
            any_tier_key || any_possible_key,
        ));
    }

    for note in &inventory.providers {
        if let Some(why) = tier.hidden_by(&note.ignore) {
            findings.push(rule.finding(
                Code::TierTagIgnored,
                None,
                format!(
                    "provider configuration `{}` ignores the {} tier tag: {why}",
                    note.key, tier.name
                ),
                "remove the tier tag key from ignore_tags, or the tier cannot be seen on any resource of this provider".into(),
                Label {
                    span: Span::new(note.file, note.span.clone()),
                    focus: Span::new(note.file, note.focus.clone()),
                    message: "this provider configuration".into(),
                    elidable: false,
                },
                Vec::new(),
            )
            .about(&note.key));
        }
    }
    for note in &inventory.notes {
        findings.push(
            rule.finding(
                note.code,
                None,
                note.message.clone(),
                note.help.clone(),
                Label {
                    span: note.span.clone(),
                    focus: note.focus.clone(),
                    message: "here".into(),
                    elidable: false,
                },
                Vec::new(),
            )
            .about(&note.message),
        );
    }
    if options.strict {
        for f in &mut findings {
            if f.severity == Severity::Warning {
                f.severity = Severity::Error;
            }
        }
    }
    (findings, checks)
}

struct Rule<'i, 'a> {
    inventory: &'i Inventory<'a>,
    tier: &'i Tier,
}

impl Rule<'_, '_> {
    fn label(&self, r: &Resource<'_>, message: String) -> Label {
        Label {
            span: Span::new(r.file, self.inventory.span(r)),
            focus: Span::new(r.file, r.focus.clone()),
            message,
            elidable: false,
        }
    }

    fn finding(
        &self,
        code: Code,
        region: Option<String>,
        message: String,
        help: String,
        primary: Label,
        related: Vec<Label>,
    ) -> Finding {
        let severity = match code {
            Code::MissingTierKey => self.tier.severity,
            code => code.default_severity(),
        };
        Finding {
            code,
            input: String::new(),
            subject: String::new(),
            resources: Vec::new(),
            severity,
            tier: self.tier.name.clone(),
            region,
            message,
            help,
            primary,
            related,
            waiver: None,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn region_finding(
        &self,
        place: &Place,
        stakes: &[Stake],
        here: &Keys,
        floating: &Keys,
        keys: &BTreeMap<Place, Keys>,
        external: &[String],
        input_has_keys: bool,
    ) -> Finding {
        let tier = &self.tier.name;
        let res = |i: usize| &self.inventory.resources[i];
        let (region, where_) = match place {
            Place::Known(r) => (Some(r.clone()), format!("in {r}")),
            _ => (None, "in an unknown region".to_string()),
        };
        let mut related = Vec::new();
        let primary = match stakes.first() {
            Some(first) => {
                let r = res(first.resource);
                if let Some((file, span, focus)) = &r.provider_span {
                    if matches!(r.region, Region::Known { .. })
                        && first.how.starts_with("region from provider")
                    {
                        related.push(Label {
                            span: Span::new(*file, span.clone()),
                            focus: Span::new(*file, focus.clone()),
                            message: format!(
                                "the provider configuration that puts {} {where_}",
                                r.address
                            ),
                            elidable: false,
                        });
                    }
                }
                self.label(r, format!("{tier}-tier resource {where_}: {}", first.how))
            }
            // A required region with no resources: point at the document.
            None => {
                let span = self
                    .inventory
                    .document
                    .clone()
                    .unwrap_or(Span::new(FileId(0), 0..0));
                Label {
                    focus: Span::new(span.file, span.range.start..span.range.start + 1),
                    span,
                    message: format!("required region {where_}"),
                    elidable: false,
                }
            }
        };
        for s in stakes.iter().skip(1) {
            let mut label = self.label(
                res(s.resource),
                format!(
                    "also {tier} tier {where_}: {} ({})",
                    res(s.resource).address,
                    s.how
                ),
            );
            label.elidable = true;
            related.push(label);
        }
        for (i, why) in &here.unusable {
            related.push(self.label(res(*i), format!("tagged {tier}-tier key, but it {why}")));
        }
        for (i, tag) in &here.near_miss {
            related.push(self.label(
                res(*i),
                format!("key tagged {tag}: differs from the tier tag only in case"),
            ));
        }

        // What could still satisfy this place: keys whose tags, usability or
        // region are unknown, and keys from data sources.
        let mut doubts: Vec<String> = Vec::new();
        for (i, why) in &here.possible {
            related.push(self.label(res(*i), format!("possible {tier}-tier key: {why}")));
            doubts.push(format!("{} ({why})", res(*i).address));
        }
        let elsewhere_unknown: Vec<usize> = floating
            .tier
            .iter()
            .chain(floating.possible.iter().map(|(i, _)| i))
            .copied()
            .chain(
                keys.iter()
                    .filter(|(p, _)| matches!(p, Place::Group(_)) && *p != place)
                    .flat_map(|(_, k)| {
                        k.tier
                            .iter()
                            .chain(k.possible.iter().map(|(i, _)| i))
                            .copied()
                    }),
            )
            .collect();
        if matches!(place, Place::Known(_)) {
            for i in &elsewhere_unknown {
                related.push(self.label(res(*i), format!("{tier}-tier key in an unknown region")));
                doubts.push(format!("{} (its region is unknown)", res(*i).address));
            }
        }
        doubts.extend(
            external
                .iter()
                .map(|e| format!("{e}, whose tags a plan cannot show")),
        );

        let count = stakes.len();
        let resources = if count == 1 { "resource" } else { "resources" };
        let mut help = match place {
            Place::Known(r) => format!("add an aws_kms_key with {} in {r}", self.tier.wanted()),
            _ => format!(
                "add an aws_kms_key with {} under the same provider configuration, or make the region known ({})",
                self.tier.wanted(),
                stakes.first().map_or_else(String::new, |s| region_why(&res(s.resource).region))
            ),
        };
        if !here.unusable.is_empty() {
            let listed: Vec<String> = here
                .unusable
                .iter()
                .map(|(i, why)| format!("{} {why}", res(*i).address))
                .collect();
            help.push_str(&format!(
                "; the tagged keys there do not count: {}",
                listed.join(", ")
            ));
        }
        for (i, tag) in &here.near_miss {
            help.push_str(&format!(
                "; {} has tag {tag}, but tags are case-sensitive (or run with --ignore-case)",
                res(*i).address
            ));
        }

        if !doubts.is_empty() && matches!(place, Place::Known(_)) {
            help = format!(
                "make the possible key's tags, settings and region known at plan time, or {help}"
            );
        }
        let (code, message) = match place {
            Place::Known(r) if doubts.is_empty() => (
                Code::MissingTierKey,
                if count == 0 {
                    format!("required region {r} has no {tier}-tier KMS key ({})", self.tier.describe())
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
                    doubts.join("; ")
                ),
            ),
            _ if !input_has_keys && external.is_empty() => (
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
        self.finding(code, region, message, help, primary, related)
            .about(&place_subject(place, stakes, self.inventory))
            .with_resources(
                stakes
                    .iter()
                    .map(|s| res(s.resource).address.to_string())
                    .collect(),
            )
    }
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

fn region_how(region: &Region) -> String {
    match region {
        Region::Known { how, .. } => format!("region from {how}"),
        Region::Unknown { why, .. } => why.clone(),
    }
}

fn region_why(region: &Region) -> String {
    match region {
        Region::Unknown { why, .. } => why.clone(),
        Region::Known { how, .. } => how.clone(),
    }
}

fn tags_unknown_why(r: &Resource<'_>) -> String {
    match &r.tags.unknown {
        crate::model::TagsUnknown::All(why) => why.clone(),
        crate::model::TagsUnknown::Keys(keys) => {
            format!("tag {} is unknown until apply", keys.join(", "))
        }
        crate::model::TagsUnknown::None => "its tags are unknown".into(),
    }
}
