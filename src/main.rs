//! The `tierkey` binary: parse arguments, run, write the report, exit.

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use tierkey::cli::{self, Command, OptionsError, Output};
use tierkey::report::{self, Format, Style};
use tierkey::{settings, Code, ErrorCode, Options, Outcome};

// The HCL parser allocates for every token: with the system allocator
// a third of the time of reading `.tf` files went to malloc and free.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = match cli::parse() {
        Ok(cli) => cli,
        Err(message) => return fail(&format!("error: {message}")),
    };
    let args = match cli.command {
        Command::Check(args) => args,
        Command::Init { force } => return init(force),
        Command::Explain { code } => return explain(code.as_deref()),
    };
    let options = match args.options() {
        Ok(o) => o,
        Err(OptionsError::Usage(message)) => {
            sarif_failure(&args, &message);
            return fail(&format!("error: {message}"));
        }
        Err(OptionsError::Settings(error)) => {
            sarif_failure(
                &args,
                &format!("{}: {}", error.path.display(), error.message),
            );
            let mut stderr = io::stderr().lock();
            let style = Style {
                color: stderr.is_terminal()
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
                ..Style::default()
            };
            let _ = report::config_error(&error, style, &mut stderr);
            return ExitCode::from(2);
        }
    };
    let outputs = match args.outputs() {
        Ok(o) => o,
        Err(message) => return fail(&format!("error: {message}")),
    };
    if let Err(message) = check_outputs(&outputs, &options.paths) {
        return fail(&format!("error: {message}"));
    }
    let outcome = match ProgressLine::wanted() {
        Some(mut line) => {
            let outcome = tierkey::run_with_progress(&options, &mut |p| line.show(p));
            line.clear();
            outcome
        }
        None => tierkey::run(&options),
    };
    for output in &outputs {
        if let Err(message) = write_report(output, &outcome, &options, args.min_severity.severity())
        {
            return fail(&message);
        }
    }
    let status = outcome.exit_status(args.fail_on()).code();
    // The process ends here: its memory goes back to the system at once,
    // without freeing the outcome's findings and files one by one.
    std::mem::forget(outcome);
    ExitCode::from(status)
}

/// A progress line on stderr for a run that takes more than a moment: only
/// on a terminal, never in CI (`CI` set) or when stderr is redirected, and
/// overwritten in place, then erased before the report.
struct ProgressLine {
    start: std::time::Instant,
    last: Option<std::time::Instant>,
    width: usize,
}

impl ProgressLine {
    /// Nothing is shown before this much time has passed.
    const DELAY: std::time::Duration = std::time::Duration::from_millis(800);
    /// And the line is redrawn at most this often.
    const EVERY: std::time::Duration = std::time::Duration::from_millis(100);

    fn wanted() -> Option<Self> {
        let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty());
        if ci || !io::stderr().is_terminal() {
            return None;
        }
        let width = std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.parse::<usize>().ok())
            .filter(|&w| w >= 20)
            .unwrap_or(80);
        Some(Self {
            start: std::time::Instant::now(),
            last: None,
            width,
        })
    }

    fn show(&mut self, p: tierkey::Progress) {
        let now = std::time::Instant::now();
        if now.duration_since(self.start) < Self::DELAY
            || self
                .last
                .is_some_and(|l| now.duration_since(l) < Self::EVERY)
        {
            return;
        }
        self.last = Some(now);
        let head = format!("checking {}/{} ", p.done, p.total);
        let room = self.width.saturating_sub(head.chars().count() + 1);
        // A file name may hold anything; the terminal gets no controls.
        let shown: String = p
            .input
            .chars()
            .map(|c| if c.is_control() { '?' } else { c })
            .collect();
        let count = shown.chars().count();
        let input: String = if count <= room {
            shown
        } else {
            // Keep the end of a long path: the file name says the most.
            let tail: String = shown.chars().skip(count - room.saturating_sub(1)).collect();
            format!("…{tail}")
        };
        let mut err = io::stderr().lock();
        let _ = write!(err, "\r\x1b[K{head}{input}");
        let _ = err.flush();
    }

    fn clear(&mut self) {
        if self.last.is_some() {
            let mut err = io::stderr().lock();
            let _ = write!(err, "\r\x1b[K");
            let _ = err.flush();
        }
    }
}

