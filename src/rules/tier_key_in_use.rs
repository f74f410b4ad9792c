//! Rule S14, "in use": every tier resource of a storage type encrypts its
//! data with a tier key of the region the data is in.
//!
//! Which key encrypts a resource comes from the model ([`Encryption`]):
//! off, the service's own key, a key named by value (ARN, key ID, alias
//! name or alias ARN) or a reference to a resource or data source. Values
//! are matched against the input's keys and aliases and the tier's
//! external keys; references against the input's resources, aliases
//! followed to their keys. The key found must be a tier key (its role from
//! [`membership`](super::membership)) in the same region as the data.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::aws::{arn_region, is_aws_managed_alias, Data, Encryption, KeyUse};
use crate::finding::{Finding, Severity};
use crate::model::{block_address, Inventory, Region, Resource};
use crate::tier::Tier;

use super::diags::{self, InUse, NotInUse};
use super::membership::{Classified, KeyRole, Role};
use super::{SharedKey, Texts};

/// How many aliases may lead to another before the chain is given up.
const MAX_HOPS: usize = 8;

/// Applies the rule to one input and one tier, adding its findings to
/// `findings` (a plan of many tier resources may have one for each: they go
/// straight to the input's findings, not to a vector of their own copied
/// there at the end).
pub(super) fn check(
    inventory: &Inventory<'_>,
    tier: &Tier,
    classified: &Classified,
    shared: &[&SharedKey],
    findings: &mut Vec<Finding>,
    texts: &mut Texts,
) {
    let Some(severity) = tier.in_use else {
        return;
    };
    let rule = Rule {
        inventory,
        tier,
        roles: &classified.roles,
        severity,
        shared,
        index: Index::of(inventory, &classified.roles),
    };
    // The instances of one block that fail alike make one finding: the
    // same attribute (so the same subject), region and message but for the
    // instance's address. A finding is found by the hash of those three
    // (thousands of instances of one block may each fail differently), each
    // pointing at the one before it with the same hash, and compared in
    // full: a map holding each message would take as much memory again as
    // the findings of a plan of many tier resources.
    let first = findings.len();
    let mut last_of: HashMap<u64, usize> = HashMap::new();
    let mut before: Vec<Option<usize>> = Vec::new();
    for (i, r) in inventory.resources.iter().enumerate() {
        if classified.roles[i] != Role::Member {
            continue;
        }
        for encryption in rule.encryptions(i) {
            let Some(mut f) = rule.judge(r, &encryption) else {
                continue;
            };
            texts.share(&mut f);
            f.subject = format!(
                "{}#{}",
                block_address(&r.address),
                encryption.attribute.replace('`', "")
            );
            let unaddressed = |g: &Finding| {
                g.message
                    .replace(g.address.as_deref().unwrap_or_default(), "")
            };
            let alike = (f.region.as_deref(), unaddressed(&f));
            let hash = crate::finding::fnv64(&[&f.subject, alike.0.unwrap_or_default(), &alike.1]);
            let mut at = last_of.get(&hash).copied();
            while let Some(k) = at {
                let g = &findings[k];
                if g.subject == f.subject && (g.region.as_deref(), unaddressed(g)) == alike {
                    break;
                }
                at = before[k - first];
            }
            if let Some(k) = at {
                findings[k].resources.push(r.address.to_string());
            } else {
                before.push(last_of.insert(hash, findings.len()));
                findings.push(f);
            }
        }
    }
    for f in &mut findings[first..] {
        if f.resources.len() > 1 {
            let more = f.resources.len() - 1;
            f.message.push_str(&format!(
                " (and {more} more {} of this block alike)",
                if more == 1 { "instance" } else { "instances" }
            ));
        }
    }
}

/// The input's keys, aliases and resources by what names them, built once.
struct Index<'i> {
    /// Keys and aliases by address, and by block address: what references
    /// come to. Every other resource only when a reference names one.
    key_addresses: Addresses<'i>,
    other_addresses: std::cell::OnceCell<Addresses<'i>>,
    /// The inert resources, whose addresses are all the input keeps of them.
    inert_addresses: std::cell::OnceCell<Addresses<'i>>,
    keys_by_arn: HashMap<String, usize>,
    keys_by_id: HashMap<String, usize>,
    aliases: HashMap<String, usize>,
    /// The first tier key of each known region.
    tier_keys: HashMap<String, usize>,
    /// S3 encryption configurations.
    bucket_encryption: Vec<usize>,
}

