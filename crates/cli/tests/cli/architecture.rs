//! Architecture invariants checked against `cargo metadata`: the sans-IO crates never
//! pull in a runtime, a database driver or an HTTP stack.

use std::collections::{BTreeSet, HashMap};
use std::process::Command;

use serde_json::Value;

/// Crates that must stay pure (DESIGN.md §2: nothing in domain/record/xmldsig knows about
/// HTTP or SQL; the registry's core leaves its IO to `registry-server`) and what they must
/// never reach, directly or transitively.
const PURE: &[&str] = &["domain", "record", "xmldsig", "registry", "render", "web"];
const FORBIDDEN: &[&str] = &[
    "tokio",
    "sqlx",
    "axum",
    "hyper",
    "reqwest",
    "rusqlite",
    "postgres",
    "async-std",
    "mio",
];

fn metadata() -> Value {
    let output = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--locked"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("metadata is JSON")
}

#[test]
fn sans_io_crates_do_not_depend_on_runtimes_databases_or_http() {
    let meta = metadata();
    let names: HashMap<&str, &str> = meta["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| (p["id"].as_str().unwrap(), p["name"].as_str().unwrap()))
        .collect();
    // Normal (non-dev, non-build) edges of the resolved graph.
    let edges: HashMap<&str, Vec<&str>> = meta["resolve"]["nodes"]
        .as_array()
        .expect("resolve nodes")
        .iter()
        .map(|n| {
            let deps = n["deps"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|d| {
                    d["dep_kinds"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|k| k["kind"].is_null())
                })
                .map(|d| d["pkg"].as_str().unwrap())
                .collect();
            (n["id"].as_str().unwrap(), deps)
        })
        .collect();

    for krate in PURE {
        let Some((&root, _)) = names.iter().find(|(_, n)| *n == krate) else {
            panic!("crate {krate} not found in the workspace");
        };
        let mut seen = BTreeSet::new();
        let mut stack = vec![root];
        while let Some(id) = stack.pop() {
            if seen.insert(id) {
                stack.extend(edges.get(id).into_iter().flatten().copied());
            }
        }
        let reached: BTreeSet<&str> = seen.iter().map(|id| names[id]).collect();
        let bad: Vec<&&str> = FORBIDDEN.iter().filter(|f| reached.contains(**f)).collect();
        assert!(bad.is_empty(), "{krate} depends on {bad:?}");
    }
}

#[test]
fn domain_depends_on_thiserror_only() {
    let meta = metadata();
    let domain = meta["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .find(|p| p["name"] == "domain")
        .expect("domain package");
    let normal: Vec<&str> = domain["dependencies"]
        .as_array()
        .expect("dependencies")
        .iter()
        .filter(|d| d["kind"].is_null())
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        normal,
        ["thiserror"],
        "domain must stay free of IO, async, database and clock crates"
    );
}
