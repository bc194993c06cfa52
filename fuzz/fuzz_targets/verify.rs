//! Full verification (chain mode and signatures-only mode) of arbitrary documents with a
//! permissive trust policy: must never panic. Seed the corpus with the attack corpus
//! (`HOCBA_WRITE_ATTACKS=fuzz/corpus/verify cargo test -p xmldsig`).
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = xmldsig::verify_chain(
        data,
        &common::layout(),
        &common::AcceptAll,
        Some(&["GVCN", "HT", "DAU"]),
    );
    let _ = xmldsig::verify_signatures_only(data, &common::AcceptAll, 1_780_304_400);
});
