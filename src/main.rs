//! The `tierkey` binary: parse arguments, run, write the report, exit.

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use tierkey::cli::{self, Command, Output};
use tierkey::report::{self, Format, Style};
use tierkey::{Options, Outcome};

fn main() -> ExitCode {
    let cli = match cli::parse() {
        Ok(cli) => cli,
        Err(message) => return fail(&format!("error: {message}")),
    };
    let Command::Check(args) = cli.command;
    let options = match args.options() {
        Ok(o) => o,
        Err(message) => return fail(&format!("error: {message}")),
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
    match &output.file {
        Some(path) => std::fs::File::create(path)
            .map(io::BufWriter::new)
            .and_then(|mut file| {
                report::write(format, outcome, &options.tiers, Style::default(), &mut file)?;
                file.flush()
            })
            .map_err(|e| format!("error: cannot write {}: {e}", path.display())),
        None => {
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
    }
}

fn fail(message: &str) -> ExitCode {
    let _ = writeln!(io::stderr(), "{message}");
    ExitCode::from(2)
}
