//! Every finding the rules make, one constructor each: the messages, help
//! texts and labels live here, in one place.

use crate::finding::{Code, Finding, Label};
use crate::model::{Inventory, Note, Resource, Site};
use crate::source::Span;
use crate::tier::Tier;

/// A finding of a tier with a primary label; `subject` and `resources`
/// identify it across runs (fingerprints, waivers).
pub(super) fn finding(
    tier: &Tier,
    code: Code,
    region: Option<String>,
    message: String,
    help: String,
    primary: Label,
) -> Finding {
    let severity = match code {
        Code::MissingTierKey => tier.severity,
        code => code.default_severity(),
    };
    Finding {
        code,
        input: String::new(),
        subject: String::new(),
        resources: Vec::new(),
        severity,
        tier: tier.name.clone(),
        region,
        message,
        help,
        primary,
        related: Vec::new(),
        waiver: None,
    }
}

/// A label on a site.
pub(super) fn label(inventory: &Inventory<'_>, site: &Site, message: String) -> Label {
    Label {
        span: Span::new(site.file, inventory.span(site)),
        focus: Span::new(site.file, site.focus.clone()),
        message,
        elidable: false,
    }
}

/// S5: a global resource carries the tier tag.
pub(super) fn global_tier_resource(
    inventory: &Inventory<'_>,
    tier: &Tier,
    r: &Resource<'_>,
) -> Finding {
    finding(
        tier,
        Code::GlobalTierResource,
        None,
        format!(
            "{} is a global resource tagged {} tier; it adds no region",
            r.address, tier.name
        ),
        "nothing to do: global services (IAM, Route 53, CloudFront, ...) keep no regional data that a tier key could protect".into(),
        label(inventory, &r.site, format!("global resource tagged {}", tier.describe())),
    )
    .about(&r.address)
    .with_resources(vec![r.address.to_string()])
}

/// S3, S10: the tags of an AWS resource are unknown.
pub(super) fn tags_unknown(inventory: &Inventory<'_>, tier: &Tier, r: &Resource<'_>) -> Finding {
    finding(
        tier,
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
        label(
            inventory,
            r.tags_site.as_ref().unwrap_or(&r.site),
            r.tags.unknown_why(),
        ),
    )
    .about(&r.address)
    .with_resources(vec![r.address.to_string()])
}

/// S2: a tag differs from the tier tag only in case.
pub(super) fn case_mismatch(
    inventory: &Inventory<'_>,
    tier: &Tier,
    r: &Resource<'_>,
    tag: &str,
) -> Finding {
    finding(
        tier,
        Code::TierTagCaseMismatch,
        None,
        format!(
            "{} has tag {tag}, which differs from the {} tier tag {} only in case",
            r.address,
            tier.name,
            tier.describe()
        ),
        format!(
            "tags are case-sensitive: write `{}` if it belongs to the {} tier (or run with --ignore-case)",
            tier.wanted(),
            tier.name
        ),
        label(inventory, &r.site, format!("tag {tag}")),
    )
    .about(&r.address)
    .with_resources(vec![r.address.to_string()])
}

/// S4: a tier resource or key is forgotten, not destroyed.
pub(super) fn forgotten(
    inventory: &Inventory<'_>,
    tier: &Tier,
    r: &Resource<'_>,
    what: &str,
) -> Finding {
    finding(
        tier,
        Code::ForgottenResource,
        None,
        format!(
            "{} is no longer managed by this configuration (`removed` with `destroy = false`), but it stays in AWS and still counts as a {}-tier {what}",
            r.address, tier.name
        ),
        "nothing to do if it is meant to outlive this configuration; otherwise destroy it or manage it again".into(),
        label(inventory, &r.site, format!("forgotten {}-tier {what}", tier.name)),
    )
    .about(&r.address)
    .with_resources(vec![r.address.to_string()])
}

/// S3: a provider's `ignore_tags` hides the tier tag.
pub(super) fn tier_tag_ignored(tier: &Tier, key: &str, site: &Site, why: &str) -> Finding {
    let span = Span::new(site.file, site.start..site.end.unwrap_or(site.focus.end));
    finding(
        tier,
        Code::TierTagIgnored,
        None,
        format!(
            "provider configuration `{key}` ignores the {} tier tag: {why}",
            tier.name
        ),
        "remove the tier tag key from ignore_tags, or the tier cannot be seen on any resource of this provider".into(),
        Label {
            span,
            focus: Span::new(site.file, site.focus.clone()),
            message: "this provider configuration".into(),
            elidable: false,
        },
    )
    .about(key)
}

/// Something about the input itself (a partial plan, a module not read).
pub(super) fn input_note(tier: &Tier, note: &Note) -> Finding {
    finding(
        tier,
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
    )
    .about(&note.message)
}