/// A path as it is on disk: the canonical directory and the file name (the
/// file need not exist yet).
fn on_disk(path: &Path) -> PathBuf {
    if let Ok(real) = std::fs::canonicalize(path) {
        return real;
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    dir.join(path.file_name().unwrap_or_default())
}

/// A run that stops before checking anything still writes the SARIF file
/// it was asked for — a run that did not succeed, saying why — so that a CI
/// step uploading it shows the real error.
fn sarif_failure(args: &cli::CheckArgs, message: &str) {
    let Ok(outputs) = args.outputs() else {
        return;
    };
    for output in outputs.iter().filter(|o| o.format == Format::Sarif) {
        if let Some(path) = &output.file {
            let _ = std::fs::write(path, report::sarif_failure(message));
        }
    }
}

/// Refuses a report file that is also an input (it would be read, then
/// overwritten) or that two formats would both write, whatever the
/// spelling (`./r.out`, `r.out`).
fn check_outputs(outputs: &[Output], inputs: &[PathBuf]) -> Result<(), String> {
    let files: Vec<&Path> = outputs.iter().filter_map(|o| o.file.as_deref()).collect();
    if files.is_empty() {
        return Ok(());
    }
    let inputs: Vec<PathBuf> = inputs.iter().map(|p| on_disk(p)).collect();
    let mut seen: Vec<PathBuf> = Vec::new();
    for path in files {
        let real = on_disk(path);
        if inputs.contains(&real) {
            return Err(format!(
                "the report file {} is also an input: it would be read, then overwritten",
                path.display()
            ));
        }
        if real.is_dir() {
            return Err(format!("the report file {} is a directory", path.display()));
        }
        if seen.contains(&real) {
            return Err(format!(
                "two reports would be written to {}: give each format its own file",
                path.display()
            ));
        }
        seen.push(real);
    }
    Ok(())
}

/// Writes one report to its file (whole or not at all: into a temporary
/// file beside it, then renamed into place) or to standard output.
fn write_report(
    output: &Output,
    outcome: &Outcome,
    options: &Options,
    min_severity: tierkey::Severity,
) -> Result<(), String> {
    let format = output.format;
    let to_file = Style {
        min_severity,
        jobs: options.jobs(),
        ..Style::default()
    };
    if let Some(path) = &output.file {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let temporary = path.with_file_name(format!(".{name}.tierkey-{}", std::process::id()));
        let written = std::fs::File::create(&temporary)
            .map(io::BufWriter::new)
            .and_then(|mut file| {
                report::write(format, outcome, &options.tiers, to_file, &mut file)?;
                file.flush()?;
                file.into_inner()
                    .map_err(io::IntoInnerError::into_error)?
                    .sync_all()
            })
            .and_then(|()| std::fs::rename(&temporary, path));
        if written.is_err() {
            let _ = std::fs::remove_file(&temporary);
        }
        return written.map_err(|e| format!("error: cannot write {}: {e}", path.display()));
    }
    let stdout = io::stdout();
    let color = format == Format::Human
        && stdout.is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let width = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(100);
    let mut lock = io::BufWriter::new(stdout.lock());
    match report::write(
        format,
        outcome,
        &options.tiers,
        Style {
            color,
            width,
            min_severity,
            jobs: options.jobs(),
        },
        &mut lock,
    )
    .and_then(|()| lock.flush())
    {
        // A closed pipe (`| head`) is not an error of ours.
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(format!("error: {e}")),
        _ => Ok(()),
    }
}

/// `tierkey init`: a commented starter tierkey.toml.
fn init(force: bool) -> ExitCode {
    let path = std::path::Path::new(settings::FILE_NAME);
    if path.exists() && !force {
        return fail("error: tierkey.toml exists already (use --force to replace it)");
    }
    match std::fs::write(path, settings::STARTER) {
        Ok(()) => {
            let _ = writeln!(
                io::stdout(),
                "wrote tierkey.toml: edit the tiers, then run `tierkey check`"
            );
            ExitCode::SUCCESS
        }
        Err(e) => fail(&format!("error: cannot write tierkey.toml: {e}")),
    }
}

/// The explanation of a settings error (shown with the code `config`).
const CONFIG: &str = "config (settings error, exit status 2)\n\nThe configuration file (tierkey.toml) is invalid: an unknown key, a wrong type, a bad region, regular expression, JSONPath selector, glob or date, or a tier without tag pairs. The error points at the place in the file; nothing is checked until it is fixed.\n";

/// The Conformity rules tierkey checks, and how to check each.
fn conformity(code: &str) -> Option<String> {
    let (rule, tier) = match code.to_ascii_uppercase().as_str() {
        "KMS-009" => ("KMS-009", "web"),
        "KMS-010" => ("KMS-010", "app"),
        "KMS-011" => ("KMS-011", "database"),
        _ => return None,
    };
    Some(format!(
        "{rule} (Trend Micro Cloud Conformity, \"{} KMS Customer Master Key In Use\")\n\nResources of the {tier} tier carry a tag such as tier={tier}; every AWS region that holds them must hold a customer-managed KMS key carrying the same tag (missing-tier-key), and the tier's storage must encrypt with that key (tier-key-not-used). Conformity checks a live account; tierkey checks the configuration, plan or state before deploy:\n\n    tierkey check --tag tier={tier}\n\nor a [[tier]] named \"{tier}\" in tierkey.toml. The rule is described statement by statement in docs/rule.md.\n",
        match tier {
            "web" => "Web-Tier",
            "app" => "App-Tier",
            _ => "Database-Tier",
        }
    ))
}

/// `tierkey explain [CODE]`, wrapped to the terminal.
fn explain(code: Option<&str>) -> ExitCode {
    let width = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse::<usize>().ok())
        .unwrap_or(100)
        .clamp(40, 200);
    let wrap = |text: &str| -> String {
        text.lines()
            .map(|line| {
                // List items hang under their code.
                let spaces = line.chars().take_while(|c| *c == ' ').count();
                let indent = " ".repeat(if spaces > 0 { spaces + 4 } else { 0 });
                textwrap::fill(
                    line,
                    textwrap::Options::new(width)
                        .subsequent_indent(&indent)
                        .word_splitter(textwrap::WordSplitter::NoHyphenation),
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
            + "\n"
    };
    let Some(code) = code else {
        let first = |text: String| -> String {
            let text = text.replace('\n', " ");
            text.split(". ")
                .next()
                .unwrap_or(&text)
                .trim_end_matches('.')
                .to_string()
                + "."
        };
        let mut out = String::from("Finding codes:\n");
        for c in Code::ALL {
            out.push_str(&format!(
                "  {} ({}): {}\n",
                c.as_str(),
                c.default_severity(),
                first(c.description().to_string())
            ));
        }
        out.push_str("\nInput errors (exit status 2):\n");
        for c in ErrorCode::ALL {
            out.push_str(&format!("  {}: {}\n", c.as_str(), first(c.explain())));
        }
        out.push_str("  config: the configuration file (tierkey.toml) is invalid.\n");
        out.push_str("\n`tierkey explain CODE` says more; KMS-009, KMS-010 and KMS-011 name the Conformity rules.\n");
        let _ = io::stdout().write_all(wrap(&out).as_bytes());
        return ExitCode::SUCCESS;
    };
    let text = Code::ALL
        .iter()
        .find(|c| c.as_str() == code)
        .map(|c| c.explain())
        .or_else(|| {
            ErrorCode::ALL
                .iter()
                .find(|c| c.as_str() == code)
                .map(|c| c.explain())
        })
        .or_else(|| (code == "config").then(|| CONFIG.to_string()))
        .or_else(|| conformity(code));
    if let Some(text) = text {
        let _ = io::stdout().write_all(wrap(&text).as_bytes());
        return ExitCode::SUCCESS;
    }
    let known: Vec<&str> = Code::ALL
        .iter()
        .map(|c| c.as_str())
        .chain(ErrorCode::ALL.iter().map(|c| c.as_str()))
        .chain(["config", "KMS-009", "KMS-010", "KMS-011"])
        .collect();
    fail(&format!(
        "error: unknown code {code:?}; known codes: {}",
        known.join(", ")
    ))
}

fn fail(message: &str) -> ExitCode {
    let _ = writeln!(io::stderr(), "{message}");
    ExitCode::from(2)
}
