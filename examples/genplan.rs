//! Writes a realistic `terraform show -json` plan for benchmarks:
//! `cargo run --release --example genplan -- N REGIONS OUT.json [SHAPE]`.
//!
//! N resource instances spread over REGIONS aliased providers and 10
//! modules, each with a planned value, a `resource_changes` entry (with
//! `after_unknown` and sensitivity maps) and a configuration block, about
//! 5.5 KB per instance as in real plans. Written minified on one line, as
//! `terraform show -json` prints it. Every fifth instance is database tier;
//! the last region has no tier key, so the check has a finding to report.
//!
//! SHAPE `db` (the default) makes every instance an `aws_db_instance`;
//! `nokeys` is the same without any tier key (a `missing-tier-key` finding
//! per region, every tier instance of it a related location);
//! `mixed` makes a quarter each IAM policies (long JSON documents in
//! escaped strings), S3 buckets (nested blocks), database instances and
//! Lambda functions (sensitive environment maps), with 16 tags apiece, over
//! 12 modules.

#![recursion_limit = "256"]

use std::fs::File;
use std::io::{BufWriter, Write};

use serde_json::{json, Value};

fn values(i: usize, region: &str, tier: bool) -> Value {
    let mut tags =
        json!({"Name": format!("db-{i}"), "owner": "team-data", "cost-center": "cc-1234"});
    if tier {
        tags["tier"] = json!("database");
    }
    let mut params = Vec::new();
    for p in 0..12 {
        params.push(json!({"apply_method": "immediate", "name": format!("parameter_{p}_{i}"), "value": format!("{}", p * i)}));
    }
    json!({
        "allocated_storage": 100, "allow_major_version_upgrade": null, "apply_immediately": false,
        "arn": format!("arn:aws:rds:{region}:123456789012:db:db-{i}"),
        "auto_minor_version_upgrade": true, "availability_zone": format!("{region}a"),
        "backup_retention_period": 7, "backup_window": "03:00-04:00", "ca_cert_identifier": "rds-ca-rsa2048-g1",
        "character_set_name": null, "copy_tags_to_snapshot": true, "db_name": format!("app{i}"),
        "db_subnet_group_name": format!("subnets-{}", i % 17), "delete_automated_backups": true,
        "deletion_protection": true, "domain": null, "enabled_cloudwatch_logs_exports": ["postgresql", "upgrade"],
        "engine": "postgres", "engine_version": "16.3", "final_snapshot_identifier": format!("final-{i}"),
        "iam_database_authentication_enabled": false, "identifier": format!("db-{i}"),
        "instance_class": "db.r6g.large", "iops": 3000, "kms_key_id": format!("arn:aws:kms:{region}:123456789012:key/0000-{i}"),
        "license_model": "postgresql-license", "maintenance_window": "sun:05:00-sun:06:00",
        "max_allocated_storage": 1000, "monitoring_interval": 60, "multi_az": true,
        "parameter_group_name": format!("pg-{i}"), "parameters": params, "password": null, "port": 5432,
        "publicly_accessible": false, "region": region, "skip_final_snapshot": false,
        "storage_encrypted": true, "storage_type": "gp3", "tags": tags.clone(), "tags_all": tags,
        "timeouts": null, "username": "admin", "vpc_security_group_ids": [format!("sg-{:08x}", i), format!("sg-{:08x}", i + 1)],
        "description": "x".repeat(250)
    })
}

fn key_values(region: &str, tier: bool) -> Value {
    let tags = if tier {
        json!({"tier": "database"})
    } else {
        json!({"tier": "app"})
    };
    json!({"customer_master_key_spec": "SYMMETRIC_DEFAULT", "description": "tier key", "is_enabled": true,
           "key_usage": "ENCRYPT_DECRYPT", "multi_region": false, "region": region, "tags": tags.clone(), "tags_all": tags})
}

