//! tierkey: an offline check that every AWS region holding a tier's
//! resources also holds a customer-managed KMS key of that tier (Trend Micro
//! Cloud Conformity KMS-009/010/011), for Terraform and OpenTofu plans,
//! state and configurations.
//!
//! Data flows one way, one function per step:
//! ```text
//! input::discover(paths)                 -> documents and configuration roots (walkdir)
//! input::read / decode / classify        -> text, where the JSON is, and what it is
//! plan::read(...)                        -> model::Inventory      plans and states
//! configuration::Workspace::load + read  -> model::Inventory      configurations
//! rules::check(inventory, tiers, ...)    -> Vec<Finding>, Vec<RegionCheck>
//! waiver::apply(settings, ..)            -> findings marked suppressed
//! report::write(format, &outcome, ..)    -> human (miette), JSON, SARIF, JUnit, ...
//! Outcome::exit_status()                 -> 0 clean, 1 error findings, 2 unreadable input
//! ```
//! Beneath them: `value` (values with unknown parts), `aws` (facts about
//! AWS), `model` (resources with an effective region and effective tags),
//! `tier` (the user's tiers), `finding` (plain data), `source` (files and
//! spans), `settings` (`tierkey.toml`), `pool` (work spread over threads).
//! Every input family becomes the same `Inventory`, so each rule is written
//! once. Work is spread over every core (`--jobs`): discovery reads and
//! parses the modules of the walked directories (to find the roots), the
//! roots are then loaded on the run's thread, and every input is checked on
//! any thread: a plan, state or JSON document is read, checked and dropped
//! as a whole, with files of its own; a root is checked over the modules
//! and files loaded before, shared read-only. Only the text of documents
//! that findings point into is kept for the report, and results are merged
//! in the order the inputs were found, so the output never depends on the
//! threads.

pub mod aws;
mod canonical;
pub mod cli;
mod configuration;
pub mod error;
pub mod finding;
mod input;
mod json;
mod model;
pub mod outcome;
mod plan;
mod pool;
pub mod report;
mod rules;
pub mod settings;
pub mod source;
pub mod tier;
mod value;
mod waiver;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use configuration::VarArg;
pub use error::{ErrorCode, InputError};
pub use finding::{Code, Finding, Label, RegionCheck, Severity, Suppression};
pub use input::InputKind;
pub use outcome::{ExitStatus, FailOn, InputReport, Outcome};
pub use rules::RuleOptions;
pub use source::{FileId, Sources, Span};
pub use tier::{TagPair, TagValue, Tier};

use configuration::{ReadOptions, Root, RootValue, Workspace};
use input::{Candidate, Document, Target};
use model::Unmapped;

/// Everything a run needs, already validated.
#[derive(Debug, Clone)]
pub struct Options {
    pub paths: Vec<PathBuf>,
    /// At least one; each is checked on every input.
    pub tiers: Vec<Tier>,
    /// Stands in for `AWS_REGION` and profiles, which no plan records.
    pub default_region: Option<String>,
    /// `--var` / `--var-file`, in command-line order (root configurations).
    pub vars: Vec<VarArg>,
    /// `TF_VAR_name` values (root configurations), as the environment
    /// gives them.
    pub environment: Vec<(String, String)>,
    pub rule: RuleOptions,
    /// The settings file, when one was read (waivers, excludes).
    pub settings: Option<settings::Settings>,
    /// `--source DIR`: the root module every plan and state given was made
    /// from (else a `[[source]]` of the settings, else the plan's own
    /// directory when it holds configuration files).
    pub source: Option<PathBuf>,
    /// `--base-dir DIR`: report paths relative to it (default: as given,
    /// relative to the current directory).
    pub base_dir: Option<PathBuf>,
    /// `--together`: every input is judged with the others, as one account
    /// (S17); `[[group]]`s of the settings group some of them.
    pub together: bool,
    /// How many inputs are checked at once (`--jobs`); 0: one per core.
    /// Output never depends on it.
    pub jobs: usize,
    /// The caller exits once the outcome is reported (the command line):
    /// the modules parsed for the run are then left to the system to
    /// reclaim at exit instead of being freed one by one (a tenth of the
    /// time of a run over many `.tf` roots). A library caller that goes on
    /// leaves it `false`.
    pub exits_after: bool,
}

impl Options {
    /// A run over `paths` for `tiers`, with everything else as the command
    /// line has it when not given (one job per core).
    pub fn new(paths: Vec<PathBuf>, tiers: Vec<Tier>) -> Self {
        Options {
            paths,
            tiers,
            default_region: None,
            vars: Vec::new(),
            environment: Vec::new(),
            rule: RuleOptions::default(),
            settings: None,
            source: None,
            base_dir: None,
            together: false,
            jobs: 0,
            exits_after: false,
        }
    }

