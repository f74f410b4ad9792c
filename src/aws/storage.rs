//! S14: which attribute of each storage type names the KMS key that
//! encrypts its data, which flag turns encryption on, and what the service
//! uses without a key. One row per type; the rule reads instances through
//! [`Attributes`], so plans, states and configurations share it.

use crate::value::{Attributes, Unknown, Value};

/// How a flag turns encryption on.
#[derive(Debug, Clone, Copy)]
enum On {
    /// A boolean that is true.
    True,
    /// A string that starts with this (`KMS`, `aws:kms`).
    Starts(&'static str),
}

/// An encryption flag: its path, what turns it on, and its default.
#[derive(Debug, Clone, Copy)]
struct Flag {
    path: &'static [&'static str],
    on: On,
    default: bool,
}

/// One storage type.
#[derive(Debug, Clone, Copy)]
struct Storage {
    rtype: &'static str,
    /// The key attribute; nested blocks on the way take their first block.
    key: &'static [&'static str],
    flag: Option<Flag>,
    /// What encrypts the data without a key (a phrase).
    without_key: &'static str,
    /// Where the data is: the resource's own region, or (snapshot copies)
    /// its destination region.
    at_destination: bool,
    /// Encryption cannot be off: the flag off means this service key (S3:
    /// `AES256` is SSE-S3).
    off_is_service_key: bool,
    /// How messages name the key attribute, when not by its path.
    shown: Option<&'static str>,
}

const fn row(
    rtype: &'static str,
    key: &'static [&'static str],
    flag: Option<Flag>,
    without_key: &'static str,
) -> Storage {
    Storage {
        rtype,
        key,
        flag,
        without_key,
        at_destination: false,
        off_is_service_key: false,
        shown: None,
    }
}

/// An encryption flag, for [`row`].
#[allow(
    clippy::unnecessary_wraps,
    reason = "rows take an optional flag; this builds the present one"
)]
const fn flag(path: &'static [&'static str], on: On, default: bool) -> Option<Flag> {
    Some(Flag { path, on, default })
}

const RDS: &str = "the AWS-managed key aws/rds";
const S3: &str = "S3-managed keys (SSE-S3)";

