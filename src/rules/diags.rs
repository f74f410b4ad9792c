//! Every finding the rules make, one constructor each: the messages, help
//! texts and labels live here, in one place.

use crate::finding::{Code, Finding, Label};
use crate::model::{Inventory, Note, Resource, Site, Unmapped};
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
    Finding::new(
        code,
        severity,
        tier.name.clone(),
        region,
        message,
        help,
        primary,
    )
}

/// The labels of a resource's `module` calls, outermost first.
pub(super) fn module_chain(inventory: &Inventory<'_>, r: &Resource<'_>) -> Vec<Label> {
    r.chain()
        .iter()
        .map(|link| {
            label(
                inventory,
                &link.site,
                format!("`{}` is called here", link.instance),
            )
        })
        .collect()
}

/// A finding about one resource.
trait OfResource {
    /// Names the resource, and where the configuration declares it:
    /// `declared_at` (an argument of its block), else the block.
    fn of_resource(
        self,
        inventory: &Inventory<'_>,
        r: &Resource<'_>,
        declared_at: Option<&Site>,
    ) -> Self;
}

impl OfResource for Finding {
    fn of_resource(
        mut self,
        inventory: &Inventory<'_>,
        r: &Resource<'_>,
        declared_at: Option<&Site>,
    ) -> Self {
        self.subject = r.address.to_string();
        self.resources = vec![r.address.to_string()];
        self.address = Some(r.address.to_string());
        self.source = r.declared().map(|d| {
            Box::new(label(
                inventory,
                declared_at.unwrap_or(&d.site),
                self.primary.message.clone(),
            ))
        });
        self.module_chain = module_chain(inventory, r);
        self
    }
}

/// S16: the findings of a plan or state point into it rather than at the
/// configuration: why, once per input. Nothing when every resource of its
/// findings is declared (or it has no findings).
pub(crate) fn source_note(
    inventory: &Inventory<'_>,
    findings: &[Finding],
    unmapped: &Unmapped,
) -> Option<Finding> {
    let first = findings.first()?;
    let (span, focus) = inventory.document_focus()?;
    let name_it = "name the root module it was made from with --source DIR (or a [[source]] in tierkey.toml), or keep it in that directory: findings then point at the .tf line";
    let (message, help) = match unmapped {
        Unmapped::NoSource => (
            "the findings point into this file: the configuration it was made from is not known"
                .to_string(),
            name_it,
        ),
        Unmapped::Empty(dir) => (
            format!(
                "the findings point into this file: `{}` declares no resources",
                dir.display()
            ),
            name_it,
        ),
        Unmapped::Missing {
            dir,
            addresses,
            unread,
        } => {
            let forgotten: Vec<&str> = inventory
                .resources
                .iter()
                .filter(|r| r.forgotten)
                .map(|r| r.address.as_ref())
                .collect();
            let named: Vec<&str> = addresses
                .iter()
                .map(String::as_str)
                .filter(|a| !forgotten.contains(a))
                .filter(|a| findings.iter().any(|f| f.resources.iter().any(|r| r == a)))
                .collect();
            if named.is_empty() {
                return None;
            }
            let unread = match unread {
                0 => String::new(),
                1 => "; 1 of its files could not be read".into(),
                n => format!("; {n} of its files could not be read"),
            };
            let mut shown = named
                .iter()
                .take(5)
                .map(|a| format!("`{a}`"))
                .collect::<Vec<_>>()
                .join(", ");
            if named.len() > 5 {
                shown.push_str(&format!(" and {} more", named.len() - 5));
            }
            (
                format!(
                    "the configuration in `{}` does not declare {shown}, so findings about {} point into this file (it changed since the plan, or {} in a module tierkey could not read{unread})",
                    dir.display(),
                    if named.len() == 1 { "it" } else { "them" },
                    if named.len() == 1 { "it is" } else { "they are" },
                ),
                "check a plan made from the configuration as it is now, and run `terraform init` so that remote modules are in .terraform/modules",
            )
        }
    };
    let mut note = Finding::new(
        Code::SourceNotFound,
        Code::SourceNotFound.default_severity(),
        first.tier.clone(),
        None,
        message,
        help,
        Label {
            focus,
            span,
            message: "here".into(),
            elidable: false,
        },
    )
    .about("source");
    note.input.clone_from(&first.input);
    Some(note)
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
    .of_resource(inventory, r, None)
}