    /// The number of threads the run works on: `jobs`, or one per core
    /// when it is 0.
    pub fn jobs(&self) -> usize {
        // Asked once: the answer reads the process's cgroup files.
        static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
        match self.jobs {
            0 => *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, usize::from)),
            n => n,
        }
    }
}

/// What an input is judged with besides itself: S17, the keys of the
/// other inputs of its group, and where to collect its own (the first pass
/// over a group); S16, the roots the run loaded, which a plan made from
/// one of them is joined to.
struct Judging<'s> {
    shared: &'s [rules::SharedKey],
    collect: Option<&'s mut Vec<rules::SharedKey>>,
    roots: Option<&'s Roots<'s>>,
}

/// The root configurations a run loaded (its roots, and the source
/// directories named for several plans), shared read-only by the threads
/// that check its inputs: a plan made from one of them is joined to it
/// without reading its files again.
struct Roots<'s> {
    workspace: &'s Workspace,
    sources: &'s Sources,
    /// Each one's canonical directory.
    by_dir: std::collections::HashMap<PathBuf, &'s configuration::Loaded>,
}

impl<'s> Roots<'s> {
    /// The roots among `candidates`, as `loaded`, and the source
    /// directories loaded for several plans (`named`, by canonical
    /// directory).
    fn new(
        candidates: &[input::Found],
        loaded: &'s [Option<configuration::Loaded>],
        named: &'s [(PathBuf, configuration::Loaded)],
        workspace: &'s Workspace,
        sources: &'s Sources,
    ) -> Self {
        let by_dir = candidates
            .iter()
            .zip(loaded)
            .filter_map(|(candidate, loaded)| {
                // Only roots are looked up.
                let loaded = loaded.as_ref()?;
                let dir = workspace.canonical(&candidate.as_ref().ok()?.path)?;
                Some((dir, loaded))
            })
            .chain(named.iter().map(|(dir, loaded)| (dir.clone(), loaded)))
            .collect();
        Roots {
            workspace,
            sources,
            by_dir,
        }
    }

    fn get(&self, dir: &Path) -> Option<&'s configuration::Loaded> {
        let dir = self.workspace.canonical(dir)?;
        self.by_dir.get(&dir).copied()
    }
}

/// Reads every input, checks each on its own, and collects the findings.
pub fn run(options: &Options) -> Outcome {
    run_with_progress(options, &mut |_| {})
}

/// Where a run is: the input about to be checked, counted from 1 of all
/// found (for a progress line; the run does not depend on it).
#[derive(Debug, Clone, Copy)]
pub struct Progress<'a> {
    pub done: usize,
    pub total: usize,
    pub input: &'a str,
}

/// [`run`], telling `progress` before each input is checked.
pub fn run_with_progress(options: &Options, progress: &mut dyn FnMut(Progress)) -> Outcome {
    let mut outcome = Outcome::default();
    let mut workspace = Workspace::default();
    let excluded = |path: &Path| options.settings.as_ref().is_some_and(|s| s.excludes(path));
    let jobs = options.jobs();
    let candidates = {
        let sources = &mut outcome.sources;
        let paths = workspace.paths();
        let mut calls = |dirs: &[PathBuf]| workspace.called_dirs(dirs, sources, jobs);
        input::discover(&options.paths, &excluded, &mut calls, &paths)
    };
    let groups: Vec<Option<String>> = candidates
        .iter()
        .map(|c| c.as_ref().ok().and_then(|c| group_of(&c.display, options)))
        .collect();
    let shared_keys = shared_keys(&candidates, &groups, options, &mut outcome);
    let total = candidates.len();
    let origins: Vec<Option<usize>> = candidates
        .iter()
        .map(|c| c.as_ref().ok().and_then(|c| c.origin))
        .collect();
    let names: Vec<String> = candidates
        .iter()
        .map(|c| match c {
            Ok(c) => c.display.clone(),
            Err((path, _)) => path.clone(),
        })
        .collect();
    // Roots are loaded here, in order: their modules were read by
    // discovery on every core, the modules `terraform init` downloaded are
    // read now, on every core too, then each root's variable files.
    // Every module and file of every root is then in place, and shared
    // read-only by the threads that check them.
    let (loaded, sources_named) = load_roots(
        &candidates,
        options,
        &mut workspace,
        &mut outcome.sources,
        jobs,
    );
    let shared = std::mem::take(&mut outcome.sources);
    let roots = Roots::new(&candidates, &loaded, &sources_named, &workspace, &shared);
    // One input, checked on any thread: what it gave, and its own outcome.
    // Its files are numbered after the files read above, which a root's
    // findings (and those of a plan made from a root) point into.
    // A large document's memory is several times its size: two of them are
    // never checked at once, whatever the number of jobs.
    let large = std::sync::Mutex::new(());
    let check_one = |i: usize| {
        let mut part = Outcome::default();
        let reports = match &candidates[i] {
            Err((path, error)) => vec![InputReport::failed(path.clone(), error.clone())],
            Ok(candidate) => {
                let others: Vec<rules::SharedKey> = groups[i]
                    .as_ref()
                    .and_then(|g| shared_keys.get(g))
                    .into_iter()
                    .flatten()
                    .filter(|k| k.input != candidate.display)
                    .cloned()
                    .collect();
                let mut judging = Judging {
                    shared: &others,
                    collect: None,
                    roots: Some(&roots),
                };
                part.sources = Sources::starting_at(shared.len());
                if let Some(loaded) = &loaded[i] {
                    let (reports, findings, checks) = check_loaded(
                        loaded,
                        &candidate.display,
                        options,
                        roots.workspace,
                        roots.sources,
                        &mut judging,
                    );
                    (part.findings, part.checks) = (findings, checks);
                    reports
                } else {
                    let size = std::fs::metadata(&candidate.path).map_or(0, |m| m.len());
                    let _one_at_a_time = (size >= LARGE_INPUT).then(|| large.lock());
                    check_candidate(
                        candidate,
                        options,
                        &mut Workspace::default(),
                        &mut part,
                        &mut judging,
                    )
                }
            }
        };
        index_lines(&part, &shared);
        (reports, part)
    };
    let mut done = 0;
    let mut tell = |i: usize| {
        done += 1;
        progress(Progress {
            done,
            total,
            input: &names[i],
        });
    };
    let results = schedule(total, jobs, &check_one, &mut tell);
    outcome.sources = shared;
    let walked_something = merge(results, &origins, options.paths.len(), &mut outcome);
    release(workspace, options.exits_after);
    report_unread_directories(options, &walked_something, &mut outcome);
    finish(options, &mut outcome);
    outcome
}