/// The storage types, with their key attribute and encryption flag.
const TABLE: &[Storage] = &[
    row(
        "aws_db_instance",
        &["kms_key_id"],
        flag(&["storage_encrypted"], On::True, false),
        RDS,
    ),
    row(
        "aws_rds_cluster",
        &["kms_key_id"],
        flag(&["storage_encrypted"], On::True, false),
        RDS,
    ),
    Storage {
        at_destination: true,
        ..row("aws_db_snapshot_copy", &["kms_key_id"], None, RDS)
    },
    Storage {
        at_destination: true,
        ..row("aws_rds_cluster_snapshot_copy", &["kms_key_id"], None, RDS)
    },
    row(
        "aws_db_instance_automated_backups_replication",
        &["kms_key_id"],
        None,
        RDS,
    ),
    row(
        "aws_dynamodb_table",
        &["server_side_encryption", "kms_key_arn"],
        flag(&["server_side_encryption", "enabled"], On::True, false),
        "the AWS-managed key aws/dynamodb",
    ),
    row(
        "aws_dynamodb_table_replica",
        &["kms_key_arn"],
        None,
        "the AWS-managed key aws/dynamodb",
    ),
    row(
        "aws_elasticache_replication_group",
        &["kms_key_id"],
        flag(&["at_rest_encryption_enabled"], On::True, false),
        "the ElastiCache default key",
    ),
    row(
        "aws_elasticache_serverless_cache",
        &["kms_key_id"],
        None,
        "the ElastiCache default key",
    ),
    row(
        "aws_memorydb_cluster",
        &["kms_key_arn"],
        None,
        "the MemoryDB default key",
    ),
    row(
        "aws_redshift_cluster",
        &["kms_key_id"],
        flag(&["encrypted"], On::True, false),
        "the AWS-managed key aws/redshift",
    ),
    row(
        "aws_redshiftserverless_namespace",
        &["kms_key_id"],
        None,
        "an AWS-owned key",
    ),
    row(
        "aws_docdb_cluster",
        &["kms_key_id"],
        flag(&["storage_encrypted"], On::True, false),
        RDS,
    ),
    row(
        "aws_docdbelastic_cluster",
        &["kms_key_id"],
        None,
        "an AWS-owned key",
    ),
    row(
        "aws_neptune_cluster",
        &["kms_key_arn"],
        flag(&["storage_encrypted"], On::True, false),
        RDS,
    ),
    row(
        "aws_timestreamwrite_database",
        &["kms_key_id"],
        None,
        "the AWS-managed key aws/timestream",
    ),
    row(
        "aws_keyspaces_table",
        &["encryption_specification", "kms_key_identifier"],
        flag(
            &["encryption_specification", "type"],
            On::Starts("CUSTOMER_MANAGED"),
            false,
        ),
        "an AWS-owned key",
    ),
    row(
        "aws_opensearch_domain",
        &["encrypt_at_rest", "kms_key_id"],
        flag(&["encrypt_at_rest", "enabled"], On::True, false),
        "the AWS-managed key aws/es",
    ),
    row("aws_qldb_ledger", &["kms_key"], None, "an AWS-owned key"),
    row(
        "aws_dsql_cluster",
        &["kms_encryption_key"],
        None,
        "an AWS-owned key",
    ),
    row(
        "aws_ebs_volume",
        &["kms_key_id"],
        flag(&["encrypted"], On::True, false),
        "the AWS-managed key aws/ebs",
    ),
    row(
        "aws_efs_file_system",
        &["kms_key_id"],
        flag(&["encrypted"], On::True, false),
        "the AWS-managed key aws/elasticfilesystem",
    ),
    row(
        "aws_backup_vault",
        &["kms_key_arn"],
        None,
        "the AWS-managed key aws/backup",
    ),
    row(
        "aws_secretsmanager_secret",
        &["kms_key_id"],
        None,
        "the AWS-managed key aws/secretsmanager",
    ),
    row(
        "aws_sqs_queue",
        &["kms_master_key_id"],
        None,
        "SQS-managed encryption (an AWS-owned key)",
    ),
    row(
        "aws_sns_topic",
        &["kms_master_key_id"],
        None,
        "no server-side encryption",
    ),
    row(
        "aws_kinesis_stream",
        &["kms_key_id"],
        flag(&["encryption_type"], On::Starts("KMS"), false),
        "the AWS-managed key aws/kinesis",
    ),
    row(
        "aws_cloudwatch_log_group",
        &["kms_key_id"],
        None,
        "CloudWatch Logs' own encryption",
    ),
    row(
        "aws_ecr_repository",
        &["encryption_configuration", "kms_key"],
        flag(
            &["encryption_configuration", "encryption_type"],
            On::Starts("KMS"),
            false,
        ),
        "AES-256 with an AWS-owned key",
    ),
    // The bucket itself names no key: its encryption configuration does
    // (a resource of its own, or the older inline block).
    Storage {
        off_is_service_key: true,
        shown: Some(
            "`kms_master_key_id` of an `aws_s3_bucket_server_side_encryption_configuration`",
        ),
        ..row(
            "aws_s3_bucket",
            &[
                "server_side_encryption_configuration",
                "rule",
                "apply_server_side_encryption_by_default",
                "kms_master_key_id",
            ],
            flag(
                &[
                    "server_side_encryption_configuration",
                    "rule",
                    "apply_server_side_encryption_by_default",
                    "sse_algorithm",
                ],
                On::Starts("aws:kms"),
                false,
            ),
            S3,
        )
    },
    Storage {
        off_is_service_key: true,
        shown: Some("`rule.apply_server_side_encryption_by_default.kms_master_key_id`"),
        ..row(
            "aws_s3_bucket_server_side_encryption_configuration",
            &[
                "rule",
                "apply_server_side_encryption_by_default",
                "kms_master_key_id",
            ],
            flag(
                &[
                    "rule",
                    "apply_server_side_encryption_by_default",
                    "sse_algorithm",
                ],
                On::Starts("aws:kms"),
                false,
            ),
            S3,
        )
    },
];

