//! Test helper (feature `test-util`): a SoftHSM2 token store of its own for a test, in a
//! temporary folder with its own `SOFTHSM2_CONF`, and tokens initialized in it with
//! `softhsm2-util --init-token` (Debian package `softhsm2`, installed by `.ci/install-deps`).
//!
//! SoftHSM2 reads `SOFTHSM2_CONF` when it is initialized, once per process, and the toolkit
//! initializes a module once per process: so a test that talks to the token runs in a process
//! of its own ([`SoftHsm::run_test_in_child`]) with the variable set, while the parent owns the
//! folder. Nothing here skips: without SoftHSM2 the test fails and says what to install.
#![expect(
    clippy::panic,
    reason = "a test helper: a missing tool or a failed command fails the test that needs it"
)]

use std::{
    path::{Path, PathBuf},
    process::Command,
};

/// Where Debian's `softhsm2` puts the PKCS #11 module.
pub const MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";

/// The variable a child test process finds its token folder in.
pub const CHILD_VAR: &str = "PERMITKIT_SOFTHSM_DIR";

/// A SoftHSM2 token store in a folder of its own.
#[derive(Debug)]
pub struct SoftHsm {
    dir: PathBuf,
    owned: bool,
}

impl SoftHsm {
    /// A new store in a fresh folder under `parent` (which the caller keeps alive).
    pub fn new(parent: &Path) -> Self {
        let module = Path::new(MODULE);
        assert!(
            module.is_file(),
            "{MODULE} is missing: install SoftHSM2 (Debian package softhsm2; run .ci/install-deps)"
        );
        let dir = parent.join("softhsm");
        let tokens = dir.join("tokens");
        std::fs::create_dir_all(&tokens)
            .unwrap_or_else(|e| panic!("creating {}: {e}", tokens.display()));
        let conf = format!(
            "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n\
             slots.removable = false\n",
            tokens.display()
        );
        std::fs::write(dir.join("softhsm2.conf"), conf)
            .unwrap_or_else(|e| panic!("writing softhsm2.conf: {e}"));
        Self { dir, owned: true }
    }

    /// The store a parent test process made, when this is its child; `None` in the parent.
    pub fn of_child() -> Option<Self> {
        let dir = std::env::var_os(CHILD_VAR)?;
        Some(Self {
            dir: PathBuf::from(dir),
            owned: false,
        })
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The `SOFTHSM2_CONF` file.
    pub fn conf(&self) -> PathBuf {
        self.dir.join("softhsm2.conf")
    }

    /// The module's path.
    pub fn module(&self) -> PathBuf {
        PathBuf::from(MODULE)
    }

    /// `softhsm2-util --init-token --free` with `label` and the two PINs (test PINs only: they
    /// are on this command line).
    pub fn init_token(&self, label: &str, so_pin: &str, pin: &str) {
        assert!(self.owned, "initialize tokens in the parent test process");
        let out = Command::new("softhsm2-util")
            .args(["--init-token", "--free", "--label", label])
            .args(["--so-pin", so_pin, "--pin", pin])
            .env("SOFTHSM2_CONF", self.conf())
            .output()
            .unwrap_or_else(|e| {
                panic!(
                    "softhsm2-util is needed (Debian package softhsm2; run .ci/install-deps): {e}"
                )
            });
        assert!(
            out.status.success(),
            "softhsm2-util --init-token failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Sets `SOFTHSM2_CONF` (and [`CHILD_VAR`]) on `command`.
    pub fn env<'a>(&self, command: &'a mut Command) -> &'a mut Command {
        command
            .env("SOFTHSM2_CONF", self.conf())
            .env(CHILD_VAR, &self.dir)
    }

    /// Runs the test `name` of the current test binary alone in a child process that sees this
    /// store, and fails when it fails or did not run.
    pub fn run_test_in_child(&self, name: &str) {
        let exe = std::env::current_exe().unwrap_or_else(|e| panic!("current_exe: {e}"));
        let mut command = Command::new(exe);
        command.args(["--exact", name, "--nocapture", "--test-threads=1"]);
        let out = self
            .env(&mut command)
            .output()
            .unwrap_or_else(|e| panic!("running {name} in a child process: {e}"));
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "{name} failed in its child process:\n{stdout}\n{stderr}"
        );
        assert!(stdout.contains("1 passed"), "{name} did not run:\n{stdout}");
    }
}
