//! `hocba keys …`: keys and certificates. For now the demo PKI of DESIGN.md §4, made by
//! the `pki` crate; this module only checks the target directory and writes the files.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context;
use clap::{Args, Subcommand};

/// `hocba keys …`
#[derive(Subcommand)]
pub enum Command {
    /// Write a demo PKI to DIR: root CA, school CA, certificates + keys for a homeroom
    /// teacher (GVCN), a principal (HT), the school seal (RSA-2048), a second principal
    /// (ECDSA P-256) and one seal per demo school (seal-CODE.*, subject = the school's
    /// name), as PEM and PKCS#12, with a README.txt.
    ///
    /// FOR DEVELOPMENT AND TESTS ONLY: every private key, the CAs' included, is written
    /// unprotected. Exit 0 on success; 2 if DIR is not empty (without --force) or cannot
    /// be written.
    DemoPki(DemoPkiArgs),
}

/// Arguments of `hocba keys demo-pki`.
#[derive(Args)]
pub struct DemoPkiArgs {
    /// Directory to write; created if missing, must be empty unless --force.
    dir: PathBuf,
    /// Write into a non-empty directory, replacing files with the same names.
    #[arg(long)]
    force: bool,
}

/// Runs a `keys` subcommand.
pub fn run(cmd: Command) -> anyhow::Result<ExitCode> {
    match cmd {
        Command::DemoPki(args) => {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .context("system clock is before 1970")?
                .as_secs();
            let now = i64::try_from(now).context("system clock out of range")?;
            match write_demo_pki(&args.dir, args.force, now)? {
                Written::Refused(reason) => {
                    eprintln!("error: {reason}");
                    Ok(ExitCode::from(2))
                }
                Written::Files(names) => {
                    println!(
                        "wrote the demo PKI ({} files) to {}:",
                        names.len(),
                        args.dir.display()
                    );
                    for name in &names {
                        println!("  {name}");
                    }
                    println!(
                        "trust anchor: {}; PKCS#12 password: {}; see README.txt. Demo only: never sign real records with these keys.",
                        args.dir.join("root.pem").display(),
                        pki::DEMO_P12_PASSWORD
                    );
                    Ok(ExitCode::SUCCESS)
                }
            }
        }
    }
}

/// What [`write_demo_pki`] did.
#[derive(Debug)]
enum Written {
    /// Nothing was written, for this reason (a usage error).
    Refused(String),
    /// These files were written.
    Files(Vec<String>),
}

/// Generates a demo PKI valid from the day before `now` and writes it into `dir`.
/// Refuses a path that is a file, or a non-empty directory unless `force`. Private keys
/// and PKCS#12 files get mode 0600 on Unix.
fn write_demo_pki(dir: &Path, force: bool, now: i64) -> anyhow::Result<Written> {
    if dir.exists() {
        if !dir.is_dir() {
            return Ok(Written::Refused(format!(
                "{} exists and is not a directory",
                dir.display()
            )));
        }
        let non_empty = std::fs::read_dir(dir)
            .with_context(|| format!("reading {}", dir.display()))?
            .next()
            .is_some();
        if non_empty && !force {
            return Ok(Written::Refused(format!(
                "{} is not empty; choose an empty directory or pass --force to overwrite",
                dir.display()
            )));
        }
    } else {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let demo = pki::demo_pki(now).context("generating the demo PKI")?;
    let files = demo.files().context("encoding the demo PKI")?;
    let mut names = Vec::with_capacity(files.len());
    for file in files {
        let path = dir.join(&file.name);
        std::fs::write(&path, &file.contents)
            .with_context(|| format!("writing {}", path.display()))?;
        if file.name.ends_with(".key.pem") || file.name.ends_with(".p12") {
            restrict(&path)?;
        }
        names.push(file.name);
    }
    Ok(Written::Files(names))
}

#[cfg(unix)]
fn restrict(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .with_context(|| format!("restricting permissions of {}", path.display()))
}

#[cfg(not(unix))]
fn restrict(_path: &Path) -> anyhow::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_780_000_000;

    #[test]
    fn writes_a_complete_demo_pki_that_validates() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("pki");
        let Written::Files(names) = write_demo_pki(&dir, false, NOW).unwrap() else {
            panic!("refused");
        };
        for name in [
            "root.pem",
            "school-ca.pem",
            "gvcn.key.pem",
            "gvcn.cert.pem",
            "gvcn.chain.pem",
            "gvcn.p12",
            "ht.chain.pem",
            "seal.chain.pem",
            "ecdsa.chain.pem",
            "README.txt",
        ] {
            assert!(names.iter().any(|n| n == name), "{name}");
            assert!(dir.join(name).is_file(), "{name}");
        }
        let root = std::fs::read(dir.join("root.pem")).unwrap();
        let store = pki::TrustStore::from_pem_bundle(&root).unwrap();
        for stem in ["gvcn", "ht", "seal", "ecdsa"] {
            let chain = std::fs::read(dir.join(format!("{stem}.chain.pem"))).unwrap();
            let chain = pki::pem::blocks(&chain, "CERTIFICATE").unwrap();
            store.validate(&chain, NOW).unwrap();
        }
    }

    #[test]
    fn refuses_a_non_empty_directory_unless_forced() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("other.txt"), "x").unwrap();
        let refused = write_demo_pki(tmp.path(), false, NOW).unwrap();
        assert!(matches!(refused, Written::Refused(m) if m.contains("--force")));
        assert!(!tmp.path().join("root.pem").exists());
        let forced = write_demo_pki(tmp.path(), true, NOW).unwrap();
        assert!(matches!(forced, Written::Files(_)));
        assert!(tmp.path().join("root.pem").exists());
    }

    #[test]
    fn refuses_a_file_path() {
        let tmp = tempfile::NamedTempFile::new().unwrap();
        let refused = write_demo_pki(tmp.path(), true, NOW).unwrap();
        assert!(matches!(refused, Written::Refused(m) if m.contains("not a directory")));
    }
}
