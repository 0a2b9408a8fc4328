//! README.md's "A tour of the command line" runs as written.
//!
//! Every line of the tour's code block is run, in order, by `bash` in one fresh working
//! directory that holds links to the repository's `testdata/` and `hardware-profiles/` (so the tour's paths are the
//! ones a new user has in a checkout), with the built `permitkit` first on `PATH`. A line must
//! exit 0, or the code its trailing comment announces (`# exit 2: …`). Lines build on each
//! other (the PKI made by one is used by the next), as they would for a reader trying them.
#![expect(
    clippy::expect_used,
    reason = "test code: an unexpected value fails the test loudly"
)]

use std::path::Path;
use std::process::Command;

/// The lines of the tour's first `sh` block.
fn tour_lines(readme: &str) -> Vec<String> {
    let start = readme
        .find("## A tour of the command line")
        .expect("README has a tour section");
    let rest = &readme[start..];
    let open = rest.find("```sh\n").expect("the tour has an sh block") + "```sh\n".len();
    let close = rest[open..].find("```").expect("the sh block ends") + open;
    rest[open..close]
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

/// The exit code a line announces in its comment (`# exit 2: …`), else 0.
fn expected_exit(line: &str) -> i32 {
    line.split_once("# exit ")
        .and_then(|(_, rest)| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[test]
fn every_line_of_the_readme_tour_runs_as_written() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let lines = tour_lines(&readme);
    assert!(lines.len() >= 10, "the tour lost its lines: {lines:?}");
    let dir = tempfile::tempdir().unwrap();
    for shared in ["testdata", "hardware-profiles"] {
        std::os::unix::fs::symlink(root.join(shared), dir.path().join(shared)).unwrap();
    }
    let bin = Path::new(env!("CARGO_BIN_EXE_permitkit"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for line in &lines {
        let out = Command::new("bash")
            .args(["-o", "pipefail", "-c", line])
            .current_dir(dir.path())
            .env("PATH", &path)
            .env_remove("PERMITKIT_MRZ")
            .env_remove("PERMITKIT_CAN")
            .output()
            .unwrap();
        let want = expected_exit(line);
        assert_eq!(
            out.status.code(),
            Some(want),
            "README tour line `{line}` exited {:?}, expected {want}\nstdout:\n{}\nstderr:\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !stderr.contains("panicked"),
            "README tour line `{line}` panicked:\n{stderr}"
        );
    }
}

#[test]
fn the_tour_reader_finds_lines_and_announced_exit_codes() {
    let readme = "x\n## A tour of the command line\n\n```sh\n# comment\npermitkit a   # ok\n\npermitkit b # exit 2: no\n```\n";
    assert_eq!(
        tour_lines(readme),
        vec![
            "permitkit a   # ok".to_owned(),
            "permitkit b # exit 2: no".to_owned()
        ]
    );
    assert_eq!(expected_exit("permitkit b # exit 2: no"), 2);
    assert_eq!(expected_exit("permitkit a"), 0);
}