/// The top-level attribute or block that names a storage type's key.
pub(crate) fn key_attribute(rtype: &str) -> Option<&'static str> {
    TABLE
        .iter()
        .find(|s| s.rtype == rtype)
        .and_then(|s| s.key.first().copied())
}

/// Which data of a resource an encryption is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Data {
    /// Its own data, in its own region.
    Own,
    /// Its data in one of its extra regions (an index into its S9 extra
    /// regions: a replica, a copy's destination).
    Extra(usize),
}

/// What encrypts one part of a resource's data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KeyUse {
    /// Encryption is off (`storage_encrypted = false`): how.
    Off(String),
    /// No key is named: the service's own (what it is).
    ServiceKey(String),
    /// A key named by value: key ARN, key ID, alias name or alias ARN.
    Named(String),
    /// A reference to a resource or data source: its full address and the
    /// attribute (`aws_kms_key.db`, `arn`).
    Reference { address: String, attribute: String },
    /// Not known offline: why.
    Unknown(String),
}

/// One part of a resource's data and the key that encrypts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Encryption {
    pub data: Data,
    /// The attribute that names the key, quoted for messages
    /// (`` `kms_key_id` ``, `` `server_side_encryption.kms_key_arn` ``).
    pub attribute: String,
    pub key: KeyUse,
}

/// The value at a path (nested blocks take their first block).
fn at<'a>(attrs: &dyn Attributes<'a>, path: &[&str]) -> Option<Value<'a>> {
    let (first, rest) = path.split_first()?;
    let mut value = attrs.get(first)?;
    for step in rest {
        value = match value {
            Value::List(items) => items.into_iter().next()?,
            other => other,
        };
        value = match value {
            Value::Map(mut map) | Value::Partial(mut map, _) => map.remove(*step)?,
            u @ Value::Unknown(_) => u,
            _ => return None,
        };
    }
    Some(value)
}

/// The key a value names.
fn key_use(value: Option<Value<'_>>, without_key: &str) -> KeyUse {
    match value {
        None | Some(Value::Null) => KeyUse::ServiceKey(without_key.to_string()),
        Some(Value::String(s)) if s.is_empty() => KeyUse::ServiceKey(without_key.to_string()),
        Some(Value::String(s)) if s == "AWS_OWNED_KMS_KEY" => {
            KeyUse::ServiceKey("an AWS-owned key (AWS_OWNED_KMS_KEY)".into())
        }
        Some(Value::String(s)) => KeyUse::Named(s.into_owned()),
        Some(Value::Unknown(Unknown::Attribute { address, attribute })) => {
            KeyUse::Reference { address, attribute }
        }
        Some(Value::Unknown(u)) => KeyUse::Unknown(format!("is unknown{}", u.suffix())),
        Some(other) => KeyUse::Unknown(format!("is not a key: {other}")),
    }
}

/// S14: what encrypts each part of a storage resource's data; empty for
/// other types.
pub(crate) fn encryption(rtype: &str, attrs: &dyn Attributes<'_>) -> Vec<Encryption> {
    let Some(row) = TABLE.iter().find(|s| s.rtype == rtype) else {
        return Vec::new();
    };
    let attribute = row
        .shown
        .map_or_else(|| format!("`{}`", row.key.join(".")), str::to_string);
    let flag = row.flag.map(|f| {
        let on = match at(attrs, f.path) {
            Some(Value::Unknown(u)) => {
                Err(format!("`{}` is unknown{}", f.path.join("."), u.suffix()))
            }
            Some(Value::Bool(b)) if matches!(f.on, On::True) => Ok(b),
            Some(Value::String(s)) => match f.on {
                On::Starts(p) => Ok(s.starts_with(p)),
                On::True => Ok(s == "true"),
            },
            // Unset: its default.
            _ => Ok(f.default),
        };
        (f, on)
    });
    let key = match flag {
        Some((_, Ok(false))) if row.off_is_service_key => {
            KeyUse::ServiceKey(row.without_key.to_string())
        }
        Some((f, Ok(false))) => KeyUse::Off(match at(attrs, f.path) {
            Some(Value::String(s)) => format!("{} = {s}", f.path.join(".")),
            Some(Value::Bool(_)) => format!("{} = false", f.path.join(".")),
            _ => format!("{} is not set, and off by default", f.path.join(".")),
        }),
        Some((_, Err(why))) => match key_use(at(attrs, row.key), row.without_key) {
            // A key named decides whatever the flag.
            k @ (KeyUse::Named(_) | KeyUse::Reference { .. }) => k,
            _ => KeyUse::Unknown(why),
        },
        _ => key_use(at(attrs, row.key), row.without_key),
    };
    let data = if row.at_destination {
        Data::Extra(0)
    } else {
        Data::Own
    };
    let mut out = vec![Encryption {
        data,
        attribute,
        key,
    }];
    out.extend(replicas(rtype, attrs));
    out
}