/// The `mixed` shape: one of four resource types, and its values.
fn mixed_values(i: usize, region: &str, tier: bool) -> (&'static str, Value) {
    let mut tags = serde_json::Map::new();
    for t in 0..15 {
        tags.insert(
            format!("team:label-{t}"),
            json!(format!("value {t} of resource {i}")),
        );
    }
    if tier {
        tags.insert("tier".into(), json!("database"));
    }
    let tags = Value::Object(tags);
    let arn =
        |service: &str, what: &str| format!("arn:aws:{service}:{region}:123456789012:{what}-{i}");
    match i % 4 {
        0 => {
            let statements: Vec<Value> = (0..8)
                .map(|s| json!({"Sid": format!("S{s}"), "Effect": "Allow",
                    "Action": ["s3:GetObject", "s3:PutObject", "kms:Decrypt", "kms:GenerateDataKey*"],
                    "Resource": [arn("s3", "bucket/data"), format!("{}/*", arn("s3", "bucket/data"))],
                    "Condition": {"StringEquals": {"aws:PrincipalTag/team": "data \"core\""}}}))
                .collect();
            let policy = json!({"Version": "2012-10-17", "Statement": statements}).to_string();
            (
                "aws_iam_policy",
                json!({"name": format!("policy-{i}"), "path": "/", "description": "x".repeat(80),
                "policy": policy, "arn": arn("iam", "policy/p"), "tags": tags.clone(), "tags_all": tags}),
            )
        }
        1 => (
            "aws_s3_bucket",
            json!({"bucket": format!("bucket-{i}"), "force_destroy": false, "region": region,
            "arn": format!("arn:aws:s3:::bucket-{i}"),
            "server_side_encryption_configuration": [{"rule": [{"apply_server_side_encryption_by_default":
                [{"kms_master_key_id": arn("kms", "key/k"), "sse_algorithm": "aws:kms"}], "bucket_key_enabled": true}]}],
            "lifecycle_rule": (0..6).map(|l| json!({"id": format!("rule-{l}"), "enabled": true, "prefix": format!("logs/{l}/"),
                "expiration": [{"days": 30 + l, "date": null, "expired_object_delete_marker": false}],
                "transition": [{"days": 10 + l, "storage_class": "GLACIER"}]})).collect::<Vec<_>>(),
            "versioning": [{"enabled": true, "mfa_delete": false}], "tags": tags.clone(), "tags_all": tags}),
        ),
        2 => (
            "aws_db_instance",
            json!({"identifier": format!("db-{i}"), "engine": "postgres", "engine_version": "16.3",
            "instance_class": "db.r6g.large", "allocated_storage": 100, "storage_encrypted": true,
            "kms_key_id": arn("kms", "key/k"), "password": "s3cr3t", "username": "admin", "region": region,
            "arn": arn("rds", "db:db"), "parameter_group_name": format!("pg-{i}"), "tags": tags.clone(), "tags_all": tags}),
        ),
        _ => (
            "aws_lambda_function",
            json!({"function_name": format!("fn-{i}"), "runtime": "python3.12", "handler": "app.handler",
            "role": arn("iam", "role/r"), "kms_key_arn": arn("kms", "key/k"), "region": region,
            "environment": [{"variables": (0..12).map(|v| (format!("SETTING_{v}"), json!(format!("{{\"json\": \"value {v}\", \"n\": {i}}}")))).collect::<serde_json::Map<_, _>>()}],
            "tags": tags.clone(), "tags_all": tags}),
        ),
    }
}

/// The command line: N, REGIONS, OUT, and whether the shape is `mixed` and
/// has tier keys.
fn arguments() -> (usize, usize, String, bool, bool) {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: genplan N REGIONS OUT.json [db|nokeys|mixed]";
    let n: usize = args.get(1).and_then(|s| s.parse().ok()).expect(usage);
    let regions: usize = args.get(2).and_then(|s| s.parse().ok()).expect(usage);
    let out = args.get(3).expect(usage).clone();
    let (mixed, keys) = match args.get(4).map(String::as_str) {
        None | Some("db") => (false, true),
        Some("nokeys") => (false, false),
        Some("mixed") => (true, true),
        Some(_) => panic!("{usage}"),
    };
    (n, regions, out, mixed, keys)
}

fn region_name(r: usize) -> String {
    format!(
        "{}-{}-{}",
        ["eu", "us", "ap", "sa", "ca"][r % 5],
        ["west", "east", "south", "north"][r % 4],
        1 + r / 20
    )
}

