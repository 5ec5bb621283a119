//! The `tessera` binary: argument parsing and error reporting over
//! [`tessera_cli`].

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = tessera_cli::Cli::parse();
    match tessera_cli::run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            // One line: the error and its causes joined by ": ".
            eprintln!("tessera: error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
