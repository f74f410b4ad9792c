//! Writes a large Terraform configuration for benchmarks:
//! `cargo run --release --example gentf -- N REGIONS OUTDIR`.
//!
//! A root module of REGIONS aliased AWS providers (regions from a local
//! map, `default_tags`) and N `aws_db_instance` blocks, about 1.5 KB each as
//! in real modules: templates, `merge(local.tags, {...})` tags, conditionals,
//! a `lookup`, nested blocks, a `dynamic` block and a `lifecycle` block.
//! Every fifth is database tier; every region but the last has a tier key,
//! so the check has a finding to report. A tenth of the resources sit in a
//! local module called once per region with `for_each`.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

const REGIONS: &[&str] = &[
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-central-1",
    "eu-north-1",
    "ap-south-1",
    "ap-northeast-1",
    "ap-southeast-2",
];

fn database(out: &mut String, i: usize, provider: &str, tier: bool) {
    let tier_tag = if tier {
        "\n    tier = \"database\""
    } else {
        ""
    };
    let _ = write!(
        out,
        r#"
resource "aws_db_instance" "db_{i}" {{
  provider                = {provider}
  identifier              = "${{local.prefix}}-db-{i}"
  engine                  = "postgres"
  engine_version          = "16.3"
  instance_class          = local.is_prod ? "db.r6g.large" : "db.t4g.micro"
  allocated_storage       = 100
  max_allocated_storage   = lookup(local.storage, "max", 1000)
  db_name                 = "app{i}"
  username                = "admin_{i}"
  multi_az                = local.is_prod
  storage_encrypted       = true
  backup_retention_period = 7
  backup_window           = "03:00-04:00"
  maintenance_window      = "sun:05:00-sun:06:00"
  deletion_protection     = true
  skip_final_snapshot     = false
  final_snapshot_identifier = format("%s-final-%05d", local.prefix, {i})
  enabled_cloudwatch_logs_exports = ["postgresql", "upgrade"]
  performance_insights_enabled    = true
  parameter_group_name    = "pg-${{local.environment}}-{i}"

  tags = merge(local.tags, {{
    Name  = "db-{i}"
    owner = "team-${{lower(local.team)}}"{tier_tag}
  }})

  dynamic "restore_to_point_in_time" {{
    for_each = local.restore ? [1] : []
    content {{
      use_latest_restorable_time = true
    }}
  }}

  timeouts {{
    create = "60m"
    delete = "2h"
  }}

  lifecycle {{
    ignore_changes = [password, engine_version]
  }}
}}
"#
    );
}

fn main() {
    let mut args = std::env::args().skip(1);
    let usage = "usage: gentf N REGIONS OUTDIR";
    let n: usize = args.next().and_then(|a| a.parse().ok()).expect(usage);
    let regions: usize = args.next().and_then(|a| a.parse().ok()).expect(usage);
    let dir = args.next().expect(usage);
    let regions = &REGIONS[..regions.clamp(1, REGIONS.len())];
    let dir = Path::new(&dir);
    fs::create_dir_all(dir.join("modules/db")).expect("create OUTDIR");

    let mut root = String::from(
        r#"locals {
  environment = "prod"
  is_prod     = local.environment == "prod"
  prefix      = "orders-${local.environment}"
  team        = "DATA"
  restore     = false
  storage     = { max = 2000 }
  tags = {
    environment = local.environment
    cost-center = "cc-1234"
  }
  regions = {
"#,
    );
    for (r, name) in regions.iter().enumerate() {
        let _ = writeln!(root, "    r{r} = \"{name}\"");
    }
    root.push_str("  }\n}\n");
    for r in 0..regions.len() {
        let _ = write!(
            root,
            r#"
provider "aws" {{
  alias  = "r{r}"
  region = local.regions["r{r}"]
  default_tags {{
    tags = {{ managed-by = "terraform" }}
  }}
}}
"#
        );
        if r + 1 < regions.len() {
            let _ = write!(
                root,
                r#"
resource "aws_kms_key" "tier_r{r}" {{
  provider    = aws.r{r}
  description = "database tier key in ${{local.regions["r{r}"]}}"
  tags        = merge(local.tags, {{ tier = "database" }})
}}
"#
            );
        }
    }
    let in_module = n / 10;
    for i in 0..n - in_module {
        let provider = format!("aws.r{}", i % regions.len());
        database(&mut root, i, &provider, i % 5 == 0);
    }
    // The module: instantiated once per region, each instance with its
    // share of the resources.
    let per_instance = in_module / regions.len();
    let mut module = String::from(
        "variable \"region_key\" {}\nvariable \"tags\" {}\nlocals {\n  environment = \"prod\"\n  is_prod = true\n  prefix = \"m-${var.region_key}\"\n  team = \"DATA\"\n  restore = false\n  storage = { max = 500 }\n  tags = var.tags\n}\n",
    );
    for i in 0..per_instance {
        database(&mut module, i, "aws", i % 5 == 0);
    }
    for r in 0..regions.len() {
        let _ = write!(
            root,
            r#"
module "db_r{r}" {{
  source     = "./modules/db"
  region_key = "r{r}"
  tags       = local.tags
  providers  = {{ aws = aws.r{r} }}
}}
"#
        );
    }
    fs::write(dir.join("main.tf"), root).expect("write main.tf");
    fs::write(dir.join("modules/db/main.tf"), module).expect("write module");
}