/// The modules of the configurations, once every input is checked: a
/// process that exits after its report leaves them to the system rather
/// than freeing them one by one.
fn release(workspace: Workspace, exits_after: bool) {
    if exits_after {
        std::mem::forget(workspace);
    }
}

/// Builds, on the thread that checked an input, the line index of every
/// file its findings point into (its own files, and the run's shared ones):
/// the report, written on one thread, then only looks lines up.
fn index_lines(part: &Outcome, shared: &Sources) {
    for label in part.findings.iter().flat_map(Finding::labels) {
        let file = label.span.file;
        let sources = if file.0 < shared.len() {
            shared
        } else {
            &part.sources
        };
        sources.get(file).index_lines();
    }
}

/// Loads the roots among `candidates`, in order (nothing for the other
/// inputs): first the modules `terraform init` downloaded for them, read
/// on `jobs` threads, then each root's modules and variable files; and
/// the source directories named for several plans
/// ([`load_named_sources`]).
fn load_roots(
    candidates: &[input::Found],
    options: &Options,
    workspace: &mut Workspace,
    sources: &mut Sources,
    jobs: usize,
) -> (
    Vec<Option<configuration::Loaded>>,
    Vec<(PathBuf, configuration::Loaded)>,
) {
    let root_dirs: Vec<PathBuf> = candidates
        .iter()
        .filter_map(|c| c.as_ref().ok())
        .filter(|c| c.target == Target::ConfigDir)
        .map(|c| c.path.clone())
        .collect();
    workspace.read_downloaded(&root_dirs, sources, jobs);
    let loaded: Vec<_> = candidates
        .iter()
        .map(|c| match c {
            Ok(c) if c.target == Target::ConfigDir => Some(workspace.load(
                &Root::Dir(c.path.clone()),
                &options.vars,
                &options.environment,
                sources,
            )),
            _ => None,
        })
        .collect();
    let named = load_named_sources(candidates, &loaded, options, workspace, sources);
    (loaded, named)
}

/// Puts what each input gave into the run's outcome, in the order the
/// inputs were found: the output is the same whatever the number of jobs.
/// Returns which walked command-line paths gave an input: one that gave
/// none is an error, never a pass (every file in it was skipped as not
/// ours).
fn merge(
    results: Vec<Option<Checked>>,
    origins: &[Option<usize>],
    paths: usize,
    outcome: &mut Outcome,
) -> Vec<bool> {
    let mut walked_something = vec![false; paths];
    for (checked, origin) in results.into_iter().zip(origins) {
        let Some((reports, mut part)) = checked else {
            continue;
        };
        if let (Some(o), false) = (origin, reports.is_empty()) {
            walked_something[*o] = true;
        }
        part.inputs.extend(reports);
        outcome.absorb(part);
    }
    walked_something
}

/// From this size on, a document is checked while no other this large is
/// (its parsed form takes about half its size again; see BENCHMARKS.md).
const LARGE_INPUT: u64 = 256 << 20;

/// What one input gave when it was checked: its reports, and its own
/// outcome (findings, region checks, its files).
type Checked = (Vec<InputReport>, Outcome);