/// Resources by address and by block address (the first instance).
#[derive(Default)]
struct Addresses<'i> {
    by_address: HashMap<&'i str, usize>,
    by_block: HashMap<Cow<'i, str>, usize>,
}

impl<'i> Addresses<'i> {
    /// The resources `which` picks, by index.
    fn of(inventory: &'i Inventory<'_>, which: impl Fn(&Resource<'_>) -> bool) -> Self {
        Self::index(
            inventory
                .resources
                .iter()
                .map(|r| (which(r), r.address.as_ref())),
        )
    }

    /// The addresses `picked`, by position.
    fn index(picked: impl Iterator<Item = (bool, &'i str)>) -> Self {
        let mut addresses = Addresses::default();
        for (i, (pick, address)) in picked.enumerate() {
            if pick {
                addresses.by_address.entry(address).or_insert(i);
                addresses
                    .by_block
                    .entry(block_address(address))
                    .or_insert(i);
            }
        }
        addresses
    }

    fn get(&self, address: &str, block: &str) -> Option<usize> {
        self.by_address
            .get(address)
            .or_else(|| self.by_block.get(block))
            .copied()
    }
}

/// What a reference can name a key through: a key or an alias.
fn names_a_key(r: &Resource<'_>) -> bool {
    crate::aws::is_key_type(&r.rtype) || r.rtype == "aws_kms_alias"
}

impl<'i> Index<'i> {
    fn of(inventory: &'i Inventory<'_>, roles: &[Role]) -> Index<'i> {
        let mut index = Index {
            key_addresses: Addresses::of(inventory, names_a_key),
            other_addresses: std::cell::OnceCell::new(),
            inert_addresses: std::cell::OnceCell::new(),
            keys_by_arn: HashMap::new(),
            keys_by_id: HashMap::new(),
            aliases: HashMap::new(),
            tier_keys: HashMap::new(),
            bucket_encryption: Vec::new(),
        };
        for (i, r) in inventory.resources.iter().enumerate() {
            if crate::aws::is_key_type(&r.rtype) {
                if let Some(arn) = &r.names().arn {
                    index.keys_by_arn.entry(arn.clone()).or_insert(i);
                }
                if let Some(id) = &r.names().key_id {
                    index.keys_by_id.entry(id.clone()).or_insert(i);
                }
                if let (Role::Key(KeyRole::Tier), Region::Known { name, .. }) =
                    (&roles[i], &r.region)
                {
                    index.tier_keys.entry(name.to_string()).or_insert(i);
                }
            }
            if r.rtype == "aws_kms_alias" {
                if let Some(name) = &r.names().name {
                    index.aliases.entry(name.clone()).or_insert(i);
                }
            }
            if r.rtype == "aws_s3_bucket_server_side_encryption_configuration" {
                index.bucket_encryption.push(i);
            }
        }
        index
    }
}

struct Rule<'i, 'a> {
    inventory: &'i Inventory<'a>,
    tier: &'i Tier,
    roles: &'i [Role],
    severity: Severity,
    /// The keys of the inputs judged together with this one (S17).
    shared: &'i [&'i SharedKey],
    index: Index<'i>,
}

/// Which key a use comes to, once values and references are followed.
enum Found<'s> {
    /// A key of the input (an index).
    Key(usize),
    /// A key of the tier's `external_keys`: its ARN.
    External(String),
    /// A key of another input judged together with this one.
    Shared(&'s SharedKey),
    /// The use ends here, with a verdict of its own.
    Verdict(InUse),
}

impl Rule<'_, '_> {
    /// What encrypts resource `i`: its own settings, or for an S3 bucket
    /// whose settings name no key, its separate encryption configuration.
    fn encryptions(&self, i: usize) -> Vec<Encryption> {
        let r = &self.inventory.resources[i];
        if r.rtype != "aws_s3_bucket" {
            return r.encryption.clone();
        }
        let inline = r.encryption.first();
        if inline.is_some_and(|e| matches!(e.key, KeyUse::Named(_) | KeyUse::Reference { .. })) {
            return r.encryption.clone();
        }
        let configured: Vec<Encryption> = self
            .index
            .bucket_encryption
            .iter()
            .map(|&c| &self.inventory.resources[c])
            .filter(|c| Self::points_at(c.names().target.as_ref(), r))
            .flat_map(|c| c.encryption.clone())
            .collect();
        if configured.is_empty() {
            r.encryption.clone()
        } else {
            configured
        }
    }

