//! The `hocba` command. Each subcommand lives in its own module with its own `Args`
//! and a `run` function returning the process exit code.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod audit;
mod bench;
mod demo;
mod keys;
mod pdf;
mod record_cmd;
mod registry_cmd;
mod rules;
mod serve;
mod sign;
mod verify;

/// Hocba — học bạ số: compute, sign, verify and keep digital school records.
#[derive(Parser)]
#[command(name = "hocba", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Assessment rules (TT22 / TT27 / TT43): evaluate one student from JSON.
    #[command(subcommand)]
    Rules(rules::Command),
    /// Demo data: seed a database with four schools and report computed outcomes.
    #[command(subcommand)]
    Demo(demo::Command),
    /// Year records: export from the database, check a file.
    #[command(subcommand)]
    Record(record_cmd::Command),
    /// Add the next signature of the chain (GVCN → HT/GD → DAU) to a year record.
    Sign(Box<sign::SignArgs>),
    /// Print the paper copy (bản sao giấy) of a signed record as an A4 PDF.
    Pdf(pdf::PdfArgs),
    /// Verify a signed record offline: schema, recomputed results, signature chain, trust.
    Verify(verify::VerifyArgs),
    /// Benchmarks (printed as ratios against baselines measured in the same run).
    #[command(subcommand)]
    Bench(bench::Command),
    /// Keys and certificates: demo PKI.
    #[command(subcommand)]
    Keys(keys::Command),
    /// The school server: login, grade entry, class summaries (Vietnamese web pages).
    Serve(Box<serve::Args>),
    /// The audit log: verify its hash chain (exit 0 intact, 1 broken), show entries.
    #[command(subcommand)]
    Audit(audit::Command),
    /// The national registry: ingest API with signed receipts, verify page; and its
    /// operator commands (add-school, approve-seal).
    Registry(Box<registry_cmd::Args>),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Rules(cmd) => rules::run(cmd),
        Command::Demo(cmd) => demo::run(cmd),
        Command::Bench(cmd) => bench::run(cmd),
        Command::Keys(cmd) => keys::run(cmd),
        Command::Sign(args) => sign::run(*args),
        Command::Verify(args) => verify::run(args),
        Command::Pdf(args) => pdf::run(args),
        Command::Record(cmd) => record_cmd::run(cmd),
        Command::Serve(args) => serve::run(*args),
        Command::Audit(cmd) => audit::run(cmd),
        Command::Registry(args) => registry_cmd::run(*args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}