/// Checks inputs `0..total` with `check` on `jobs` threads, the run's own
/// included, each taking the next input not taken yet. `tell` hears of
/// each input as this thread takes it, or as it comes back from another.
/// Results are in input order.
fn schedule(
    total: usize,
    jobs: usize,
    check: &(dyn Fn(usize) -> Checked + Sync),
    tell: &mut dyn FnMut(usize),
) -> Vec<Option<Checked>> {
    let mut results: Vec<Option<Checked>> = Vec::new();
    results.resize_with(total, || None);
    let mut told = vec![false; total];
    pool::each(jobs, total, check, &mut |i, checked| {
        if !std::mem::replace(&mut told[i], true) {
            tell(i);
        }
        if let Some(checked) = checked {
            results[i] = Some(checked);
        }
    });
    results
}

/// S17: each group's keys, gathered in a first pass over its inputs; the
/// inputs of each group are recorded for the summary.
fn shared_keys(
    candidates: &[input::Found],
    groups: &[Option<String>],
    options: &Options,
    outcome: &mut Outcome,
) -> BTreeMap<String, Vec<rules::SharedKey>> {
    let mut shared: BTreeMap<String, Vec<rules::SharedKey>> = BTreeMap::new();
    for (candidate, group) in candidates.iter().zip(groups) {
        let (Ok(candidate), Some(group)) = (candidate, group) else {
            continue;
        };
        let mut keys = Vec::new();
        let mut scratch = Outcome::default();
        let mut judging = Judging {
            shared: &[],
            collect: Some(&mut keys),
            roots: None,
        };
        let read = check_candidate(
            candidate,
            options,
            &mut Workspace::default(),
            &mut scratch,
            &mut judging,
        );
        shared.entry(group.clone()).or_default().extend(keys);
        // A file a walk skips as not ours is in no group.
        if !read.is_empty() {
            outcome
                .groups
                .entry(group.clone())
                .or_default()
                .push(candidate.display.clone());
        }
    }
    shared
}

/// A directory given on the command line in which nothing was ours is an
/// input error, never a pass.
fn report_unread_directories(options: &Options, walked: &[bool], outcome: &mut Outcome) {
    for (path, walked) in options.paths.iter().zip(walked) {
        // Asked in this order: most paths were walked, or are files, and
        // looking through every input for each path is quadratic.
        let reported = || {
            outcome
                .inputs
                .iter()
                .any(|i| Path::new(&i.path).starts_with(path))
        };
        if !walked && path.is_dir() && !reported() {
            let display = path.display().to_string();
            outcome.inputs.push(InputReport::failed(
                display.clone(),
                InputError::new(
                    ErrorCode::NoInputs,
                    format!("nothing under {display} is a Terraform configuration, plan or state: every file there was skipped as something else"),
                )
                .help("name the files to check, or write a plan with `terraform show -json PLANFILE > plan.json`"),
            ));
        }
    }
}

/// What is decided over the whole run: waivers, a tier that matched
/// nothing anywhere (S18), the settings named, paths rebased, the order.
fn finish(options: &Options, outcome: &mut Outcome) {
    if let Some(settings) = &options.settings {
        waiver::apply(settings, &settings::today(), outcome);
    }
    // S18: a tier that matched nothing in the whole run, while tags came
    // close to it somewhere, is a warning.
    for tier in &options.tiers {
        if !outcome.checks.iter().any(|c| c.tier == tier.name) {
            for f in &mut outcome.findings {
                if f.code == Code::TierMatchesNothing && *f.tier == tier.name {
                    f.severity = Severity::Warning;
                }
            }
        }
    }
    outcome.settings = options
        .settings
        .as_ref()
        .map(|s| s.path.display().to_string());
    outcome.rebase(options.base_dir.as_deref());
    outcome.sort();
}

/// S17: the group an input is judged in: the run's, with `--together`, or
/// the first `[[group]]` of the settings whose paths match it.
fn group_of(display: &str, options: &Options) -> Option<String> {
    if options.together {
        return Some("all inputs".into());
    }
    options.settings.as_ref()?.group_of(Path::new(display))
}

/// Checks one input found by discovery.
fn check_candidate(
    candidate: &Candidate,
    options: &Options,
    workspace: &mut Workspace,
    outcome: &mut Outcome,
    judging: &mut Judging<'_>,
) -> Vec<InputReport> {
    match candidate.target {
        Target::Document | Target::Stdin => {
            check_file(candidate, options, workspace, outcome, judging)
        }
        Target::ConfigDir => check_configuration(
            &Root::Dir(candidate.path.clone()),
            &candidate.display,
            options,
            workspace,
            outcome,
            judging,
        ),
    }
}

