//! Exclusive C14N on arbitrary well-formed XML: never panics, and is idempotent (the
//! canonical form of a canonical document is itself).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(doc) = roxmltree::Document::parse(text) else {
        return;
    };
    let mut once = Vec::new();
    if xmldsig::c14n::canonicalize_document(&doc, &[], None, &mut once).is_err() {
        return;
    }
    for node in doc.descendants().filter(|n| n.is_element()).take(8) {
        let mut sub = Vec::new();
        let _ = xmldsig::c14n::canonicalize(node, &["#default", "a"], &mut sub);
    }
    let Ok(once_text) = std::str::from_utf8(&once) else {
        panic!("canonical output is not UTF-8")
    };
    let again_doc = roxmltree::Document::parse(once_text).expect("canonical output parses");
    let mut twice = Vec::new();
    xmldsig::c14n::canonicalize_document(&again_doc, &[], None, &mut twice)
        .expect("canonicalizes again");
    assert_eq!(once, twice, "exclusive C14N is not idempotent");
});