/// `DynamoDB` and Secrets Manager replicas, each with its own key, in the
/// order of the S9 extra regions.
fn replicas(rtype: &str, attrs: &dyn Attributes<'_>) -> Vec<Encryption> {
    let (attr, without_key) = match rtype {
        "aws_dynamodb_table" => ("kms_key_arn", "the AWS-managed key aws/dynamodb"),
        "aws_secretsmanager_secret" => ("kms_key_id", "the AWS-managed key aws/secretsmanager"),
        _ => return Vec::new(),
    };
    let Some(replicas) = attrs.get("replica") else {
        return Vec::new();
    };
    replicas
        .elements()
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(n, replica)| Encryption {
            data: Data::Extra(n),
            attribute: format!("`replica.{attr}`"),
            key: key_use(replica.member(attr).cloned(), without_key),
        })
        .collect()
}

/// An AWS-managed key alias (`alias/aws/rds`): never a customer-managed
/// key.
pub(crate) fn is_aws_managed_alias(name: &str) -> bool {
    let alias = name.rsplit_once(":alias/").map_or(name, |(_, a)| a);
    let alias = alias.strip_prefix("alias/").unwrap_or(alias);
    alias.starts_with("aws/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    struct Map(Vec<(&'static str, Value<'static>)>);
    impl<'a> Attributes<'a> for Map {
        fn get(&self, name: &str) -> Option<Value<'a>> {
            self.0
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.clone())
        }
    }

    fn block(pairs: &[(&'static str, Value<'static>)]) -> Value<'static> {
        Value::List(vec![Value::Map(
            pairs
                .iter()
                .map(|(k, v)| (Cow::Borrowed(*k), v.clone()))
                .collect(),
        )])
    }

    #[test]
    fn each_storage_type_names_its_key() {
        let rds = Map(vec![
            ("storage_encrypted", Value::Bool(true)),
            ("kms_key_id", Value::String("alias/db".into())),
        ]);
        assert_eq!(
            encryption("aws_db_instance", &rds)[0].key,
            KeyUse::Named("alias/db".into())
        );
        let unencrypted = Map(vec![]);
        assert!(matches!(
            encryption("aws_db_instance", &unencrypted)[0].key,
            KeyUse::Off(_)
        ));
        let dynamo = Map(vec![(
            "server_side_encryption",
            block(&[("enabled", Value::Bool(true))]),
        )]);
        assert_eq!(
            encryption("aws_dynamodb_table", &dynamo)[0].key,
            KeyUse::ServiceKey("the AWS-managed key aws/dynamodb".into())
        );
        let referenced = Map(vec![(
            "kms_master_key_id",
            Value::Unknown(Unknown::Attribute {
                address: "module.k.aws_kms_key.this".into(),
                attribute: "arn".into(),
            }),
        )]);
        assert_eq!(
            encryption("aws_sqs_queue", &referenced)[0].key,
            KeyUse::Reference {
                address: "module.k.aws_kms_key.this".into(),
                attribute: "arn".into()
            }
        );
        assert!(encryption("aws_iam_role", &unencrypted).is_empty());
        assert!(is_aws_managed_alias("alias/aws/rds"));
        assert!(is_aws_managed_alias(
            "arn:aws:kms:eu-west-1:1:alias/aws/ebs"
        ));
        assert!(!is_aws_managed_alias("alias/db"));
    }
}
