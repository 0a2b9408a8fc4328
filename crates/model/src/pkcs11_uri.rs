//! The PKCS #11 URI (RFC 7512): how a station profile or a command line names a key on a
//! hardware token without naming a file, e.g.
//! `pkcs11:token=DS%20token;object=ds-2026;id=%01?module-path=/usr/lib/softhsm/libsofthsm2.so`.
//!
//! Parsed once into a typed [`Pkcs11Uri`] (RFC 7512 §2.3 syntax, §2.4 query attributes):
//!
//! - the scheme `pkcs11:` (case-insensitive, RFC 3986 §3.1), then path attributes separated by
//!   `;`, then optionally `?` and query attributes separated by `&`;
//! - every value is percent-decoded (RFC 3986 §2.1); `id` is bytes (CKA_ID), every other value
//!   UTF-8 text; a path value may hold unreserved characters, `: [ ] @ ! $ ' ( ) * + , =` and
//!   `&`, a query value the same less `&` plus `/ ? |`; anything else must be percent-encoded;
//! - a path attribute appears at most once (§2.3); `type` is one of `public`, `private`,
//!   `cert`, `secret-key`, `data`; `slot-id` is a decimal number, `library-version` is
//!   `M[.N]`;
//! - `pin-source` and `pin-value` exclude each other, and `module-name`, `module-path`,
//!   `pin-source`, `pin-value` appear at most once (§2.4); `module-path` is absolute;
//! - an attribute the RFC does not define (a vendor-specific one, §2.3) is kept by name: in the
//!   path it restricts the match, and since this consumer does not know what it means it makes
//!   the URI name no object (RFC 7512 §2.5: an unrecognized path attribute SHOULD give an empty
//!   set of matches) — [`Pkcs11Uri::unrecognized`] says which; in the query it is kept and
//!   ignored.
//!
//! A `pin-value` is held as a [`SecretString`] (never printed), but the tools refuse to use it:
//! a PIN written into a URI ends up in a command line or a profile in clear.

use std::fmt;

use crate::secret::SecretString;

/// The longest URI accepted, in bytes (a bound on what is read, not an RFC limit).
pub const MAX_URI_LEN: usize = 4096;

/// What the object is (`type`, RFC 7512 §2.3; CKA_CLASS of PKCS #11 v2.40 §4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectType {
    /// `public`: CKO_PUBLIC_KEY.
    Public,
    /// `private`: CKO_PRIVATE_KEY.
    Private,
    /// `cert`: CKO_CERTIFICATE.
    Cert,
    /// `secret-key`: CKO_SECRET_KEY.
    SecretKey,
    /// `data`: CKO_DATA.
    Data,
}

impl ObjectType {
    /// The URI spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Private => "private",
            Self::Cert => "cert",
            Self::SecretKey => "secret-key",
            Self::Data => "data",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "public" => Self::Public,
            "private" => Self::Private,
            "cert" => Self::Cert,
            "secret-key" => Self::SecretKey,
            "data" => Self::Data,
            _ => return None,
        })
    }
}

/// `library-version` (CK_VERSION of CK_INFO): `major[.minor]`, minor 0 when absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LibraryVersion {
    /// Major version.
    pub major: u8,
    /// Minor version.
    pub minor: u8,
}

