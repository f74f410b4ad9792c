//! The `tierkey` binary: parse arguments, run, write the report, exit.

use std::io::{self, IsTerminal, Write};
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
    let outcome = tierkey::run(&options);
    for output in &outputs {
        if let Err(message) = write_report(output, &outcome, &options) {
            return fail(&message);
        }
    }
    ExitCode::from(outcome.exit_status(args.fail_on()).code())
}

/// Writes one report to its file or to standard output.
fn write_report(output: &Output, outcome: &Outcome, options: &Options) -> Result<(), String> {
    let format = output.format;
    if let Some(path) = &output.file {
        return std::fs::File::create(path)
            .map(io::BufWriter::new)
            .and_then(|mut file| {
                report::write(format, outcome, &options.tiers, Style::default(), &mut file)?;
                file.flush()
            })
            .map_err(|e| format!("error: cannot write {}: {e}", path.display()));
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
