//! Facts about AWS and its Terraform provider that hold for every input:
//! which resource types are KMS keys (rule S6) or global (S5), which
//! attributes make a key unusable (S7), where else a resource puts its data
//! (S9), what an ARN says about its region (S8), which provider names are
//! the AWS provider, and which data sources read KMS keys (S12).
//!
//! Everything here reads an instance through [`Attributes`], so the plan
//! reader and the configuration evaluator share one definition of each
//! fact. [`storage`] is the table of storage types and the attributes that
//! name their keys (S14).

mod storage;

pub(crate) use storage::{
    encryption, is_aws_managed_alias, key_attribute, Data, Encryption, KeyUse,
};

use crate::value::{Attributes, Unknown, Value};

/// S6: the key types.
pub(crate) fn is_key_type(rtype: &str) -> bool {
    matches!(
        rtype,
        "aws_kms_key"
            | "aws_kms_external_key"
            | "aws_kms_replica_key"
            | "aws_kms_replica_external_key"
    )
}

/// S5: global (region-less) services and resources.
pub(crate) fn is_global_type(rtype: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "aws_iam_",
        "aws_organizations_",
        "aws_cloudfront_",
        "aws_shield_",
        "aws_globalaccelerator_",
        "aws_waf_",
        "aws_route53_",
        "aws_route53domains_",
        "aws_route53recoverycontrolconfig_",
        "aws_route53recoveryreadiness_",
        "aws_budgets_",
        "aws_ce_",
        "aws_cur_",
        "aws_account_",
        "aws_networkmanager_",
    ];
    if rtype.starts_with("aws_route53_resolver_") {
        return false;
    }
    PREFIXES.iter().any(|p| rtype.starts_with(p))
        || matches!(rtype, "aws_s3_account_public_access_block")
}

/// S8.1: types whose top-level `region` attribute means something other
/// than the resource's own region (AWS provider v6 guide).
pub(crate) fn region_attribute_is_own(rtype: &str) -> bool {
    !matches!(
        rtype,
        "aws_cloudformation_stack_set_instance"
            | "aws_config_aggregate_authorization"
            | "aws_dx_hosted_connection"
            | "aws_servicequotas_template"
            | "aws_ssmincidents_replication_set"
    ) && !is_global_type(rtype)
}

/// S8.3: the region field of an ARN (`arn:PARTITION:SERVICE:REGION:...`),
/// when it has one.
pub(crate) fn arn_region(arn: &str) -> Option<&str> {
    let mut parts = arn.splitn(5, ':');
    if parts.next() != Some("arn") {
        return None;
    }
    let (_partition, _service, region) = (parts.next()?, parts.next()?, parts.next()?);
    parts.next()?;
    (!region.is_empty()).then_some(region)
}

/// Whether an ARN is a KMS key ARN with a region.
pub(crate) fn is_kms_arn(arn: &str) -> bool {
    arn.split(':').nth(2) == Some("kms") && arn_region(arn).is_some()
}

/// S5: `hashicorp/aws` from any registry host, or Terraform 0.12's bare
/// `aws` / `aws.alias` provider names.
pub(crate) fn is_aws_provider(provider_name: &str) -> bool {
    provider_name == "aws"
        || provider_name.starts_with("aws.")
        || provider_name == "hashicorp/aws"
        || provider_name.ends_with("/hashicorp/aws")
}

/// Whether a candidate key can encrypt data at rest (S7b, S7c).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) enum Usability {
    #[default]
    Usable,
    /// Why not ("is disabled (`is_enabled = false`)").
    Unusable(String),
    /// Why it cannot be told offline ("its `is_enabled` is unknown ...").
    Unknown(String),
}

/// What an input says about one attribute.
enum Fact<T> {
    Absent,
    Known(T),
    Unknown(Unknown),
}

fn string_fact(value: Option<Value<'_>>) -> Fact<String> {
    match value {
        Some(Value::String(s)) => Fact::Known(s.into_owned()),
        Some(Value::Unknown(u)) => Fact::Unknown(u),
        _ => Fact::Absent,
    }
}

/// S7b and S7c: whether a candidate key can protect data at rest.
pub(crate) fn key_usability(rtype: &str, attrs: &dyn Attributes<'_>) -> Usability {
    let field = if rtype == "aws_kms_key" {
        "is_enabled"
    } else {
        "enabled"
    };
    let enabled = match attrs.get(field) {
        Some(Value::Unknown(u)) => Fact::Unknown(u),
        Some(v) => v.as_bool().map_or(Fact::Absent, Fact::Known),
        None => Fact::Absent,
    };
    let usage = string_fact(attrs.get("key_usage"));
    let spec = match string_fact(attrs.get("customer_master_key_spec")) {
        Fact::Absent => string_fact(attrs.get("key_spec")),
        fact => fact,
    };
    if matches!(enabled, Fact::Known(false)) {
        return Usability::Unusable(format!("is disabled ({field} = false)"));
    }
    if let Fact::Known(usage) = &usage {
        if usage != "ENCRYPT_DECRYPT" {
            return Usability::Unusable(format!("has key_usage = {usage} (not ENCRYPT_DECRYPT)"));
        }
    }
    if let Fact::Known(spec) = &spec {
        if spec != "SYMMETRIC_DEFAULT" {
            return Usability::Unusable(format!("has key spec {spec} (not SYMMETRIC_DEFAULT)"));
        }
    }
    if let Fact::Unknown(u) = &enabled {
        return Usability::Unknown(format!("its `{field}` is unknown{}", u.suffix()));
    }
    // Computed on replicas and external keys; an argument only on aws_kms_key.
    if rtype == "aws_kms_key" {
        for (attr, fact) in [("key_usage", &usage), ("customer_master_key_spec", &spec)] {
            if let Fact::Unknown(u) = fact {
                return Usability::Unknown(format!("its `{attr}` is unknown{}", u.suffix()));
            }
        }
    }
    Usability::Usable
}

