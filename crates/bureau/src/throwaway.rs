//! A throw-away PostgreSQL cluster for tests and demos: Debian's `postgresql` server binaries
//! (`/usr/lib/postgresql/<version>/bin`), `initdb` into a temporary folder, the server on a
//! free loopback port with its Unix socket in that folder, stopped (`pg_ctl stop -m fast`) and
//! deleted on drop. PostgreSQL refuses to run as root, so as root the cluster runs as the
//! `postgres` system user (through `runuser`), its folder handed to that user.
//!
//! Missing binaries are an error that says what to install, never a silent skip.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::BureauError;

/// A running throw-away cluster.
pub struct ThrowawayPostgres {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    as_postgres: bool,
    settings: Vec<String>,
}

fn fail(what: impl Into<String>) -> BureauError {
    BureauError::Throwaway(what.into())
}

fn io_fail(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> BureauError {
    let what = what.into();
    move |source| BureauError::ThrowawayIo { what, source }
}

/// The newest installed server's `bin` folder.
fn server_bin() -> Result<PathBuf, BureauError> {
    let root = Path::new("/usr/lib/postgresql");
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir(root)
        .map_err(|_| {
            fail(
                "no PostgreSQL server in /usr/lib/postgresql: install Debian's `postgresql` \
                 package (.ci/install-deps does)",
            )
        })?
        .filter_map(Result::ok)
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((v, bin))
        })
        .collect();
    versions.sort();
    versions
        .pop()
        .map(|(_, bin)| bin)
        .ok_or_else(|| fail("no initdb under /usr/lib/postgresql/*/bin: install `postgresql`"))
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

impl ThrowawayPostgres {
    /// Creates and starts a cluster; returns once it accepts connections.
    pub fn start() -> Result<Self, BureauError> {
        Self::start_with(&[])
    }

    /// [`ThrowawayPostgres::start`] with extra server settings (`name=value`, e.g.
    /// `shared_preload_libraries=pg_stat_statements`; letters, digits and `_=.,` only).
    pub fn start_with(settings: &[&str]) -> Result<Self, BureauError> {
        if let Some(bad) = settings.iter().find(|s| {
            !s.contains('=')
                || !s
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_=.,".contains(&b))
        }) {
            return Err(fail(format!("bad server setting {bad:?}")));
        }
        let bin = server_bin()?;
        let dir = tempfile::Builder::new()
            .prefix("permitkit-pg-")
            .tempdir()
            .map_err(io_fail("temporary folder"))?;
        let as_postgres = is_root();
        if as_postgres {
            run(Command::new("chown")
                .arg("postgres:postgres")
                .arg(dir.path()))?;
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(io_fail("a free loopback port"))?
            .port();
        let cluster = Self {
            dir,
            bin,
            port,
            as_postgres,
            settings: settings.iter().map(|s| (*s).to_owned()).collect(),
        };
        let data = cluster.data();
        run(cluster.command("initdb").arg("-D").arg(&data).args([
            "-U",
            "bureau",
            "-A",
            "trust",
            "--no-sync",
            "-E",
            "UTF8",
        ]))?;
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off \
             -c synchronous_commit=off -c full_page_writes=off -c max_connections=200{}",
            cluster.dir.path().display(),
            cluster.extra_options()
        );
        run(cluster
            .command("pg_ctl")
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(cluster.dir.path().join("server.log"))
            .args(["-o", &options, "-w", "-t", "60", "start"]))?;
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                return Err(fail("the server did not start listening"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(cluster)
    }

    /// The URL of database `name` (see [`ThrowawayPostgres::create_database`]).
    pub fn url(&self, name: &str) -> String {
        format!("postgres://bureau@127.0.0.1:{}/{name}", self.port)
    }

    /// Creates database `name` (letters, digits and `_`).
    pub fn create_database(&self, name: &str) -> Result<String, BureauError> {
        if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(fail(format!("bad database name {name:?}")));
        }
        run(self
            .command("psql")
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "bureau",
            ])
            .args([
                "-d",
                "postgres",
                "-q",
                "-c",
                &format!("CREATE DATABASE {name}"),
            ]))?;
        Ok(self.url(name))
    }

    /// The server's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops the server and starts it again on the same port and data (a bureau restart drill
    /// uses the server itself only through its clients).
    pub fn restart(&self) -> Result<(), BureauError> {
        self.stop()?;
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200{}",
            self.port,
            self.dir.path().display(),
            self.extra_options()
        );
        run(self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .arg("-l")
            .arg(self.dir.path().join("server.log"))
            .args(["-o", &options, "-w", "-t", "60", "start"]))
    }

    fn stop(&self) -> Result<(), BureauError> {
        run(self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "fast", "-w", "stop"]))
    }

    /// The extra settings as `pg_ctl -o` options.
    fn extra_options(&self) -> String {
        self.settings.iter().map(|s| format!(" -c {s}")).collect()
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn command(&self, tool: &str) -> Command {
        let path = if tool == "psql" {
            // psql is in the same folder as the server binaries on Debian.
            self.bin.join("psql")
        } else {
            self.bin.join(tool)
        };
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }
}

impl Drop for ThrowawayPostgres {
    fn drop(&mut self) {
        if let Err(e) = self.stop() {
            eprintln!("throw-away PostgreSQL: {e}");
        }
    }
}

fn run(command: &mut Command) -> Result<(), BureauError> {
    let shown = format!("{command:?}");
    let output = command.output().map_err(io_fail(shown.clone()))?;
    if !output.status.success() {
        return Err(fail(format!(
            "{shown}: {}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    Ok(())
}