/// Checks one input given as bytes, as if its file had been named on the
/// command line (for callers that already hold the document, for tests and
/// fuzzing): a plan, state or JSON configuration, or by its name (`.tf`,
/// `.tofu`) a root module of one HCL file.
pub fn check_bytes(path: &str, bytes: Vec<u8>, options: &Options) -> Outcome {
    let mut outcome = Outcome::default();
    let mut workspace = Workspace::default();
    let mut judging = Judging {
        shared: &[],
        collect: None,
        roots: None,
    };
    let dir = Path::new(path)
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    // A `.tf` / `.tofu` file: a root module of that one file.
    let hcl = [".tf", ".tofu"].iter().any(|ext| path.ends_with(ext));
    if !hcl {
        let reports = check_document(
            path,
            true,
            bytes.into(),
            options,
            &mut workspace,
            &mut outcome,
            &mut judging,
        );
        outcome.inputs.extend(reports);
        outcome.sort();
        return outcome;
    }
    let reports = match input::decode(bytes) {
        Ok(decoded) => {
            let file = outcome.sources.add(path.to_string(), decoded.text);
            check_configuration(
                &Root::File(file, dir),
                path,
                options,
                &mut workspace,
                &mut outcome,
                &mut judging,
            )
        }
        Err((error, text)) => {
            let mut report = InputReport::new(path);
            report.file = text.map(|t| outcome.sources.add(path.to_string(), t));
            report.error = Some(error);
            vec![report]
        }
    };
    outcome.inputs.extend(reports);
    outcome.sort();
    outcome
}

/// Reads and checks one file (or standard input); nothing when a walk
/// skips it as not ours.
fn check_file(
    candidate: &Candidate,
    options: &Options,
    workspace: &mut Workspace,
    outcome: &mut Outcome,
    judging: &mut Judging<'_>,
) -> Vec<InputReport> {
    let read = match candidate.target {
        Target::Stdin => input::read_stdin().map(Into::into),
        _ => input::read(&candidate.path),
    };
    match read {
        Ok(bytes) => check_document(
            &candidate.display,
            candidate.explicit,
            bytes,
            options,
            workspace,
            outcome,
            judging,
        ),
        Err(error) => vec![InputReport::failed(candidate.display.clone(), error)],
    }
}

/// S16: the configuration in `dir` a plan was made from, loaded: the root
/// the run loaded already, as it is (with the run's roots, where its files
/// are), or else read now into `workspace` and `sources`.
fn load_source<'r>(
    dir: PathBuf,
    options: &Options,
    workspace: &mut Workspace,
    sources: &mut Sources,
    roots: Option<&'r Roots<'r>>,
) -> (PathBuf, configuration::Loaded, Option<&'r Roots<'r>>) {
    if let Some((roots, loaded)) = roots.and_then(|r| Some((r, r.get(&dir)?))) {
        return (dir, loaded.clone(), Some(roots));
    }
    let loaded = workspace.load(
        &Root::Dir(dir.clone()),
        &options.vars,
        &options.environment,
        sources,
    );
    (dir, loaded, None)
}

/// S16: joins a plan's instances to the configuration it was made from,
/// evaluated as the plan was made (with its root variable values).
fn join_source(
    dir: PathBuf,
    mut loaded: configuration::Loaded,
    variables: &BTreeMap<String, serde_json::Value>,
    inventory: &mut model::Inventory<'_>,
    workspace: &Workspace,
    sources: &Sources,
) -> Unmapped {
    for (name, value) in variables {
        loaded.variables.insert(
            name.clone(),
            RootValue::Value(value::Value::from_json(value)),
        );
    }
    let configuration = configuration::read(
        workspace,
        sources,
        &loaded,
        ReadOptions { keep_values: false },
    );
    if configuration.resources.is_empty() && loaded.errors.is_empty() {
        Unmapped::Empty(dir)
    } else {
        Unmapped::Missing {
            dir,
            addresses: inventory.join_source(&configuration),
            unread: loaded.errors.len(),
        }
    }
}

/// The smallest document whose line index is built on another thread.
const INDEX_ASIDE_FROM: usize = 4 << 20;