fn main() -> std::io::Result<()> {
    let (n, regions, out, mixed, keys) = arguments();
    let module_count = if mixed { 12 } else { 10 };
    // Each instance is serialized as it is made (keys in serde_json's sorted
    // order), so a plan of 300 000 resources takes about its own size in
    // memory rather than many times it as values.
    let mut planned: Vec<Vec<String>> = vec![Vec::new(); module_count];
    let mut changes: Vec<String> = Vec::new();
    let mut modules: Vec<Vec<Value>> = vec![Vec::new(); module_count];
    let mut push = |address: String,
                    module: usize,
                    rtype: &str,
                    name: &str,
                    provider: String,
                    values: Value| {
        let full = format!("module.m{module}.{address}");
        planned[module].push(
            json!({"address": full, "mode": "managed", "type": rtype, "name": name,
            "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 2,
            "values": values, "sensitive_values": {"tags": {}, "tags_all": {}, "parameters": []}})
            .to_string(),
        );
        changes.push(json!({"address": full, "module_address": format!("module.m{module}"), "mode": "managed",
            "type": rtype, "name": name, "provider_name": "registry.terraform.io/hashicorp/aws",
            "change": {"actions": ["create"], "before": null, "after": values,
                       "after_unknown": {"address": true, "endpoint": true, "hosted_zone_id": true, "id": true,
                                         "latest_restorable_time": true, "replicas": true, "resource_id": true, "status": true},
                       "before_sensitive": false, "after_sensitive": {"password": true, "tags": {}, "tags_all": {},
                       "environment": [{"variables": true}]}}}).to_string());
        modules[module].push(json!({"address": address, "mode": "managed", "type": rtype, "name": name,
            "provider_config_key": provider, "expressions": {"engine": {"constant_value": "postgres"},
            "tags": {"references": ["local.tags"]}}, "schema_version": 2}));
    };
    for r in 0..if keys { regions.saturating_sub(1) } else { 0 } {
        push(
            format!("aws_kms_key.tier_{r}"),
            r % module_count,
            "aws_kms_key",
            &format!("tier_{r}"),
            format!("aws.r{r}"),
            key_values(&region_name(r), true),
        );
    }
    for i in 0..n {
        let r = i % regions;
        let (rtype, values) = if mixed {
            mixed_values(i, &region_name(r), i % 5 == 0)
        } else {
            ("aws_db_instance", values(i, &region_name(r), i % 5 == 0))
        };
        push(
            format!("{rtype}.r_{i}"),
            i % module_count,
            rtype,
            &format!("r_{i}"),
            format!("aws.r{r}"),
            values,
        );
    }
    let mut provider_config = serde_json::Map::new();
    for r in 0..regions {
        provider_config.insert(format!("aws.r{r}"), json!({"name": "aws", "full_name": "registry.terraform.io/hashicorp/aws",
            "alias": format!("r{r}"), "expressions": {"region": {"constant_value": region_name(r)}}}));
    }
    let module_calls: serde_json::Map<String, Value> = modules
        .into_iter()
        .enumerate()
        .map(|(m, resources)| {
            (
                format!("m{m}"),
                json!({"source": format!("./modules/m{m}"), "module": {"resources": resources}}),
            )
        })
        .collect();
    let configuration =
        json!({"provider_config": provider_config, "root_module": {"module_calls": module_calls}});
    write_plan(&out, &configuration, &planned, &changes)
}

/// Writes the plan, its top-level keys in the order Terraform writes them
/// (`configuration` after `resource_changes`), from instances already
/// serialized.
fn write_plan(
    out: &str,
    configuration: &Value,
    planned: &[Vec<String>],
    changes: &[String],
) -> std::io::Result<()> {
    let mut w = BufWriter::new(File::create(out)?);
    write!(
        w,
        "{{\"format_version\":\"1.2\",\"terraform_version\":\"1.9.5\","
    )?;
    write!(
        w,
        "\"planned_values\":{{\"root_module\":{{\"child_modules\":["
    )?;
    let list = |w: &mut BufWriter<File>, items: &[String]| -> std::io::Result<()> {
        for (i, item) in items.iter().enumerate() {
            w.write_all(if i == 0 { b"" } else { b"," })?;
            w.write_all(item.as_bytes())?;
        }
        Ok(())
    };
    for (m, resources) in planned.iter().enumerate() {
        let comma = if m == 0 { "" } else { "," };
        write!(w, "{comma}{{\"address\":\"module.m{m}\",\"resources\":[")?;
        list(&mut w, resources)?;
        write!(w, "]}}")?;
    }
    write!(w, "]}}}},\"resource_changes\":[")?;
    list(&mut w, changes)?;
    write!(w, "],\"configuration\":")?;
    serde_json::to_writer(&mut w, configuration)?;
    writeln!(
        w,
        ",\"timestamp\":\"2026-11-28T00:00:00Z\",\"applyable\":true,\"complete\":true,\"errored\":false}}"
    )?;
    w.flush()
}
