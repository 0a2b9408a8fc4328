//! The token's user PIN (PKCS #11 v2.40 §5.6 `C_Login`): read from a file or an environment
//! variable, or typed at a prompt by the caller — never taken from a command line, where other
//! users of the machine can read it. The PIN is zeroized when dropped and never printed.

use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::Pkcs11Error;

/// The longest PIN file read, bytes.
pub const MAX_PIN_FILE: u64 = 1024;

/// A token user PIN.
pub struct Pin(Zeroizing<String>);

impl std::fmt::Debug for Pin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pin(<{} bytes>)", self.0.len())
    }
}

impl Pin {
    /// A PIN typed by the operator (or otherwise obtained); empty is refused.
    pub fn new(pin: Zeroizing<String>) -> Result<Self, Pkcs11Error> {
        if pin.is_empty() {
            return Err(Pkcs11Error::PinSource {
                source_name: "the prompt".into(),
                reason: "the PIN is empty".into(),
            });
        }
        Ok(Self(pin))
    }

    /// The PIN, for `C_Login`.
    pub(super) fn expose(&self) -> &str {
        &self.0
    }
}

/// Where the PIN comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PinSource {
    /// The first line of a file readable by its owner only.
    File(PathBuf),
    /// An environment variable.
    Env(String),
}

impl PinSource {
    /// The `pin-source` of a URI (RFC 7512 §2.4), when it is a `file:` reference.
    pub fn from_uri_pin_source(pin_source: &str) -> Option<Self> {
        let path = pin_source.strip_prefix("file:")?;
        let path = path.strip_prefix("//").unwrap_or(path);
        path.starts_with('/')
            .then(|| Self::File(PathBuf::from(path)))
    }

    /// Reads the PIN.
    pub fn read(&self) -> Result<Pin, Pkcs11Error> {
        match self {
            Self::File(path) => read_file(path),
            Self::Env(var) => {
                let fail = |reason: &str| Pkcs11Error::PinSource {
                    source_name: format!("${var}"),
                    reason: reason.into(),
                };
                let value = Zeroizing::new(
                    std::env::var(var)
                        .map_err(|_| fail("the variable is not set (or not text)"))?,
                );
                if value.is_empty() {
                    return Err(fail("the variable is empty"));
                }
                Ok(Pin(value))
            }
        }
    }
}

fn read_file(path: &Path) -> Result<Pin, Pkcs11Error> {
    let fail = |reason: String| Pkcs11Error::PinSource {
        source_name: path.display().to_string(),
        reason,
    };
    let io = |source| Pkcs11Error::PinFile {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(fail(format!(
                "mode {:o} lets other users read it; make it 0600 (chmod 600)",
                mode & 0o7777
            )));
        }
    }
    if meta.len() > MAX_PIN_FILE {
        return Err(fail(format!("{} bytes: not a PIN file", meta.len())));
    }
    let bytes = Zeroizing::new(std::fs::read(path).map_err(io)?);
    let text = std::str::from_utf8(&bytes).map_err(|_| fail("not UTF-8 text".into()))?;
    let line = text.lines().next().unwrap_or_default();
    if line.is_empty() {
        return Err(fail("the first line is empty".into()));
    }
    Ok(Pin(Zeroizing::new(line.to_owned())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pin_file_gives_its_first_line_and_must_be_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pin");
        permitkit_model::private_file::write(&path, b"123456\nignored\n").unwrap();
        let pin = PinSource::File(path.clone()).read().unwrap();
        assert_eq!(pin.expose(), "123456");
        assert_eq!(format!("{pin:?}"), "Pin(<6 bytes>)");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            let err = PinSource::File(path.clone()).read().unwrap_err();
            assert!(err.to_string().contains("0600"), "{err}");
        }
        permitkit_model::private_file::write(&path, b"\n").unwrap();
        assert!(PinSource::File(path).read().is_err());
        assert!(
            PinSource::Env("PERMITKIT_TEST_PIN_SURELY_UNSET".into())
                .read()
                .is_err()
        );
        assert!(Pin::new(Zeroizing::new(String::new())).is_err());
    }

    #[test]
    fn a_uri_pin_source_is_a_file_reference() {
        assert_eq!(
            PinSource::from_uri_pin_source("file:/etc/token_pin"),
            Some(PinSource::File("/etc/token_pin".into()))
        );
        assert_eq!(
            PinSource::from_uri_pin_source("file:///etc/token_pin"),
            Some(PinSource::File("/etc/token_pin".into()))
        );
        assert_eq!(PinSource::from_uri_pin_source("|/usr/bin/askpin"), None);
        assert_eq!(PinSource::from_uri_pin_source("file:relative"), None);
    }
}