/// Decodes, classifies, reads and checks one document; nothing when a walk
/// skips it as not ours.
fn check_document(
    path: &str,
    explicit: bool,
    bytes: input::Bytes,
    options: &Options,
    workspace: &mut Workspace,
    outcome: &mut Outcome,
    judging: &mut Judging<'_>,
) -> Vec<InputReport> {
    let mut report = InputReport::new(path);
    let decoded = match input::decode(bytes) {
        Ok(d) => d,
        Err((error, text)) => {
            // A binary plan is ours wherever it is found.
            let binary_plan = error.code == ErrorCode::BinaryPlan;
            if !explicit && !binary_plan && !looks_like_ours(path, text.as_deref()) {
                return Vec::new();
            }
            report.file = text.map(|t| outcome.sources.add(path.to_string(), t));
            report.error = Some(error);
            return vec![report];
        }
    };
    let file = outcome.sources.add(path.to_string(), decoded.text);
    report.file = Some(file);
    let kind = input::classify(
        outcome.sources.get(file).text(),
        decoded.body.clone(),
        decoded.wrapped,
    );
    let document = match kind {
        Ok(Document::Configuration) => {
            // A JSON configuration named on its own (CDKTF or hcl2json
            // output): a root module of one file.
            let dir = Path::new(path)
                .parent()
                .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
            return check_configuration(
                &Root::File(file, dir),
                path,
                options,
                workspace,
                outcome,
                judging,
            );
        }
        Ok(document) => document,
        Err(error) => {
            return fail_document(path, explicit, file, error, outcome, report);
        }
    };
    // S16: the configuration the plan was made from, loaded before the
    // plan's text is borrowed for reading.
    let source = source_of(path, options)
        .map(|dir| load_source(dir, options, workspace, &mut outcome.sources, judging.roots));
    let text = outcome.sources.get(file).text();
    let read = match plan::read(
        document,
        file,
        text,
        decoded.body,
        decoded.wrapped,
        &options.tiers,
        options.jobs(),
    ) {
        Ok(read) => read,
        Err(error) => return fail_document(path, explicit, file, error, outcome, report),
    };
    report.kind = Some(read.kind);
    let mut inventory = read.inventory;
    let unmapped = match source {
        Some((dir, loaded, roots)) => {
            let (modules, sources) = roots.map_or((&*workspace, &outcome.sources), |r| {
                (r.workspace, r.sources)
            });
            join_source(
                dir,
                loaded,
                &read.variables,
                &mut inventory,
                modules,
                sources,
            )
        }
        None => Unmapped::NoSource,
    };
    inventory.settle_regions(options.default_region.as_deref());
    if let Some(collect) = judging.collect.as_deref_mut() {
        collect.extend(rules::shared_keys(&inventory, &options.tiers, path));
    }
    let (mut findings, checks) = check_rules(
        &inventory,
        options,
        path,
        judging.shared,
        outcome.sources.get(file),
    );
    if let Some(note) = rules::source_note(&inventory, &findings, &unmapped) {
        findings.push(note);
    }
    let keep_text = !findings.is_empty();
    if outcome.findings.is_empty() {
        // Moved, not copied: the first input's findings may be many.
        outcome.findings = findings;
    } else {
        outcome.findings.extend(findings);
    }
    outcome.checks.extend(checks);
    if !keep_text {
        outcome.sources.release_text(file);
    }
    vec![report]
}

/// The rules over one input's inventory. A large document's line index
/// (every finding's line and column needs it) is built on another core
/// meanwhile.
fn check_rules(
    inventory: &model::Inventory<'_>,
    options: &Options,
    path: &str,
    shared: &[rules::SharedKey],
    source: &source::SourceFile,
) -> (Vec<Finding>, Vec<RegionCheck>) {
    let check = || rules::check(inventory, &options.tiers, &options.rule, path, shared);
    if options.jobs() > 1 && source.text().len() >= INDEX_ASIDE_FROM {
        std::thread::scope(|s| {
            s.spawn(|| source.index_lines());
            check()
        })
    } else {
        check()
    }
}

/// A document that could not be read: its report, or nothing when a walk
/// skips it as not ours.
fn fail_document(
    path: &str,
    explicit: bool,
    file: FileId,
    error: InputError,
    outcome: &mut Outcome,
    mut report: InputReport,
) -> Vec<InputReport> {
    // In a walk, a file that looks like a plan or state and fails is an
    // error, never a skip.
    let ours = explicit || looks_like_ours(path, Some(outcome.sources.get(file).text()));
    if !ours {
        outcome.sources.release_text(file);
        return Vec::new();
    }
    report.error = Some(error);
    vec![report]
}

/// S16: the root module directory a plan or state was made from: given
/// (`--source`, a `[[source]]` of the settings), or the document's own
/// directory when it holds configuration files.
fn source_of(path: &str, options: &Options) -> Option<PathBuf> {
    if let Some(dir) = given_source(path, options) {
        return Some(dir);
    }
    // Standard input lies in no directory.
    if path == input::STDIN {
        return None;
    }
    let dir = match Path::new(path).parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    configuration::has_files(&dir).then_some(dir)
}

/// S16: the root module directory a plan or state was made from, when the
/// user named it: `--source`, else the `[[source]]` of the settings that
/// matches `path`.
fn given_source(path: &str, options: &Options) -> Option<PathBuf> {
    if let Some(dir) = &options.source {
        return Some(dir.clone());
    }
    if path == input::STDIN {
        return None;
    }
    options
        .settings
        .as_ref()
        .and_then(|s| s.source_of(Path::new(path)))
}