/// S3, S10: the tags of AWS resources are unknown, for one cause (the same
/// reason in one module): one finding, naming each resource.
pub(super) fn tags_unknown(
    inventory: &Inventory<'_>,
    tier: &Tier,
    alike: &[&Resource<'_>],
) -> Finding {
    let r = alike[0];
    let mut f = tags_unknown_one(inventory, tier, r);
    if alike.len() > 1 {
        f.message = format!(
            "the tags of {} and {} more resources are not known ({}), so their {} tier membership cannot be decided",
            r.address,
            alike.len() - 1,
            r.tags.unknown_why(),
            tier.name
        );
        f.address = None;
        f.resources = alike.iter().map(|r| r.address.to_string()).collect();
        for other in &alike[1..] {
            let mut l = label(
                inventory,
                other.declared().map_or(&other.site, |d| &d.site),
                format!("also {}", other.address),
            );
            l.elidable = true;
            f.related.push(l);
        }
    }
    f
}

fn tags_unknown_one(inventory: &Inventory<'_>, tier: &Tier, r: &Resource<'_>) -> Finding {
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
            r.tags_site().unwrap_or(&r.site),
            r.tags.unknown_why(),
        ),
    )
    .of_resource(
        inventory,
        r,
        r.declared().and_then(|d| d.tags_site.as_ref()),
    )
}

/// S10: the selectors of the tier cannot read a resource's values, so its
/// membership cannot be decided.
pub(super) fn selectors_unreadable(
    inventory: &Inventory<'_>,
    tier: &Tier,
    r: &Resource<'_>,
    why: &str,
) -> Finding {
    finding(
        tier,
        Code::TagsUnknown,
        None,
        format!(
            "the selectors of the {} tier cannot read the values of {} ({why}), so its membership cannot be decided",
            tier.name, r.address
        ),
        "check that the input is the unmodified output of Terraform".into(),
        label(inventory, &r.site, "its values cannot be read".into()),
    )
    .of_resource(inventory, r, None)
}

