//! Running the built `permitkit` binary and the independent tools the integration tests check
//! it against: one copy of the helpers every command-line test uses (`#[path]`-included).

#![allow(
    dead_code,
    reason = "each test binary includes this module and uses only some of its helpers"
)]

use std::path::Path;
use std::process::{Command, Output};

/// Runs the built `permitkit` with `args` in the current directory.
pub fn permitkit(args: &[&str]) -> Output {
    permitkit_in(Path::new("."), args)
}

/// Runs the built `permitkit` with `args` in `dir`.
pub fn permitkit_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_permitkit"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the permitkit binary built for this test runs")
}

/// The path of `p` inside the repository's `testdata/`.
pub fn data(p: &str) -> String {
    format!("{}/testdata/{p}", env!("CARGO_MANIFEST_DIR"))
}

/// The command succeeded; its standard output.
pub fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    stdout(o)
}

/// The command failed with exit code 1; its standard error.
pub fn error(o: &Output) -> String {
    let stderr = text(&o.stderr);
    assert_eq!(
        o.status.code(),
        Some(1),
        "stdout: {}\nstderr: {stderr}",
        String::from_utf8_lossy(&o.stdout)
    );
    stderr
}

/// The command's standard output, whatever its exit status.
pub fn stdout(o: &Output) -> String {
    text(&o.stdout)
}

/// Standard output then standard error, whatever the exit status.
pub fn all_output(o: &Output) -> String {
    format!("{}{}", text(&o.stdout), text(&o.stderr))
}

/// Bytes as text, invalid UTF-8 replaced.
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A path as an argument.
pub fn s(p: &Path) -> &str {
    p.to_str().expect("test paths are UTF-8")
}

/// `openssl`, which must be installed (`.ci/install-deps`): `role` says what the test needs it
/// for, in the failure message.
pub fn openssl(role: &str) -> Command {
    let probe = Command::new("openssl").arg("version").output();
    assert!(
        probe.is_ok_and(|o| o.status.success()),
        "OpenSSL is needed as {role}: run .ci/install-deps"
    );
    Command::new("openssl")
}

/// Runs `cmd` to completion.
pub fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("the command starts")
}

/// Runs the built `permitkit` with `args`, which must succeed; its standard output.
pub fn permitkit_ok(args: &[&str]) -> String {
    ok(&permitkit(args))
}