/// S16: the source directories the user named for more than one document
/// of the run (`--source`, a `[[source]]` matching several plans), each
/// loaded once here for all of them, as the run's roots are; not those that
/// are roots of the run already (in `loaded`). Each plan made from one is
/// then joined to it without reading its files again.
fn load_named_sources(
    candidates: &[input::Found],
    loaded: &[Option<configuration::Loaded>],
    options: &Options,
    workspace: &mut Workspace,
    sources: &mut Sources,
) -> Vec<(PathBuf, configuration::Loaded)> {
    // How many documents name each directory, as named; then by canonical
    // directory (each made canonical once).
    let mut counts: BTreeMap<PathBuf, usize> = BTreeMap::new();
    for candidate in candidates.iter().filter_map(|c| c.as_ref().ok()) {
        if candidate.target == Target::ConfigDir {
            continue;
        }
        if let Some(dir) = given_source(&candidate.display, options) {
            *counts.entry(dir).or_default() += 1;
        }
    }
    let mut named: BTreeMap<PathBuf, (PathBuf, usize)> = BTreeMap::new();
    for (dir, count) in counts {
        if let Some(key) = workspace.canonical(&dir) {
            named.entry(key).or_insert((dir, 0)).1 += count;
        }
    }
    if named.is_empty() {
        return Vec::new();
    }
    let roots: std::collections::HashSet<PathBuf> = candidates
        .iter()
        .zip(loaded)
        .filter(|(_, l)| l.is_some())
        .filter_map(|(c, _)| workspace.canonical(&c.as_ref().ok()?.path))
        .collect();
    named.retain(|key, _| !roots.contains(key));
    named
        .into_iter()
        .filter(|(_, (_, count))| *count > 1)
        .map(|(key, (dir, _))| {
            let root = Root::Dir(dir);
            let loaded = workspace.load(&root, &options.vars, &options.environment, sources);
            (key, loaded)
        })
        .collect()
}

/// Loads, evaluates and checks one root configuration. Files that do not
/// parse are input errors of their own; the rest of the configuration is
/// still checked.
fn check_configuration(
    root: &Root,
    display: &str,
    options: &Options,
    workspace: &mut Workspace,
    outcome: &mut Outcome,
    judging: &mut Judging<'_>,
) -> Vec<InputReport> {
    let loaded = workspace.load(
        root,
        &options.vars,
        &options.environment,
        &mut outcome.sources,
    );
    let (reports, findings, checks) = check_loaded(
        &loaded,
        display,
        options,
        workspace,
        &outcome.sources,
        judging,
    );
    outcome.findings.extend(findings);
    outcome.checks.extend(checks);
    reports
}

/// Checks a loaded root configuration, whose files are in `sources`: its
/// report, findings and region checks.
fn check_loaded(
    loaded: &configuration::Loaded,
    display: &str,
    options: &Options,
    workspace: &Workspace,
    sources: &Sources,
    judging: &mut Judging<'_>,
) -> (Vec<InputReport>, Vec<Finding>, Vec<RegionCheck>) {
    let mut report = InputReport::new(display);
    report.kind = Some(loaded.kind);
    let read_options = ReadOptions {
        keep_values: options
            .tiers
            .iter()
            .any(|t| !t.selectors.include.is_empty() || !t.selectors.exclude.is_empty()),
    };
    let mut inventory = configuration::read(workspace, sources, loaded, read_options);
    inventory.settle_regions(options.default_region.as_deref());
    report.file = inventory.texts.first().map(|(id, _)| *id);
    if let Some(collect) = judging.collect.as_deref_mut() {
        collect.extend(rules::shared_keys(&inventory, &options.tiers, display));
    }
    let (findings, checks) = rules::check(
        &inventory,
        &options.tiers,
        &options.rule,
        display,
        judging.shared,
    );
    // The first broken file is the input's error, located; the others are
    // named in its message.
    let mut errors = loaded.errors.iter();
    if let Some((error, file)) = errors.next() {
        let mut error = error.clone();
        let more: Vec<String> = errors
            .map(|(e, f)| match (f, &e.span) {
                (Some(f), Some(span)) => {
                    let file = sources.get(*f);
                    let at = file.line_col(span.start);
                    format!("{}:{}:{}", file.path, at.line, at.column)
                }
                _ => e.message.clone(),
            })
            .collect();
        if !more.is_empty() {
            error
                .message
                .push_str(&format!(" (and {} more: {})", more.len(), more.join(", ")));
        }
        report.error = Some(error);
        report.file = *file;
    }
    (vec![report], findings, checks)
}

