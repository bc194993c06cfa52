//! Strict parsing and profile checks on arbitrary bytes: must never panic, and whatever
//! verification answers, the error code is a stable string.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = xmldsig::Limits {
        max_bytes: 64 * 1024,
        max_depth: 32,
        max_nodes: 10_000,
        ..Default::default()
    };
    if let Err(e) = xmldsig::verify_chain_with_limits(
        data,
        &common::layout(),
        &common::AcceptAll,
        None,
        &limits,
    ) {
        assert!(!e.code().is_empty());
    }
    let _ = xmldsig::der::summarize_certificate(data);
});
