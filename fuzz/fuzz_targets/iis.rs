//! Fuzzes the IIS web.config reader: no input may panic, every accepted
//! input prints back byte for byte, and the verdict and tree agree with
//! roxmltree's (the same comparison as crates/lint403_iis/tests/oracle.rs).

#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../crates/lint403_iis/tests/support/oracle.rs"]
mod oracle;

fuzz_target!(|data: &[u8]| {
    // UTF-16 with a BOM is transcoded, anything else read as UTF-8 with
    // invalid bytes replaced, exactly as the command line reads a file.
    let source = lint403_core::read::decode(std::path::Path::new("web.config"), data.to_vec());
    let text = source.text.as_str();
    let output = lint403_iis::parse(text);
    if let Some(document) = output.well_formed() {
        assert_eq!(lint403_iis::print(document, text), text, "round trip");
    }
    if let Some(error) = &output.error {
        assert!(error.range.start <= error.range.end && error.range.end <= text.len());
        assert!(!error.help.is_empty());
    }
    if let Err(difference) = oracle::compare(text) {
        panic!("lint403 and roxmltree disagree: {difference}");
    }
    let _ = lint403_iis::looks_like_iis_config(text);
});