/// In a walk, whether a file that failed to parse was meant as a plan or
/// state (and so deserves an error rather than a silent skip).
fn looks_like_ours(path: &str, text: Option<&str>) -> bool {
    let name = path
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(path)
        .to_ascii_lowercase();
    if name.contains("plan") || name.contains("tfstate") {
        return true;
    }
    let head = text.map_or("", |t| {
        let mut end = t.len().min(64 * 1024);
        while !t.is_char_boundary(end) {
            end -= 1;
        }
        &t[..end]
    });
    head.contains("\"format_version\"") || head.contains("\"terraform_version\"")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tier::database_tier;

    /// The JSON report of an outcome.
    fn json_report(outcome: &Outcome, tiers: &[Tier]) -> String {
        let mut out = Vec::new();
        report::write(
            report::Format::Json,
            outcome,
            tiers,
            report::Style::default(),
            &mut out,
        )
        .expect("written");
        String::from_utf8(out).expect("UTF-8")
    }

    /// A plan beside the root it was made from, in one walk: the plan is
    /// joined to the root the run loaded, whose files are read once.
    #[test]
    fn a_plan_is_joined_to_the_root_the_run_loaded() {
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/s16-source-mapping");
        for jobs in [1, 2] {
            let tiers = database_tier();
            let options = Options {
                jobs,
                ..Options::new(vec![fixture.clone()], tiers)
            };
            let outcome = run(&options);
            let paths: Vec<&str> = (0..outcome.sources.len())
                .map(|i| outcome.sources.get(FileId(i)).path.as_str())
                .collect();
            let mut once = paths.clone();
            once.sort_unstable();
            once.dedup();
            assert_eq!(once.len(), paths.len(), "a file read twice: {paths:?}");
            let tf = |p: &str| Path::new(p).extension().is_some_and(|e| e == "tf");
            assert!(paths.iter().filter(|p| tf(p)).count() >= 4);
            let plan = FileId(
                paths
                    .iter()
                    .position(|p| p.ends_with("plan.json"))
                    .expect("plan"),
            );
            let mapped = outcome
                .findings
                .iter()
                .filter(|f| f.primary.span.file == plan)
                .filter_map(|f| f.source.as_deref())
                .map(|s| outcome.sources.get(s.span.file).path.as_str())
                .collect::<Vec<_>>();
            assert!(!mapped.is_empty(), "plan findings placed on the .tf lines");
            assert!(mapped.iter().all(|p| tf(p)), "{mapped:?}");
        }
    }

    /// Plans made from one source directory the user named (`--source`),
    /// none of them beside it: the directory is loaded once for all, its
    /// files read once, and each plan's findings are placed on its lines.
    #[test]
    fn a_named_source_is_loaded_once_for_all_its_plans() {
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/s16-source-mapping");
        let plans = std::env::temp_dir().join(format!("tierkey-named-{}", std::process::id()));
        std::fs::create_dir_all(&plans).expect("scratch");
        for name in ["a.json", "b.json", "c.json"] {
            std::fs::copy(fixture.join("plan.json"), plans.join(name)).expect("copied");
        }
        let tiers = database_tier();
        let mut reports = Vec::new();
        for jobs in [1, 2] {
            let options = Options {
                jobs,
                source: Some(fixture.clone()),
                ..Options::new(vec![plans.clone()], tiers.clone())
            };
            let outcome = run(&options);
            let paths: Vec<&str> = (0..outcome.sources.len())
                .map(|i| outcome.sources.get(FileId(i)).path.as_str())
                .collect();
            let tf = |p: &&str| Path::new(p).extension().is_some_and(|e| e == "tf");
            let mut once: Vec<&str> = paths.iter().copied().filter(tf).collect();
            let read = once.len();
            once.sort_unstable();
            once.dedup();
            assert!(read >= 4, "{paths:?}");
            assert_eq!(once.len(), read, "a file read twice: {paths:?}");
            let placed = |plan: &str| {
                outcome
                    .findings
                    .iter()
                    .filter(|f| {
                        outcome
                            .sources
                            .get(f.primary.span.file)
                            .path
                            .ends_with(plan)
                    })
                    .filter_map(|f| f.source.as_deref())
                    .filter(|s| tf(&outcome.sources.get(s.span.file).path.as_str()))
                    .count()
            };
            let counts = ["a.json", "b.json", "c.json"].map(placed);
            assert!(counts[0] > 0, "findings placed on .tf lines");
            assert!(counts.iter().all(|&c| c == counts[0]), "{counts:?}");
            reports.push(json_report(&outcome, &tiers));
        }
        let _ = std::fs::remove_dir_all(&plans);
        assert_eq!(reports[0], reports[1], "the same report with 1 and 2 jobs");
    }

    /// A run that leaves its modules to the system (the command line's)
    /// reports what one that frees them does, over every fixture, on one
    /// thread and on two.
    #[test]
    fn leaving_memory_to_the_system_changes_no_report() {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let tiers = database_tier();
        let report = |jobs: usize, exits_after: bool| {
            let options = Options {
                jobs,
                exits_after,
                ..Options::new(vec![fixtures.clone()], tiers.clone())
            };
            json_report(&run(&options), &tiers)
        };
        for jobs in [1, 2] {
            let freed = report(jobs, false);
            assert!(freed.contains("\"findings\""), "{freed:.200}");
            assert_eq!(freed, report(jobs, true), "{jobs} jobs");
        }
    }
}
