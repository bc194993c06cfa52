//! `hocba sign`: add the next signature of the chain to a year record.
//!
//! The record must parse strictly, be signable (personal ID present, consistent), and
//! ROLE must be the next role of the level's chain (GVCN → HT/GD → DAU). With `--trust`
//! the signatures already present are verified first, so nobody countersigns a broken
//! chain. The key comes from a PEM/DER PKCS#8 file with its certificate chain, a PKCS#12
//! file, or a PKCS#11 token.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Args;
use record::SignerRole;
use xmldsig::{SignatureProperties, Signer, SoftwareSigner};

use crate::verify::{load_trust, now_unix, record_layout};

/// Options of `hocba sign`.
#[derive(Args)]
pub struct SignArgs {
    /// The record to sign (unsigned, or signed by the earlier roles of the chain).
    file: PathBuf,
    /// Signer role: GVCN (homeroom teacher), HT (principal), GD (GDTX centre director),
    /// DAU (school seal). Must be the next role of the chain.
    #[arg(long)]
    role: String,
    /// Signer's name to put in the signed properties.
    #[arg(long)]
    name: Option<String>,
    /// Private key, PKCS#8 PEM or DER (RSA-2048+ or ECDSA P-256).
    #[arg(long, requires = "cert", conflicts_with_all = ["p12", "pkcs11_module"])]
    key: Option<PathBuf>,
    /// The signer's certificate (PEM or DER), with --key.
    #[arg(long)]
    cert: Option<PathBuf>,
    /// Intermediate CA certificates (PEM or DER), with --key; repeatable.
    #[arg(long)]
    chain: Vec<PathBuf>,
    /// A PKCS#12 (.p12/.pfx) file holding key and chain.
    #[arg(long, conflicts_with = "pkcs11_module")]
    p12: Option<PathBuf>,
    /// Environment variable holding the PKCS#12 password or the PKCS#11 PIN.
    #[arg(long, default_value = "HOCBA_KEY_PASSWORD")]
    password_env: String,
    /// PKCS#11 module of a USB token or HSM (e.g. /usr/lib/softhsm/libsofthsm2.so).
    #[arg(long, requires = "pkcs11_key")]
    pkcs11_module: Option<PathBuf>,
    /// Label of the token (default: the first token found).
    #[arg(long)]
    pkcs11_token: Option<String>,
    /// Label (CKA_LABEL) of the private key on the token.
    #[arg(long)]
    pkcs11_key: Option<String>,
    /// Root CAs to verify the signatures already present before signing; repeatable.
    #[arg(long)]
    trust: Vec<PathBuf>,
    /// Where to write the signed record.
    #[arg(short, long)]
    output: PathBuf,
}

/// Runs `hocba sign`. Exit 0 signed; 1 the record or its chain refuses this signature;
/// 2 usage, key or read errors.
pub fn run(args: SignArgs) -> anyhow::Result<ExitCode> {
    let doc =
        std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    let Some(role) = SignerRole::from_code(&args.role) else {
        bail!(
            "unknown --role {:?}: expected GVCN, HT, GD or DAU",
            args.role
        );
    };
    let parsed = match record::parse_document(&doc) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("refused [{}]: {e}", e.code());
            return Ok(ExitCode::from(1));
        }
    };
    let blockers = parsed.record.signing_blockers();
    if !blockers.is_empty() {
        for b in &blockers {
            eprintln!("refused [not-signable]: {b}");
        }
        return Ok(ExitCode::from(1));
    }
    let chain = record::default_chain(parsed.record.school.level);
    let k = parsed.signatures.len();
    match chain.get(k) {
        None => {
            eprintln!(
                "refused [chain-complete]: the record already carries all {} signatures",
                chain.len()
            );
            return Ok(ExitCode::from(1));
        }
        Some(next) if *next != role => {
            eprintln!(
                "refused [wrong-order]: the next signature must be {} ({}), not {}",
                next.code(),
                next.name_vi(),
                role.code()
            );
            return Ok(ExitCode::from(1));
        }
        Some(_) => {}
    }
    let layout = record_layout();
    if k > 0 && !args.trust.is_empty() {
        let trust = load_trust(&args.trust, &[])?;
        let roles = record::default_chain_codes(parsed.record.school.level);
        if let Err(e) = xmldsig::verify_chain(&doc, &layout, &trust, Some(&roles[..k])) {
            eprintln!(
                "refused [{}]: the signatures present do not verify: {e}",
                e.code()
            );
            return Ok(ExitCode::from(1));
        }
    }
    let signer = load_signer(&args)?;
    let props = SignatureProperties {
        signing_time: now_unix()?,
        role: role.code().to_string(),
        signer_name: args.name.clone(),
    };
    let signed = match xmldsig::sign_next(&doc, &layout, signer.as_ref(), &props) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("refused [{}]: {e}", e.code());
            return Ok(ExitCode::from(1));
        }
    };
    std::fs::write(&args.output, &signed)
        .with_context(|| format!("writing {}", args.output.display()))?;
    eprintln!(
        "signed as {} ({}): signature {} of {} → {}",
        role.code(),
        role.name_vi(),
        k + 1,
        chain.len(),
        args.output.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn secret(var: &str) -> anyhow::Result<String> {
    std::env::var(var)
        .with_context(|| format!("environment variable {var} (password or PIN) is not set"))
}

fn load_signer(args: &SignArgs) -> anyhow::Result<Box<dyn Signer>> {
    let read = |p: &PathBuf| std::fs::read(p).with_context(|| format!("reading {}", p.display()));
    if let Some(key) = &args.key {
        let cert = args.cert.as_ref().context("--key needs --cert")?;
        let mut chain = xmldsig::certificates_from_pem_or_der(&read(cert)?)
            .with_context(|| format!("certificate {}", cert.display()))?;
        for c in &args.chain {
            chain.extend(
                xmldsig::certificates_from_pem_or_der(&read(c)?)
                    .with_context(|| format!("certificate {}", c.display()))?,
            );
        }
        let signer = SoftwareSigner::from_parts(&read(key)?, chain)
            .with_context(|| format!("private key {}", key.display()))?;
        return Ok(Box::new(signer));
    }
    if let Some(p12) = &args.p12 {
        let signer = pki::Pkcs12Signer::from_pkcs12(&read(p12)?, &secret(&args.password_env)?)
            .with_context(|| format!("PKCS#12 file {}", p12.display()))?;
        return Ok(Box::new(signer));
    }
    if let Some(module) = &args.pkcs11_module {
        let config = pki::Pkcs11Config {
            module: module.clone(),
            token_label: args.pkcs11_token.clone(),
            pin: secret(&args.password_env)?,
            key_label: args
                .pkcs11_key
                .clone()
                .context("--pkcs11-module needs --pkcs11-key")?,
        };
        let mut chain = Vec::new();
        for c in args.cert.iter().chain(&args.chain) {
            chain.extend(xmldsig::certificates_from_pem_or_der(&read(c)?)?);
        }
        let signer =
            pki::Pkcs11Signer::open(&config, chain).context("opening the PKCS#11 token")?;
        return Ok(Box::new(signer));
    }
    bail!("no key given: use --key/--cert, --p12, or --pkcs11-module/--pkcs11-key")
}