/// A parsed PKCS #11 URI.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pkcs11Uri {
    /// `token`: the token label (CKA_LABEL of CK_TOKEN_INFO).
    pub token: Option<String>,
    /// `manufacturer`: the token's manufacturerID.
    pub manufacturer: Option<String>,
    /// `serial`: the token's serialNumber.
    pub serial: Option<String>,
    /// `model`: the token's model.
    pub model: Option<String>,
    /// `library-manufacturer`: CK_INFO manufacturerID.
    pub library_manufacturer: Option<String>,
    /// `library-description`: CK_INFO libraryDescription.
    pub library_description: Option<String>,
    /// `library-version`: CK_INFO libraryVersion.
    pub library_version: Option<LibraryVersion>,
    /// `object`: the object's CKA_LABEL.
    pub object: Option<String>,
    /// `type`: the object's class.
    pub object_type: Option<ObjectType>,
    /// `id`: the object's CKA_ID, bytes.
    pub id: Option<Vec<u8>>,
    /// `slot-description`: CK_SLOT_INFO slotDescription.
    pub slot_description: Option<String>,
    /// `slot-manufacturer`: CK_SLOT_INFO manufacturerID.
    pub slot_manufacturer: Option<String>,
    /// `slot-id`: CK_SLOT_ID.
    pub slot_id: Option<u64>,
    /// Path attributes RFC 7512 does not define (vendor-specific), in order.
    pub vendor_path: Vec<(String, String)>,
    /// `pin-source`: where the PIN is (e.g. `file:/etc/token.pin`).
    pub pin_source: Option<String>,
    /// `pin-value`: the PIN itself (never printed; the tools refuse it).
    pub pin_value: Option<SecretString>,
    /// `module-name`: the module's name without path or suffix.
    pub module_name: Option<String>,
    /// `module-path`: the module's absolute path.
    pub module_path: Option<String>,
    /// Query attributes RFC 7512 does not define, in order (ignored).
    pub vendor_query: Vec<(String, String)>,
}

/// Why a string is not a PKCS #11 URI.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UriError {
    /// Longer than [`MAX_URI_LEN`].
    #[error("the PKCS #11 URI is {len} bytes long (at most {MAX_URI_LEN})")]
    TooLong {
        /// Its length.
        len: usize,
    },
    /// Does not start with `pkcs11:`.
    #[error("not a PKCS #11 URI: it must start with \"pkcs11:\" (RFC 7512 §2.3)")]
    Scheme,
    /// An attribute without `=`, or with an empty name.
    #[error("attribute {attribute:?} at byte {offset} is not NAME=VALUE (RFC 7512 §2.3)")]
    NotAnAttribute {
        /// The text found.
        attribute: String,
        /// Its offset in the URI.
        offset: usize,
    },
    /// An attribute name with characters no attribute name has.
    #[error(
        "attribute name {name:?} at byte {offset}: only letters, digits, '-' and '_' (RFC 7512 §2.3)"
    )]
    BadName {
        /// The name found.
        name: String,
        /// Its offset in the URI.
        offset: usize,
    },
    /// A character that must be percent-encoded in this component.
    #[error(
        "character {character:?} at byte {offset} must be percent-encoded in the {component} \
         (RFC 7512 §2.3)"
    )]
    Unescaped {
        /// The character.
        character: char,
        /// Its offset in the URI.
        offset: usize,
        /// `path` or `query`.
        component: &'static str,
    },
    /// `%` not followed by two hexadecimal digits.
    #[error("bad percent-encoding at byte {offset}: '%' must be followed by two hex digits")]
    BadEscape {
        /// Offset of the `%`.
        offset: usize,
    },
    /// A text value that is not UTF-8 once decoded.
    #[error("the value of {name} is not UTF-8 text once percent-decoded (RFC 7512 §2.3)")]
    NotUtf8 {
        /// The attribute.
        name: String,
    },
    /// An attribute given twice.
    #[error("attribute {name} appears twice (RFC 7512 §2.3, §2.4: at most once)")]
    Duplicate {
        /// The attribute.
        name: String,
    },
    /// A value outside what the attribute allows.
    #[error("{name}={value:?}: {reason}")]
    BadValue {
        /// The attribute.
        name: &'static str,
        /// The value, decoded (never a PIN).
        value: String,
        /// What is allowed.
        reason: &'static str,
    },
    /// `pin-source` and `pin-value` together.
    #[error("pin-source and pin-value exclude each other (RFC 7512 §2.4)")]
    ConflictingPin,
}

