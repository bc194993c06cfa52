//! `hocba rules eval`: one JSON object in on stdin, one JSON object out on stdout.

use std::process::ExitCode;

use clap::Subcommand;

/// `hocba rules …`
#[derive(Subcommand)]
pub enum Command {
    /// Read one student's assessment as JSON on stdin and print the computed results.
    Eval,
}

/// Runs a `rules` subcommand.
pub fn run(cmd: Command) -> anyhow::Result<ExitCode> {
    match cmd {
        Command::Eval => anyhow::bail!("rules eval is not built yet"),
    }
}
