//! The fuzz targets' kept inputs, replayed on every `cargo test` (see: issue 11): each file of
//! `tests/fuzz-regressions/<target>/` is run through the same function, with the same checks,
//! as `cargo fuzz run <target>` runs it (`tests/fuzz/src/lib.rs`, included here so that CI needs
//! neither libFuzzer nor nightly). The folders hold the minimised inputs of every crash the
//! fuzzers found, named after the bug, and a few interesting corpus entries.

use std::path::Path;

#[path = "../fuzz/src/lib.rs"]
#[allow(dead_code)]
pub mod targets;

#[test]
fn every_kept_fuzz_input_passes_its_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions");
    let mut replayed = 0;
    for (name, target) in targets::TARGETS {
        let dir = root.join(name);
        let mut inputs: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|entry| entry.expect("dir entry").path())
            .collect();
        inputs.sort();
        assert!(!inputs.is_empty(), "no inputs kept for `{name}`");
        for input in inputs {
            let data = std::fs::read(&input).expect("read input");
            let outcome = std::panic::catch_unwind(|| target(&data));
            assert!(outcome.is_ok(), "`{name}` failed on {}", input.display());
            replayed += 1;
        }
    }
    assert!(replayed >= targets::TARGETS.len());
}
