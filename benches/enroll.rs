//! Whole simulated enrollment (issue 6): the `simulated` station end to end — photo with
//! auto-capture on the simulated camera, two fingers from the simulated scanner (best of N,
//! WSQ), signature, ChipImage built and signed, personalization of the in-process virtual chip,
//! independent read-back over PACE with passive and Active Authentication — with the time of
//! every step. A plain timing harness (`cargo bench --bench enroll`): one run takes about a
//! second, too long for criterion's sampling to add anything.
#![expect(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "test code: an unexpected value fails the test loudly"
)]

use permitkit_devices::factory::SelectorFactory;
use permitkit_model::profiles::Registry;
use permitkit_pki::test_pki::{TestPki, TestPkiOptions};
use permitkit_station::pipeline::{self, EnrolRequest, Event, Station, Step};

const RUNS: usize = 7;

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs it once as a smoke test.
    let runs = if std::env::args().any(|a| a == "--bench") {
        RUNS
    } else {
        1
    };
    let dir = tempfile::tempdir().unwrap();
    let pki = dir.path().join("pki");
    TestPki::generate(&TestPkiOptions::default())
        .unwrap()
        .write_dir(&pki)
        .unwrap();
    let mut per_step: Vec<Vec<u64>> = vec![Vec::new(); Step::ALL.len()];
    let mut totals = Vec::new();
    for run in 0..runs {
        // Each run issues (and LOCKs) its own document: another number and application.
        let applicant = dir.path().join(format!("applicant-{run}.toml"));
        std::fs::write(
            &applicant,
            include_str!("../testdata/applicants/temporary-foreign-national.toml")
                .replace("FT4211207", &format!("FT42112{run:02}"))
                .replace("TRP-2026-004211", &format!("TRP-2026-0042{run:02}")),
        )
        .unwrap();
        let card = dir.path().join(format!("card-{run}.json"));
        let registry = Registry::builtin().unwrap();
        let factory = SelectorFactory::new(registry.clone()).with_card_state(Some(card));
        let mut station = Station::open(
            registry,
            "simulated",
            &pki,
            Some(&dir.path().join("journal.sqlite")),
            Box::new(factory),
        )
        .unwrap();
        let request = EnrolRequest {
            applicant,
            out: dir.path().join(format!("chip-image-{run}")),
            operator: "bench".into(),
            missing_fingers: Vec::new(),
            lock: true,
            resume: None,
        };
        let mut ignore = |_: &Event| {};
        let summary = pipeline::enroll(&mut station, &request, &mut ignore).unwrap();
        assert!(summary.issued, "the card is issued: LOCKED and verified");
        for (i, step) in summary.steps.iter().enumerate() {
            per_step[i].push(step.millis.unwrap());
        }
        totals.push(summary.total_millis);
    }
    println!("simulated enrollment, {runs} runs (milliseconds: median, min, max)");
    let names = Step::ALL.map(Step::name);
    for (name, mut v) in names.iter().zip(per_step).chain([(&"total", totals)]) {
        v.sort_unstable();
        let median = v[v.len() / 2];
        println!("  {name:<12} {median:>6} {:>6} {:>6}", v[0], v[v.len() - 1]);
    }
}