    /// Whether a pointer (a bucket name or a reference) names resource `r`.
    fn points_at(pointer: Option<&KeyUse>, r: &Resource<'_>) -> bool {
        match pointer {
            Some(KeyUse::Named(name)) => r.names().name.as_deref() == Some(name.as_str()),
            Some(KeyUse::Reference { address, .. }) => {
                *address == r.address || block_address(address) == block_address(&r.address)
            }
            _ => false,
        }
    }

    /// The region of one part of a resource's data.
    fn data_region<'r>(r: &'r Resource<'_>, data: &Data) -> Option<&'r Region> {
        match data {
            Data::Own => Some(&r.region),
            Data::Extra(n) => r.extra_regions().get(*n),
        }
    }

    /// S14a-e for one part of a tier resource's data: nothing when it uses
    /// a tier key of its region.
    fn judge(&self, r: &Resource<'_>, e: &Encryption) -> Option<Finding> {
        let region = Self::data_region(r, &e.data)?;
        let verdict = match self.follow(&e.key, 0) {
            Found::Verdict(v) => v,
            Found::Key(k) => self.key_verdict(r, region, k)?,
            Found::Shared(key) => match (&key.tier_key, &key.region, region) {
                (Err(why), _, _) => InUse::NotTierShared {
                    key: format!("{} of {}", key.address, key.input),
                    why: why.clone(),
                },
                (Ok(()), Some(key_region), Region::Known { name, .. })
                    if key_region.as_str() != &**name =>
                {
                    InUse::OtherRegion {
                        key: format!("{} of {}", key.address, key.input),
                        key_region: key_region.clone(),
                    }
                }
                _ => return None,
            },
            Found::External(arn) => match (arn_region(&arn), region) {
                (Some(key_region), Region::Known { name, .. }) if key_region != &**name => {
                    InUse::OtherRegion {
                        key: arn.clone(),
                        key_region: key_region.to_string(),
                    }
                }
                _ => return None,
            },
        };
        let not_in_use = NotInUse {
            resource: r,
            encryption: e,
            region,
            verdict,
            suggest: self.tier_key_in(region),
        };
        Some(diags::in_use(
            self.inventory,
            self.tier,
            &not_in_use,
            self.severity,
        ))
    }

