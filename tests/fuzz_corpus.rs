//! L4: replays the fuzz corpus (`testdata/fuzz-corpus/<target>/`) through the same entry points
//! the cargo-fuzz targets use, so every seed and every past crash is checked by `cargo test`.

use std::{collections::BTreeSet, fs, path::Path};

use permitkit_fuzzing::TARGETS;

#[test]
fn every_fuzz_target_is_registered_and_has_a_corpus() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let on_disk: BTreeSet<String> = fs::read_dir(root.join("fuzz/fuzz_targets"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    let registered: BTreeSet<String> = TARGETS.iter().map(|(n, _)| (*n).to_owned()).collect();
    assert_eq!(
        on_disk, registered,
        "fuzz/fuzz_targets and fuzzing::TARGETS disagree"
    );
    for name in &registered {
        let dir = root.join("testdata/fuzz-corpus").join(name);
        let seeds = fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .count();
        assert!(seeds > 0, "{} has no seeds", dir.display());
    }
}

#[test]
fn corpus_replays_without_panic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/fuzz-corpus");
    let mut replayed = 0;
    for (name, entry) in TARGETS {
        for file in fs::read_dir(root.join(name)).unwrap() {
            let path = file.unwrap().path();
            let data = fs::read(&path).unwrap();
            let outcome = std::panic::catch_unwind(|| entry(&data));
            assert!(outcome.is_ok(), "{name}: {} panicked", path.display());
            replayed += 1;
        }
    }
    assert!(replayed >= TARGETS.len());
}