/// S18: the tier matches nothing here, but tags come close to its pairs.
pub(super) fn suspicious_tier(inventory: &Inventory<'_>, tier: &Tier, close: &[String]) -> Finding {
    let (span, focus) = inventory.document_focus().unwrap_or_else(|| {
        let none = Span::new(crate::source::FileId(0), 0..0);
        (none.clone(), none)
    });
    finding(
        tier,
        Code::TierMatchesNothing,
        None,
        format!(
            "the {} tier ({}) matches no resource and no key here, but {}",
            tier.name,
            tier.describe(),
            close.join("; ")
        ),
        "check the tier's tag pairs: keys and values are compared exactly, in case too".into(),
        Label {
            focus,
            span,
            message: "here".into(),
            elidable: false,
        },
    )
    .about("tier")
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
    .of_resource(inventory, r, None)
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
    .of_resource(inventory, r, None)
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

/// S14: why a part of a tier resource's data is not encrypted with a tier
/// key of its region.
pub(super) enum InUse {
    /// Encryption is off (how).
    Off(String),
    /// The service's own key (what it is).
    ServiceKey(String),
    /// A key of the input that is not a tier key (its index, why).
    NotTier { key: usize, why: String },
    /// A key of another input judged together with this one that is not a
    /// tier key (how it is named, why).
    NotTierShared { key: String, why: String },
    /// A key of another region (its address or ARN, its region).
    OtherRegion { key: String, key_region: String },
    /// A key of the input that may be a tier key: why it cannot be told.
    Unverifiable { key: usize, why: String },
    /// A key read through a data source (its address).
    DataSource(String),
    /// A key named by a value that matches no key of the input nor the
    /// tier's external keys.
    Unseen(String),
    /// Which key is not known offline (why).
    Unknown(String),
}

/// S14: one part of a tier resource's data that does not use a tier key of
/// its region, and why.
pub(super) struct NotInUse<'r, 'a> {
    pub resource: &'r Resource<'a>,
    pub encryption: &'r crate::aws::Encryption,
    pub region: &'r crate::model::Region,
    pub verdict: InUse,
    /// A tier key of the region, to suggest.
    pub suggest: Option<String>,
}

/// S14: the text of a finding — whether it is an error, its message and
/// help, and the key of the input it names.
fn in_use_text(
    inventory: &Inventory<'_>,
    tier: &Tier,
    n: &NotInUse<'_, '_>,
) -> (bool, String, String, Option<usize>) {
    let t = &tier.name;
    let address = &n.resource.address;
    let attribute = &n.encryption.attribute;
    let place = match n.region {
        crate::model::Region::Known { name, .. } => name.to_string(),
        crate::model::Region::Unknown { .. } => "its region".into(),
    };
    let name_key = |k: usize| inventory.resources[k].address.to_string();
    let example = n
        .suggest
        .as_ref()
        .map(|k| format!(" (e.g. `{k}.arn`)"))
        .unwrap_or_default();
    let use_tier_key = format!("set {attribute} to a {t}-tier key of {place}{example}");
    let external = "list the key's ARN with --external-key (or `external_keys` of the tier) if it is a tier key";
    match &n.verdict {
        InUse::Off(how) => (
            true,
            format!("{address} stores its {t}-tier data unencrypted ({how})"),
            format!("turn encryption on and {use_tier_key}"),
            None,
        ),
        InUse::ServiceKey(what) => (
            true,
            format!("{address} encrypts its {t}-tier data with {what}, not with a {t}-tier key"),
            use_tier_key,
            None,
        ),
        InUse::NotTier { key, why } => (
            true,
            format!("{address} encrypts its {t}-tier data with {}, which {why}", name_key(*key)),
            format!("{use_tier_key}, or make {} a {t}-tier key", name_key(*key)),
            Some(*key),
        ),
        InUse::NotTierShared { key, why } => (
            true,
            format!("{address} encrypts its {t}-tier data with {key}, which {why}"),
            format!("{use_tier_key}, or make {key} a {t}-tier key"),
            None,
        ),
        InUse::OtherRegion { key, key_region } => (
            true,
            format!("{address} keeps its {t}-tier data in {place} but encrypts it with {key}, a key in {key_region}"),
            format!("{use_tier_key}: a KMS key serves only its own region (a multi-region replica key counts in the replica's region)"),
            None,
        ),
        InUse::Unverifiable { key, why } => (
            false,
            format!(
                "whether {}, which encrypts {address}, is a {t}-tier key of {place} cannot be verified offline: {why}",
                name_key(*key)
            ),
            format!("make the key's tags, settings and region known at plan time, or {use_tier_key}"),
            Some(*key),
        ),
        InUse::DataSource(source) => (
            false,
            format!("{address} encrypts its {t}-tier data with {source}, a key read from AWS whose tags cannot be verified offline"),
            format!("{external}, or use a tier key of this configuration"),
            None,
        ),
        InUse::Unseen(value) => (
            false,
            format!("{address} encrypts its {t}-tier data with {value}, which is no key of this input nor of the tier's external keys"),
            format!("{external}, or check the inputs together with the one that creates it (--together)"),
            None,
        ),
        InUse::Unknown(why) => (
            false,
            format!("which key encrypts the {t}-tier data of {address} is not known offline: {attribute} {why}"),
            format!("make {attribute} known at plan time, or {use_tier_key}"),
            None,
        ),
    }
}

/// S14: the finding for one part of a tier resource's data; errors take
/// the tier's `in_use` severity.
pub(super) fn in_use(
    inventory: &Inventory<'_>,
    tier: &Tier,
    n: &NotInUse<'_, '_>,
    severity: crate::finding::Severity,
) -> Finding {
    let (error, message, help, key) = in_use_text(inventory, tier, n);
    let r = n.resource;
    let attribute = &n.encryption.attribute;
    let code = if error {
        Code::TierKeyNotUsed
    } else {
        Code::TierKeyUnverified
    };
    let region = match n.region {
        crate::model::Region::Known { name, .. } => Some(name.to_string()),
        crate::model::Region::Unknown { .. } => None,
    };
    let site = r.key_site().unwrap_or(&r.site);
    let text = format!("{attribute} of this {}-tier resource", tier.name);
    let mut finding = finding(
        tier,
        code,
        region,
        message,
        help,
        label(inventory, site, text),
    )
    .of_resource(inventory, r, r.declared().and_then(|d| d.key_site.as_ref()));
    if error {
        finding.severity = severity;
    }
    finding.subject = format!("{}#{}", r.address, attribute.replace('`', ""));
    if let Some(k) = key {
        let key = &inventory.resources[k];
        let text = format!("the key {attribute} names");
        if let Some(declared) = key.declared() {
            finding
                .related
                .push(label(inventory, &declared.site, text.clone()));
        }
        finding.related.push(label(inventory, &key.site, text));
    }
    finding
}