impl Pkcs11Uri {
    /// Parses a PKCS #11 URI.
    pub fn parse(text: &str) -> Result<Self, UriError> {
        if text.len() > MAX_URI_LEN {
            return Err(UriError::TooLong { len: text.len() });
        }
        let scheme = text.get(..7).filter(|s| s.eq_ignore_ascii_case("pkcs11:"));
        if scheme.is_none() {
            return Err(UriError::Scheme);
        }
        let rest = text.get(7..).unwrap_or_default();
        let (path, query) = match rest.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (rest, None),
        };
        let mut uri = Self::default();
        for (name, raw, offset) in attributes(path, ';', 7)? {
            uri.path_attribute(name, raw, offset)?;
        }
        if let Some(query) = query {
            let start = 7 + path.len() + 1;
            for (name, raw, offset) in attributes(query, '&', start)? {
                uri.query_attribute(name, raw, offset)?;
            }
        }
        if uri.pin_source.is_some() && uri.pin_value.is_some() {
            return Err(UriError::ConflictingPin);
        }
        Ok(uri)
    }

    /// The first path attribute this consumer does not recognize: while there is one, the URI
    /// matches no object (RFC 7512 §2.5).
    pub fn unrecognized(&self) -> Option<&str> {
        self.vendor_path.first().map(|(n, _)| n.as_str())
    }

    fn path_attribute(&mut self, name: &str, raw: &str, offset: usize) -> Result<(), UriError> {
        check_chars(raw, offset, Component::Path)?;
        let text = || decode_text(name, raw, offset);
        let dup = || UriError::Duplicate {
            name: name.to_owned(),
        };
        match name {
            "token" => set(&mut self.token, text()?).ok_or_else(dup),
            "manufacturer" => set(&mut self.manufacturer, text()?).ok_or_else(dup),
            "serial" => set(&mut self.serial, text()?).ok_or_else(dup),
            "model" => set(&mut self.model, text()?).ok_or_else(dup),
            "library-manufacturer" => set(&mut self.library_manufacturer, text()?).ok_or_else(dup),
            "library-description" => set(&mut self.library_description, text()?).ok_or_else(dup),
            "object" => set(&mut self.object, text()?).ok_or_else(dup),
            "slot-description" => set(&mut self.slot_description, text()?).ok_or_else(dup),
            "slot-manufacturer" => set(&mut self.slot_manufacturer, text()?).ok_or_else(dup),
            "id" => set(&mut self.id, decode(raw, offset)?).ok_or_else(dup),
            "type" => {
                let value = text()?;
                let t = ObjectType::parse(&value).ok_or(UriError::BadValue {
                    name: "type",
                    value,
                    reason: "must be public, private, cert, secret-key or data",
                })?;
                set(&mut self.object_type, t).ok_or_else(dup)
            }
            "slot-id" => {
                let value = text()?;
                let id = decimal(&value).ok_or(UriError::BadValue {
                    name: "slot-id",
                    value,
                    reason: "must be a decimal number (CK_SLOT_ID)",
                })?;
                set(&mut self.slot_id, id).ok_or_else(dup)
            }
            "library-version" => {
                let value = text()?;
                let v = library_version(&value).ok_or(UriError::BadValue {
                    name: "library-version",
                    value,
                    reason: "must be MAJOR[.MINOR], each 0-255",
                })?;
                set(&mut self.library_version, v).ok_or_else(dup)
            }
            _ => {
                if self.vendor_path.iter().any(|(n, _)| n == name) {
                    return Err(dup());
                }
                self.vendor_path.push((name.to_owned(), text()?));
                Ok(())
            }
        }
    }

    fn query_attribute(&mut self, name: &str, raw: &str, offset: usize) -> Result<(), UriError> {
        check_chars(raw, offset, Component::Query)?;
        let text = || decode_text(name, raw, offset);
        let dup = || UriError::Duplicate {
            name: name.to_owned(),
        };
        match name {
            "pin-source" => set(&mut self.pin_source, text()?).ok_or_else(dup),
            "pin-value" => {
                let pin = SecretString::new(text()?);
                set(&mut self.pin_value, pin).ok_or_else(dup)
            }
            "module-name" => set(&mut self.module_name, text()?).ok_or_else(dup),
            "module-path" => {
                let value = text()?;
                if !value.starts_with('/') {
                    return Err(UriError::BadValue {
                        name: "module-path",
                        value,
                        reason: "must be an absolute path (RFC 7512 §2.4)",
                    });
                }
                set(&mut self.module_path, value).ok_or_else(dup)
            }
            _ => {
                self.vendor_query.push((name.to_owned(), text()?));
                Ok(())
            }
        }
    }
}