/// A region other than its own that holds a resource's data (S9).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ExtraRegion {
    /// What puts the data there: "a replica", "the `destination_region`".
    pub what: &'static str,
    /// The region, or why it is unknown (a clause: "is unknown until apply").
    pub region: Result<String, String>,
}

/// S9: regions other than its own that hold a resource's data:
/// `aws_dynamodb_table` and `aws_secretsmanager_secret` replicas,
/// snapshot-copy destinations.
pub(crate) fn extra_regions(rtype: &str, attrs: &dyn Attributes<'_>) -> Vec<ExtraRegion> {
    let region_of_replica = match rtype {
        "aws_dynamodb_table" => "region_name",
        _ => "region",
    };
    match rtype {
        "aws_dynamodb_table" | "aws_secretsmanager_secret" => match attrs.get("replica") {
            Some(Value::Unknown(u)) => vec![ExtraRegion {
                what: "the replicas",
                region: Err(format!("are unknown{}", u.suffix())),
            }],
            Some(replicas) => replicas
                .elements()
                .unwrap_or_default()
                .into_iter()
                .filter_map(|replica| match replica.member(region_of_replica) {
                    Some(Value::String(r)) => Some(Ok(r.to_string())),
                    Some(Value::Unknown(u)) => Some(Err(format!("is unknown{}", u.suffix()))),
                    _ => None,
                })
                .map(|region| ExtraRegion {
                    what: "a replica",
                    region,
                })
                .collect(),
            None => Vec::new(),
        },
        "aws_db_snapshot_copy" | "aws_rds_cluster_snapshot_copy" => {
            let region = match attrs.get("destination_region") {
                Some(Value::String(r)) => Ok(r.into_owned()),
                Some(Value::Unknown(u)) => Err(format!("is unknown{}", u.suffix())),
                _ => return Vec::new(),
            };
            vec![ExtraRegion {
                what: "the destination_region",
                region,
            }]
        }
        _ => Vec::new(),
    }
}

/// S12: the KMS data source a reference names: `data.aws_kms_key.db.arn` →
/// `data.aws_kms_key.db`.
pub(crate) fn kms_data_source(reference: &str) -> Option<String> {
    let mut parts = reference.splitn(4, '.');
    let (Some("data"), Some(rtype @ ("aws_kms_key" | "aws_kms_alias")), Some(name)) =
        (parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let name = name.split(['[', ')', ',', ' ', '}']).next().unwrap_or(name);
    Some(format!("data.{rtype}.{name}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arn_regions() {
        assert_eq!(
            arn_region("arn:aws:rds:eu-west-1:123:db:x"),
            Some("eu-west-1")
        );
        assert_eq!(arn_region("arn:aws:iam::123:role/x"), None);
        assert_eq!(
            arn_region("arn:aws-cn:kms:cn-north-1:1:key/k"),
            Some("cn-north-1")
        );
        assert_eq!(arn_region("not-an-arn"), None);
        assert_eq!(arn_region("arn:aws:s3"), None);
    }

    #[test]
    fn aws_provider_names() {
        assert!(is_aws_provider("registry.terraform.io/hashicorp/aws"));
        assert!(is_aws_provider("registry.opentofu.org/hashicorp/aws"));
        assert!(is_aws_provider("aws"));
        assert!(is_aws_provider("aws.west"));
        assert!(!is_aws_provider("registry.terraform.io/hashicorp/awscc"));
        assert!(!is_aws_provider("registry.terraform.io/someone/aws-fork"));
    }

    #[test]
    fn global_types() {
        assert!(is_global_type("aws_iam_role"));
        assert!(is_global_type("aws_route53_zone"));
        assert!(!is_global_type("aws_route53_resolver_endpoint"));
        assert!(!is_global_type("aws_db_instance"));
    }

    #[test]
    fn kms_data_sources() {
        assert_eq!(
            kms_data_source("data.aws_kms_key.db.arn").as_deref(),
            Some("data.aws_kms_key.db")
        );
        assert_eq!(
            kms_data_source("data.aws_kms_alias.a").as_deref(),
            Some("data.aws_kms_alias.a")
        );
        assert_eq!(kms_data_source("aws_kms_key.db.arn"), None);
        assert_eq!(kms_data_source("data.aws_s3_bucket.b"), None);
    }

    struct Map(Vec<(&'static str, Value<'static>)>);
    impl<'a> Attributes<'a> for Map {
        fn get(&self, name: &str) -> Option<Value<'a>> {
            self.0
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.clone())
        }
    }

    #[test]
    fn key_usability_reads_the_attributes_of_each_type() {
        let disabled = Map(vec![("enabled", Value::Bool(false))]);
        assert_eq!(
            key_usability("aws_kms_replica_key", &disabled),
            Usability::Unusable("is disabled (enabled = false)".into())
        );
        assert_eq!(key_usability("aws_kms_key", &disabled), Usability::Usable);
        let sign = Map(vec![("key_usage", Value::String("SIGN_VERIFY".into()))]);
        assert!(matches!(
            key_usability("aws_kms_key", &sign),
            Usability::Unusable(_)
        ));
        let unknown = Map(vec![("is_enabled", Value::Unknown(Unknown::UntilApply))]);
        assert_eq!(
            key_usability("aws_kms_key", &unknown),
            Usability::Unknown("its `is_enabled` is unknown until apply".into())
        );
    }
}
