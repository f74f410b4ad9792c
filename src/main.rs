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
        Command::Explain { code } => return explain(&code),
    };
    let options = match args.options() {
        Ok(o) => o,
        Err(OptionsError::Usage(message)) => return fail(&format!("error: {message}")),
        Err(OptionsError::Settings(error)) => {
            let mut stderr = io::stderr().lock();
            let style = Style {
                color: stderr.is_terminal()
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
                width: 100,
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
    let outcome = tierkey::run(&options);
    for output in &outputs {
        if let Err(message) = write_report(output, &outcome, &options) {
            return fail(&message);
        }
    }
    ExitCode::from(outcome.exit_status(args.fail_on()).code())
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

/// Refuses a report file that is also an input (it would be read, then
/// overwritten) or that two formats would both write, whatever the
/// spelling (`./r.out`, `r.out`).
fn check_outputs(outputs: &[Output], inputs: &[PathBuf]) -> Result<(), String> {
    let inputs: Vec<PathBuf> = inputs.iter().map(|p| on_disk(p)).collect();
    let mut seen: Vec<PathBuf> = Vec::new();
    for path in outputs.iter().filter_map(|o| o.file.as_deref()) {
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
fn write_report(output: &Output, outcome: &Outcome, options: &Options) -> Result<(), String> {
    let format = output.format;
    if let Some(path) = &output.file {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let temporary = path.with_file_name(format!(".{name}.tierkey-{}", std::process::id()));
        let written = std::fs::File::create(&temporary)
            .map(io::BufWriter::new)
            .and_then(|mut file| {
                report::write(format, outcome, &options.tiers, Style::default(), &mut file)?;
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
        Style { color, width },
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

/// `tierkey explain CODE`.
fn explain(code: &str) -> ExitCode {
    let text = Code::ALL
        .iter()
        .find(|c| c.as_str() == code)
        .map(|c| c.explain())
        .or_else(|| {
            ErrorCode::ALL
                .iter()
                .find(|c| c.as_str() == code)
                .map(|c| c.explain())
        });
    if let Some(text) = text {
        let _ = io::stdout().write_all(text.as_bytes());
        return ExitCode::SUCCESS;
    }
    let known: Vec<&str> = Code::ALL
        .iter()
        .map(|c| c.as_str())
        .chain(ErrorCode::ALL.iter().map(|c| c.as_str()))
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
