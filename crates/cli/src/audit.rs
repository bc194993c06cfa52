//! `hocba audit verify` and `hocba audit log`: check the audit log's hash chain in a
//! database, and show its latest entries.
//!
//! Exit codes of `verify`: 0 the chain is intact (prints the entry count and the head
//! hash — keep that line somewhere outside the database: a later run that does not
//! reach the same hash at the same entry means history was rewritten), 1 the chain is
//! broken (prints the first broken sequence number and why), 2 a usage or database
//! error.

use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use store::Store;

/// `hocba audit …`
#[derive(Subcommand)]
pub enum Command {
    /// Recompute every entry's hash and check the chain; exit 0 intact, 1 broken.
    Verify(VerifyArgs),
    /// Print the latest entries, newest first.
    Log(LogArgs),
}

/// Options of `hocba audit verify`.
#[derive(Args)]
pub struct VerifyArgs {
    /// Database URL: `sqlite://PATH` (must exist) or `postgres://…`.
    #[arg(long)]
    db: String,
    /// Also require that entry SEQ still has hash HASH (a head recorded earlier), as
    /// `SEQ:HASH`.
    #[arg(long, value_name = "SEQ:HASH")]
    expect: Option<String>,
}

/// Options of `hocba audit log`.
#[derive(Args)]
pub struct LogArgs {
    /// Database URL: `sqlite://PATH` (must exist) or `postgres://…`.
    #[arg(long)]
    db: String,
    /// How many entries.
    #[arg(long, default_value_t = 20)]
    limit: u32,
}

/// Runs an `audit` subcommand.
pub fn run(cmd: Command) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        match cmd {
            Command::Verify(args) => verify(args).await,
            Command::Log(args) => log(args).await,
        }
    })
}

async fn verify(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let expect = args.expect.as_deref().map(parse_expect).transpose()?;
    let store = open(&args.db).await?;
    let verdict = store
        .verify_audit_chain()
        .await
        .context("reading the audit log")?;
    let check = match verdict {
        Ok(check) => check,
        Err(broken) => {
            println!("BROKEN at entry {}: {}", broken.seq, broken.reason);
            store.close().await;
            return Ok(ExitCode::from(1));
        }
    };
    if let Some((seq, hash)) = expect {
        let found = store
            .audit_entry(seq)
            .await
            .context("reading the audit log")?
            .map(|e| e.hash);
        if found.as_deref() != Some(hash.as_str()) {
            println!(
                "BROKEN at entry {seq}: expected hash {hash}, found {}",
                found.as_deref().unwrap_or("no such entry")
            );
            store.close().await;
            return Ok(ExitCode::from(1));
        }
    }
    println!("OK: {} entries, head {}", check.entries, check.last_hash);
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

async fn log(args: LogArgs) -> anyhow::Result<ExitCode> {
    let store = open(&args.db).await?;
    let entries = store
        .audit_latest(args.limit)
        .await
        .context("reading the audit log")?;
    for e in entries {
        let student = e.student.as_ref().map_or("-", |s| s.as_str());
        println!(
            "{seq}\t{at}\t{user}\t{action}\t{student}\t{field}\t{old} -> {new}{reason}",
            seq = e.seq,
            at = e.at,
            user = e.actor_username,
            action = e.action,
            field = e.field,
            old = e.old.as_deref().unwrap_or("-"),
            new = e.new.as_deref().unwrap_or("-"),
            reason = e
                .reason
                .as_deref()
                .map(|r| format!("\t({r})"))
                .unwrap_or_default(),
        );
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

/// Opens an existing database (a missing SQLite file is an error, not a new database).
async fn open(url: &str) -> anyhow::Result<Store> {
    Store::open(url)
        .await
        .with_context(|| format!("opening the database {}", redact(url)))
}

/// `SEQ:HASH` with SEQ ≥ 1 and HASH 64 lowercase hex digits.
fn parse_expect(text: &str) -> anyhow::Result<(i64, String)> {
    let (seq, hash) = text.split_once(':').context("--expect must be SEQ:HASH")?;
    let seq: i64 = seq
        .parse()
        .ok()
        .filter(|n| *n >= 1)
        .context("--expect: SEQ must be a positive number")?;
    anyhow::ensure!(
        hash.len() == 64
            && hash
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
        "--expect: HASH must be 64 lowercase hex digits"
    );
    Ok((seq, hash.to_owned()))
}

/// The URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => match url[scheme + 3..at].find(':') {
            Some(colon) => format!("{}***{}", &url[..scheme + 3 + colon + 1], &url[at..]),
            None => url.to_owned(),
        },
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expect_takes_a_sequence_number_and_a_hash() {
        let h = "ab".repeat(32);
        assert_eq!(parse_expect(&format!("3:{h}")).unwrap(), (3, h.clone()));
        for bad in ["3", "0:x", &format!("x:{h}"), "3:ABC", &format!("-1:{h}")] {
            assert!(parse_expect(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_are_not_printed() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("sqlite://a.db"), "sqlite://a.db");
    }
}