    /// Follows a key use through values, aliases and references to a key.
    fn follow(&self, key: &KeyUse, hops: usize) -> Found<'_> {
        if hops > MAX_HOPS {
            return Found::Verdict(InUse::Unknown("its aliases lead to each other".into()));
        }
        match key {
            KeyUse::Off(how) => Found::Verdict(InUse::Off(how.clone())),
            KeyUse::ServiceKey(what) => Found::Verdict(InUse::ServiceKey(what.clone())),
            KeyUse::Unknown(why) => Found::Verdict(InUse::Unknown(why.clone())),
            KeyUse::Named(value) => self.named(value, hops),
            KeyUse::Reference { address, attribute } => self.referenced(address, attribute, hops),
        }
    }

    /// A key named by value: key ARN, key ID, alias name or alias ARN.
    fn named(&self, value: &str, hops: usize) -> Found<'_> {
        if is_aws_managed_alias(value) {
            return Found::Verdict(InUse::ServiceKey(format!("the AWS-managed key {value}")));
        }
        let resources = &self.inventory.resources;
        if let Some(alias) = alias_name(value) {
            let found = self.index.aliases.get(alias).copied();
            return match found.and_then(|a| resources[a].names().target.as_ref()) {
                Some(target) => self.follow(target, hops + 1),
                None => self.external(value),
            };
        }
        let id = value.rsplit_once(":key/").map_or(value, |(_, id)| id);
        let found = self
            .index
            .keys_by_arn
            .get(value)
            .or_else(|| self.index.keys_by_id.get(id))
            .copied();
        match found {
            Some(k) => Found::Key(k),
            None => self.external(value),
        }
    }

    /// A value matching no key of the input: one of the tier's external
    /// keys, or a key tierkey cannot see (S14d).
    fn external(&self, value: &str) -> Found<'_> {
        let id = value.rsplit_once(":key/").map_or(value, |(_, id)| id);
        let alias = alias_name(value);
        let shared = self.shared.iter().find(|k| {
            k.arn.as_deref() == Some(value)
                || k.key_id.as_deref() == Some(id)
                || alias.is_some_and(|a| k.aliases.iter().any(|n| n == a))
        });
        if let Some(key) = shared {
            return Found::Shared(key);
        }
        let listed = self.tier.external_keys.iter().find(|arn| {
            arn.as_str() == value || arn.rsplit_once(":key/").is_some_and(|(_, k)| k == id)
        });
        match listed {
            Some(arn) => Found::External(arn.clone()),
            None => Found::Verdict(InUse::Unseen(value.to_string())),
        }
    }

    /// A reference to a resource or data source of the input.
    fn referenced(&self, address: &str, attribute: &str, hops: usize) -> Found<'_> {
        let block = block_address(address);
        let data_source = block.starts_with("data.") || block.contains(".data.");
        // Another input's state: its output, when that input is judged
        // together with this one.
        if block.contains("data.terraform_remote_state.") {
            let output = attribute
                .strip_prefix("outputs.")
                .map(|o| o.split(['.', '[']).next().unwrap_or(o));
            let shared = output.and_then(|o| {
                self.shared
                    .iter()
                    .find(|k| k.outputs.iter().any(|n| n == o))
            });
            if let Some(key) = shared {
                return Found::Shared(key);
            }
        }
        if data_source {
            return Found::Verdict(InUse::DataSource(address.to_string()));
        }
        let resources = &self.inventory.resources;
        // Most references name a key or an alias; the index of every other
        // resource is built only when one does not.
        let found = self.index.key_addresses.get(address, &block).or_else(|| {
            self.index
                .other_addresses
                .get_or_init(|| Addresses::of(self.inventory, |r| !names_a_key(r)))
                .get(address, &block)
        });
        let inert = || {
            self.index
                .inert_addresses
                .get_or_init(|| {
                    Addresses::index(self.inventory.inert.iter().map(|a| (true, a.as_ref())))
                })
                .get(address, &block)
                .is_some()
        };
        let not_a_key = || {
            Found::Verdict(InUse::Unknown(format!(
                "it comes from `{address}.{attribute}`, which is not a KMS key"
            )))
        };
        let Some(k) = found else {
            // No key or alias is inert.
            return if inert() {
                not_a_key()
            } else {
                Found::Verdict(InUse::Unknown(format!(
                    "it refers to `{address}`, which this input does not hold"
                )))
            };
        };
        let r = &resources[k];
        if crate::aws::is_key_type(&r.rtype) {
            return Found::Key(k);
        }
        if r.rtype == "aws_kms_alias" {
            return match &r.names().target {
                Some(target) => self.follow(target, hops + 1),
                None => Found::Verdict(InUse::Unknown(format!(
                    "the target of {address} is not known"
                ))),
            };
        }
        not_a_key()
    }

    /// A key of the input, for data in `region`: nothing when it is a
    /// tier key there.
    fn key_verdict(&self, r: &Resource<'_>, region: &Region, k: usize) -> Option<InUse> {
        let key = &self.inventory.resources[k];
        let why = match &self.roles[k] {
            Role::Key(KeyRole::Tier) => None,
            Role::Key(KeyRole::Possible(why)) => {
                return Some(InUse::Unverifiable {
                    key: k,
                    why: why.clone(),
                });
            }
            Role::Key(KeyRole::Unusable(why)) => Some(why.clone()),
            Role::Key(KeyRole::NearMiss(tag)) => Some(format!(
                "is tagged {tag}, which differs from the tier tag in case"
            )),
            _ => Some(format!("is not tagged {}", self.tier.describe())),
        };
        if let Some(why) = why {
            return Some(InUse::NotTier { key: k, why });
        }
        match (&key.region, region) {
            (
                Region::Known {
                    name: key_region, ..
                },
                Region::Known { name, .. },
            ) => (key_region != name).then(|| InUse::OtherRegion {
                key: key.address.to_string(),
                key_region: key_region.to_string(),
            }),
            // The same provider configuration: the same region, whatever it is.
            _ if key.group.is_some() && key.group == r.group => None,
            (Region::Unknown { why, .. }, _) | (_, Region::Unknown { why, .. }) => {
                Some(InUse::Unverifiable {
                    key: k,
                    why: why.clone(),
                })
            }
        }
    }

    /// A tier key of the region, to name in a help text.
    fn tier_key_in(&self, region: &Region) -> Option<String> {
        let Region::Known { name, .. } = region else {
            return None;
        };
        self.index
            .tier_keys
            .get(&**name)
            .map(|&k| self.inventory.resources[k].address.to_string())
    }
}

/// `alias/db` or `arn:...:alias/db` → `alias/db`.
fn alias_name(value: &str) -> Option<&str> {
    if value.starts_with("alias/") {
        return Some(value);
    }
    value.find(":alias/").map(|at| &value[at + 1..])
}