/// `Some(())` when `slot` was empty and now holds `value`; `None` when it held one already.
fn set<T>(slot: &mut Option<T>, value: T) -> Option<()> {
    if slot.is_some() {
        return None;
    }
    *slot = Some(value);
    Some(())
}

/// Splits a component into `(name, raw value, offset of the value)`.
fn attributes(
    component: &str,
    separator: char,
    start: usize,
) -> Result<Vec<(&str, &str, usize)>, UriError> {
    let mut out = Vec::new();
    if component.is_empty() {
        return Ok(out);
    }
    let mut offset = start;
    for part in component.split(separator) {
        let Some((name, value)) = part.split_once('=').filter(|(n, _)| !n.is_empty()) else {
            return Err(UriError::NotAnAttribute {
                attribute: part.chars().take(64).collect(),
                offset,
            });
        };
        if !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(UriError::BadName {
                name: name.chars().take(64).collect(),
                offset,
            });
        }
        out.push((name, value, offset + name.len() + 1));
        offset += part.len() + 1;
    }
    Ok(out)
}

#[derive(Clone, Copy)]
enum Component {
    Path,
    Query,
}

/// RFC 7512 §2.3: `pk11-pchar`, `pk11-qchar`.
fn check_chars(raw: &str, offset: usize, component: Component) -> Result<(), UriError> {
    for (i, c) in raw.char_indices() {
        let allowed = c.is_ascii_alphanumeric()
            || "-._~:[]@!$'()*+,=%".contains(c)
            || match component {
                Component::Path => c == '&',
                Component::Query => "/?|".contains(c),
            };
        if !allowed {
            return Err(UriError::Unescaped {
                character: c,
                offset: offset + i,
                component: match component {
                    Component::Path => "path",
                    Component::Query => "query",
                },
            });
        }
    }
    Ok(())
}

/// Percent-decodes `raw` (RFC 3986 §2.1).
fn decode(raw: &str, offset: usize) -> Result<Vec<u8>, UriError> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b != b'%' {
            out.push(b);
            i += 1;
            continue;
        }
        let hex = |j: usize| bytes.get(j).and_then(|h| (*h as char).to_digit(16));
        let (Some(hi), Some(lo)) = (hex(i + 1), hex(i + 2)) else {
            return Err(UriError::BadEscape { offset: offset + i });
        };
        out.push(u8::try_from(hi * 16 + lo).unwrap_or(0));
        i += 3;
    }
    Ok(out)
}

fn decode_text(name: &str, raw: &str, offset: usize) -> Result<String, UriError> {
    String::from_utf8(decode(raw, offset)?).map_err(|_| UriError::NotUtf8 {
        name: name.to_owned(),
    })
}

