//! Helpers shared by the walk-throughs: run the binary, validate against the XSD,
//! change one element's value.

use std::path::Path;
use std::process::{Command, Output};

/// Runs the built `hocba` with `args` and extra environment variables.
pub fn hocba_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hocba"));
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("hocba runs")
}

/// Runs the built `hocba` with `args`.
pub fn hocba(args: &[&str]) -> Output {
    hocba_env(args, &[])
}

/// Asserts that `file` validates against the record XSD with `xmllint`.
pub fn assert_xsd_valid(file: &Path) {
    let xsd = concat!(env!("CARGO_MANIFEST_DIR"), "/../record/schema/hocba-v1.xsd");
    let lint = Command::new("xmllint")
        .args(["--noout", "--schema", xsd])
        .arg(file)
        .output()
        .expect("xmllint is installed (scripts/test installs libxml2-utils)");
    assert!(
        lint.status.success(),
        "{}",
        String::from_utf8_lossy(&lint.stderr)
    );
}

/// `xml` with the text of the first `<tag>` replaced by `a`, or by `b` when it already
/// is `a` — a change of exactly one value.
pub fn change_first_value(xml: &str, tag: &str, a: &str, b: &str) -> String {
    let open = format!("<{tag}>");
    let at = xml.find(&open).expect("the element is present") + open.len();
    let end = at + xml[at..].find('<').expect("the element is closed");
    let new = if &xml[at..end] == a { b } else { a };
    format!("{}{new}{}", &xml[..at], &xml[end..])
}