fn decimal(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn library_version(s: &str) -> Option<LibraryVersion> {
    let (major, minor) = match s.split_once('.') {
        Some((a, b)) => (a, Some(b)),
        None => (s, None),
    };
    let byte = |t: &str| decimal(t).and_then(|n| u8::try_from(n).ok());
    Some(LibraryVersion {
        major: byte(major)?,
        minor: match minor {
            Some(m) => byte(m)?,
            None => 0,
        },
    })
}

/// Percent-encodes `bytes` for `component`: what the component allows stays, the rest is
/// `%XX` (upper case, RFC 3986 §2.1).
fn encode(bytes: &[u8], component: Component, out: &mut String) {
    for &b in bytes {
        let c = b as char;
        let keep = c.is_ascii_alphanumeric()
            || "-._~:[]@!$'()*+,".contains(c)
            || (matches!(component, Component::Query) && c == '/');
        if keep {
            out.push(c);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

/// The URI in RFC 7512 form (attributes in the RFC's order, values percent-encoded); a
/// `pin-value` is left out, so the text can be shown and logged.
impl fmt::Display for Pkcs11Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut path: Vec<(String, Vec<u8>)> = Vec::new();
        let mut push = |name: &str, value: Option<&[u8]>| {
            if let Some(v) = value {
                path.push((name.to_owned(), v.to_vec()));
            }
        };
        push("token", self.token.as_deref().map(str::as_bytes));
        push(
            "manufacturer",
            self.manufacturer.as_deref().map(str::as_bytes),
        );
        push("serial", self.serial.as_deref().map(str::as_bytes));
        push("model", self.model.as_deref().map(str::as_bytes));
        push(
            "library-manufacturer",
            self.library_manufacturer.as_deref().map(str::as_bytes),
        );
        push(
            "library-description",
            self.library_description.as_deref().map(str::as_bytes),
        );
        let version = self
            .library_version
            .map(|v| format!("{}.{}", v.major, v.minor));
        push("library-version", version.as_deref().map(str::as_bytes));
        push("object", self.object.as_deref().map(str::as_bytes));
        push(
            "type",
            self.object_type.map(ObjectType::as_str).map(str::as_bytes),
        );
        push("id", self.id.as_deref());
        push(
            "slot-description",
            self.slot_description.as_deref().map(str::as_bytes),
        );
        push(
            "slot-manufacturer",
            self.slot_manufacturer.as_deref().map(str::as_bytes),
        );
        let slot = self.slot_id.map(|s| s.to_string());
        push("slot-id", slot.as_deref().map(str::as_bytes));
        for (n, v) in &self.vendor_path {
            push(n, Some(v.as_bytes()));
        }
        let mut query: Vec<(&str, &str)> = Vec::new();
        if let Some(s) = &self.pin_source {
            query.push(("pin-source", s));
        }
        if let Some(s) = &self.module_name {
            query.push(("module-name", s));
        }
        if let Some(s) = &self.module_path {
            query.push(("module-path", s));
        }
        for (n, v) in &self.vendor_query {
            query.push((n, v));
        }
        let mut out = String::from("pkcs11:");
        for (i, (name, value)) in path.iter().enumerate() {
            if i > 0 {
                out.push(';');
            }
            out.push_str(name);
            out.push('=');
            encode(value, Component::Path, &mut out);
        }
        for (i, (name, value)) in query.iter().enumerate() {
            out.push(if i == 0 { '?' } else { '&' });
            out.push_str(name);
            out.push('=');
            encode(value.as_bytes(), Component::Query, &mut out);
        }
        f.write_str(&out)
    }
}

impl std::str::FromStr for Pkcs11Uri {
    type Err = UriError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The examples of RFC 7512 §3, each on one line (the RFC wraps them for print).
    const RFC_EXAMPLES: &[&str] = &[
        "pkcs11:",
        "pkcs11:object=my-pubkey;type=public",
        "pkcs11:object=my-key;type=private?pin-source=file:/etc/token",
        "pkcs11:token=The%20Software%20PKCS%2311%20Softtoken;manufacturer=Snake%20Oil,%20Inc.;\
         model=1.0;object=my-certificate;type=cert;id=%69%95%3E%5C%F4%BD%EC%91;serial=\
         ?pin-source=file:/etc/token_pin",
        "pkcs11:object=my-sign-key;type=private?module-name=mypkcs11",
        "pkcs11:object=my-sign-key;type=private?module-path=/mnt/libmypkcs11.so.1",
        "pkcs11:token=Software%20PKCS%2311%20softtoken;manufacturer=Snake%20Oil,%20Inc.\
         ?pin-value=the-pin",
        "pkcs11:slot-description=Sun%20Metaslot",
        "pkcs11:library-manufacturer=Snake%20Oil,%20Inc.;library-description=Soft%20Token%20Library;\
         library-version=1.23",
        "pkcs11:token=My%20token%25%20created%20by%20Joe;library-version=3;\
         id=%01%02%03%Ba%dd%Ca%fe%04%05%06",
        "pkcs11:token=A%20name%20with%20a%20substring%20%25%3B;object=my-certificate;type=cert",
        "pkcs11:token=Name%20with%20a%20small%20A%20with%20acute:%20%C3%A1;object=my-certificate;\
         type=cert",
        "pkcs11:token=my-token;object=my-certificate;type=cert;vendor-aaa=value-a\
         ?pin-source=file:/etc/token_pin&vendor-bbb=value-b",
    ];

    #[test]
    fn every_example_of_rfc_7512_parses() {
        for uri in RFC_EXAMPLES {
            let parsed = Pkcs11Uri::parse(uri).unwrap_or_else(|e| panic!("{uri}: {e}"));
            // What we print parses back to the same URI.
            assert_eq!(
                Pkcs11Uri::parse(&parsed.to_string()).map(|mut p| {
                    p.pin_value = parsed.pin_value.clone();
                    p
                }),
                Ok(parsed.clone()),
                "{uri}"
            );
        }
    }

    #[test]
    fn values_are_percent_decoded() {
        let u = Pkcs11Uri::parse(RFC_EXAMPLES[3]).unwrap();
        assert_eq!(u.token.as_deref(), Some("The Software PKCS#11 Softtoken"));
        assert_eq!(u.manufacturer.as_deref(), Some("Snake Oil, Inc."));
        assert_eq!(u.model.as_deref(), Some("1.0"));
        assert_eq!(u.object.as_deref(), Some("my-certificate"));
        assert_eq!(u.object_type, Some(ObjectType::Cert));
        assert_eq!(
            u.id.as_deref(),
            Some(&[0x69, 0x95, 0x3E, 0x5C, 0xF4, 0xBD, 0xEC, 0x91][..])
        );
        assert_eq!(u.serial.as_deref(), Some(""));
        assert_eq!(u.pin_source.as_deref(), Some("file:/etc/token_pin"));

        let joe = Pkcs11Uri::parse(RFC_EXAMPLES[9]).unwrap();
        assert_eq!(joe.token.as_deref(), Some("My token% created by Joe"));
        assert_eq!(
            joe.library_version,
            Some(LibraryVersion { major: 3, minor: 0 })
        );
        assert_eq!(
            joe.id.as_deref(),
            Some(&[1, 2, 3, 0xBA, 0xDD, 0xCA, 0xFE, 4, 5, 6][..])
        );
        let lib = Pkcs11Uri::parse(RFC_EXAMPLES[8]).unwrap();
        assert_eq!(
            lib.library_version,
            Some(LibraryVersion {
                major: 1,
                minor: 23
            })
        );
        assert_eq!(
            Pkcs11Uri::parse(RFC_EXAMPLES[10]).unwrap().token.as_deref(),
            Some("A name with a substring %;")
        );
        assert_eq!(
            Pkcs11Uri::parse(RFC_EXAMPLES[11]).unwrap().token.as_deref(),
            Some("Name with a small A with acute: á")
        );
        assert_eq!(
            Pkcs11Uri::parse(RFC_EXAMPLES[5])
                .unwrap()
                .module_path
                .as_deref(),
            Some("/mnt/libmypkcs11.so.1")
        );
    }

    #[test]
    fn vendor_attributes_are_kept_and_make_the_path_match_nothing() {
        let u = Pkcs11Uri::parse(RFC_EXAMPLES[12]).unwrap();
        assert_eq!(u.vendor_path, [("vendor-aaa".into(), "value-a".into())]);
        assert_eq!(u.vendor_query, [("vendor-bbb".into(), "value-b".into())]);
        assert_eq!(u.unrecognized(), Some("vendor-aaa"));
        let plain = Pkcs11Uri::parse("pkcs11:token=t;object=o?x-note=ignored").unwrap();
        assert_eq!(plain.unrecognized(), None);
    }

    #[test]
    fn a_pin_value_is_held_but_never_printed() {
        let u = Pkcs11Uri::parse(RFC_EXAMPLES[6]).unwrap();
        assert_eq!(
            u.pin_value.as_ref().map(SecretString::expose),
            Some("the-pin")
        );
        assert!(!format!("{u:?}").contains("the-pin"));
        assert!(!u.to_string().contains("the-pin"));
    }

    #[test]
    fn what_the_rfc_refuses_is_refused() {
        let err = |s: &str| Pkcs11Uri::parse(s).unwrap_err();
        assert_eq!(err("pkcs12:token=a"), UriError::Scheme);
        assert_eq!(err("token=a"), UriError::Scheme);
        assert!(
            matches!(err("pkcs11:token=a;token=b"), UriError::Duplicate { name } if name == "token")
        );
        assert!(matches!(
            err("pkcs11:x-a=1;x-a=2"),
            UriError::Duplicate { .. }
        ));
        assert!(matches!(
            err("pkcs11:?module-path=/a&module-path=/b"),
            UriError::Duplicate { .. }
        ));
        assert_eq!(
            err("pkcs11:?pin-source=file:/p&pin-value=1"),
            UriError::ConflictingPin
        );
        assert!(matches!(
            err("pkcs11:?module-path=lib/x.so"),
            UriError::BadValue {
                name: "module-path",
                ..
            }
        ));
        assert!(matches!(
            err("pkcs11:type=keypair"),
            UriError::BadValue { name: "type", .. }
        ));
        assert!(matches!(
            err("pkcs11:slot-id=1a"),
            UriError::BadValue {
                name: "slot-id",
                ..
            }
        ));
        assert!(matches!(
            err("pkcs11:slot-id=-1"),
            UriError::BadValue { .. }
        ));
        assert!(matches!(
            err("pkcs11:slot-id=99999999999999999999999"),
            UriError::BadValue { .. }
        ));
        assert!(matches!(
            err("pkcs11:library-version=.5"),
            UriError::BadValue { .. }
        ));
        assert!(matches!(
            err("pkcs11:library-version=1.256"),
            UriError::BadValue { .. }
        ));
        assert_eq!(err("pkcs11:token=%4"), UriError::BadEscape { offset: 13 });
        assert_eq!(err("pkcs11:token=%zz"), UriError::BadEscape { offset: 13 });
        assert!(matches!(
            err("pkcs11:token=%FF%FE"),
            UriError::NotUtf8 { .. }
        ));
        assert!(matches!(
            err("pkcs11:token=a/b"),
            UriError::Unescaped {
                character: '/',
                offset: 14,
                component: "path"
            }
        ));
        assert!(matches!(
            err("pkcs11:token=a b"),
            UriError::Unescaped { .. }
        ));
        assert!(matches!(
            err("pkcs11:token=a#b"),
            UriError::Unescaped { .. }
        ));
        assert!(matches!(
            err("pkcs11:token"),
            UriError::NotAnAttribute { .. }
        ));
        assert!(matches!(
            err("pkcs11:token=a;"),
            UriError::NotAnAttribute { .. }
        ));
        assert!(matches!(err("pkcs11:;"), UriError::NotAnAttribute { .. }));
        assert!(matches!(err("pkcs11:=a"), UriError::NotAnAttribute { .. }));
        assert!(matches!(err("pkcs11:to ken=a"), UriError::BadName { .. }));
        let long = format!("pkcs11:token={}", "a".repeat(MAX_URI_LEN));
        assert!(matches!(err(&long), UriError::TooLong { .. }));
    }

    #[test]
    fn component_rules_for_reserved_characters() {
        let u = Pkcs11Uri::parse("pkcs11:token=a:b[c]d@e!f$g'h(i)j*k+l,m=n&o").unwrap();
        assert_eq!(u.token.as_deref(), Some("a:b[c]d@e!f$g'h(i)j*k+l,m=n&o"));
        let q = Pkcs11Uri::parse("pkcs11:?module-path=/a?b|c").unwrap();
        assert_eq!(q.module_path.as_deref(), Some("/a?b|c"));
        assert_eq!(
            Pkcs11Uri::parse("PKCS11:object=k")
                .unwrap()
                .object
                .as_deref(),
            Some("k")
        );
        // Printing encodes what the component does not allow.
        let odd = Pkcs11Uri {
            token: Some("a/b c#d;e".into()),
            id: Some(vec![0x01, 0xFE]),
            ..Pkcs11Uri::default()
        };
        assert_eq!(odd.to_string(), "pkcs11:token=a%2Fb%20c%23d%3Be;id=%01%FE");
        assert_eq!(Pkcs11Uri::parse(&odd.to_string()).unwrap(), odd);
    }
}
