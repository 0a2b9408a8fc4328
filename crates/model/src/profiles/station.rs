//! The `stations` profile kind (ARCHITECTURE.md §5): one TOML file per enrollment station,
//! saying which document types it issues and which devices it drives — camera, fingerprint
//! scanner, signature pad and card reader, each as a device selector with the profile id that
//! describes it — plus the chip and quality profiles, the station's identity and its journal.
//!
//! The station id is what the station writes as the personalization system's serial number
//! (DG12 tag `5F56`, ICAO Doc 9303-10 §4.7.12) and into every journal entry.
//!
//! [`Profile::validate`] checks what one file can check (selector syntax, ranges, the id's
//! characters); [`crate::profiles::Registry::check`] checks that the profiles it names exist
//! and that each selector suits its device profile. Reader and chip profile kinds are not in
//! the registry yet: their ids are kept as strings and checked only for form.

pub mod web;

use serde::Deserialize;

use super::{FieldProblem, Profile};
use crate::selector::{CameraSelector, PadSelector, ScannerSelector};
pub use web::{ApiToken, OperatorAccount, Role, WebSection};

/// An enrollment station.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StationProfile {
    /// Profile id, equal to the file stem.
    pub id: String,
    /// Human-readable name.
    pub name: String,
    /// Identity of the station: DG12 `5F56` (personalization system serial number) and the
    /// journal's station field. Printable ASCII, 1–32 characters.
    pub station_id: String,
    /// Document profile ids this station issues (the first is the default).
    pub documents: Vec<String>,
    /// Portrait quality profile id (kind `quality`).
    pub quality_profile: String,
    /// Path of the SQLite enrollment journal (relative paths are relative to the working
    /// directory of the station process).
    pub journal: String,
    /// The camera.
    pub camera: DeviceSlot,
    /// The fingerprint scanner.
    pub scanner: DeviceSlot,
    /// The signature pad.
    pub signature_pad: DeviceSlot,
    /// The contactless card reader.
    pub card_reader: DeviceSlot,
    /// The chip the station writes.
    pub chip: ChipSlot,
    /// The Document Signer key on a hardware token that signs EF.SOD; without this section the
    /// station signs with the files of its `--pki` folder.
    #[serde(default)]
    pub document_signer: Option<DocumentSignerSlot>,
    /// The web server's API tokens and operator accounts (`permitkit station serve`).
    #[serde(default)]
    pub web: WebSection,
    /// The central bureau this station hands its applications to (`enroll` then seals each
    /// package to it instead of personalizing a card here); without it the station
    /// personalizes its own cards.
    #[serde(default)]
    pub bureau: Option<BureauSlot>,
    /// Where the values come from.
    #[serde(default)]
    pub sources: Vec<String>,
    /// Fields whose values are placeholders or not confirmed.
    #[serde(default)]
    pub unverified: Vec<String>,
}

/// One device of the station.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceSlot {
    /// Device selector (`sim`, `v4l:…`, `libfprint:0`, `evdev:…`, `pcsc:<glob>`).
    pub selector: String,
    /// Profile id of the device (its kind follows from the slot).
    #[serde(default)]
    pub profile: Option<String>,
    /// How long a capture or card wait may take, seconds.
    pub timeout_seconds: f64,
}

/// The chip the station personalizes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChipSlot {
    /// Chip profile id (kind `chips`).
    pub profile: String,
}

/// The station's Document Signer on a PKCS #11 token (ICAO Doc 9303-12 §4.1: the key stays in
/// the token; RFC 7512 names it), with its certificate, the PIN source, the signing policy and
/// the audit of every signature.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentSignerSlot {
    /// The PKCS #11 module (shared library); default: the URI's `module-path`.
    #[serde(default)]
    pub module: Option<String>,
    /// The private key, as an RFC 7512 URI (`pkcs11:token=…;object=…`).
    pub key_uri: String,
    /// A file holding the token's user PIN (its first line), mode 0600 or stricter.
    #[serde(default)]
    pub pin_file: Option<String>,
    /// An environment variable holding the token's user PIN.
    #[serde(default)]
    pub pin_env: Option<String>,
    /// The Document Signer certificate (PEM) the CSCA issued for the key.
    pub certificate: String,
    /// How many documents the key may sign in all (ICAO 9303-12 leaves the number to the
    /// issuer; 100 000 when not given).
    #[serde(default)]
    pub max_documents: Option<u64>,
    /// The append-only audit of every EF.SOD signature (JSON lines).
    pub audit_log: String,
    /// The station's audit key (32 bytes, created mode 0600 when missing) under which the
    /// audit keys document numbers with HMAC-SHA256.
    pub audit_key: String,
}

impl DocumentSignerSlot {
    /// The document cap when the profile gives none.
    pub const DEFAULT_MAX_DOCUMENTS: u64 = 100_000;

    /// Checks what the section can check by itself; problems name `document_signer.<field>`.
    pub fn validate(&self) -> Vec<FieldProblem> {
        let mut out = Vec::new();
        let field = |f: &str| format!("document_signer.{f}");
        let path_ok = |p: &str| !p.trim().is_empty() && !p.chars().any(char::is_control);
        let uri = match crate::pkcs11_uri::Pkcs11Uri::parse(&self.key_uri) {
            Ok(uri) => Some(uri),
            Err(e) => {
                out.push(FieldProblem::new(field("key_uri"), e.to_string()));
                None
            }
        };
        if let Some(uri) = &uri {
            if uri.pin_value.is_some() {
                out.push(FieldProblem::new(
                    field("key_uri"),
                    "carries pin-value: a PIN never goes into a URI; use pin_file or pin_env",
                ));
            }
            if uri.object.is_none() && uri.id.is_none() {
                out.push(FieldProblem::new(
                    field("key_uri"),
                    "names no key: give object=LABEL or id=%XX",
                ));
            }
            if let Some(name) = uri.unrecognized() {
                out.push(FieldProblem::new(
                    field("key_uri"),
                    format!(
                        "path attribute {name:?} is not one of RFC 7512 and would match no key"
                    ),
                ));
            }
        }
        match &self.module {
            Some(m) if !m.starts_with('/') || !path_ok(m) => out.push(FieldProblem::new(
                field("module"),
                "must be the absolute path of the PKCS #11 module",
            )),
            None if uri.as_ref().is_some_and(|u| u.module_path.is_none()) => {
                out.push(FieldProblem::new(
                    field("module"),
                    "name the PKCS #11 module (or put module-path into key_uri)",
                ));
            }
            _ => {}
        }
        match (&self.pin_file, &self.pin_env) {
            (Some(_), Some(_)) => out.push(FieldProblem::new(
                field("pin_file"),
                "give pin_file or pin_env, not both",
            )),
            (None, None) => out.push(FieldProblem::new(
                field("pin_file"),
                "give pin_file or pin_env: the station cannot prompt for the PIN",
            )),
            (Some(p), None) if !path_ok(p) => out.push(FieldProblem::new(
                field("pin_file"),
                "must be a path without control characters",
            )),
            (None, Some(v))
                if v.is_empty() || !v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') =>
            {
                out.push(FieldProblem::new(
                    field("pin_env"),
                    "must be an environment variable name (letters, digits, '_')",
                ));
            }
            _ => {}
        }
        for (name, value) in [
            ("certificate", &self.certificate),
            ("audit_log", &self.audit_log),
            ("audit_key", &self.audit_key),
        ] {
            if !path_ok(value) {
                out.push(FieldProblem::new(
                    field(name),
                    "must be a path without control characters",
                ));
            }
        }
        if self.max_documents == Some(0) {
            out.push(FieldProblem::new(
                field("max_documents"),
                "must be at least 1",
            ));
        }
        out
    }

    /// The document cap.
    pub fn max_documents(&self) -> u64 {
        self.max_documents.unwrap_or(Self::DEFAULT_MAX_DOCUMENTS)
    }
}

/// `[bureau]`: the central issuance bureau (issue 16) the station submits application
/// packages to, with signed requests.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BureauSlot {
    /// The bureau's base URL (`http://host:port`; requests are signed and packages sealed,
    /// so the transport carries no readable personal data).
    pub url: String,
    /// The name the bureau registered this station under (default: `station_id`).
    #[serde(default)]
    pub name: Option<String>,
    /// The station's P-256 private key file (PEM, mode 0600; `permitkit issuance keygen`).
    pub key: String,
    /// The bureau's key-agreement certificate (PEM or DER) that packages are sealed to.
    pub certificate: String,
}

impl BureauSlot {
    /// Checks what the section can check by itself; problems name `bureau.<field>`.
    pub fn validate(&self) -> Vec<FieldProblem> {
        let mut out = Vec::new();
        if let Err(reason) = check_bureau_url(&self.url) {
            out.push(FieldProblem::new("bureau.url", reason));
        }
        if let Some(name) = &self.name
            && (name.is_empty() || name.len() > 64 || !name.bytes().all(|b| b.is_ascii_graphic()))
        {
            out.push(FieldProblem::new(
                "bureau.name",
                "must be 1 to 64 printable ASCII characters without spaces",
            ));
        }
        for (field, value) in [
            ("bureau.key", &self.key),
            ("bureau.certificate", &self.certificate),
        ] {
            if value.trim().is_empty() || value.chars().any(char::is_control) {
                out.push(FieldProblem::new(
                    field,
                    "must be a path without control characters",
                ));
            }
        }
        out
    }
}

/// A bureau base URL: `http://host[:port]` with nothing after an optional `/` (the client
/// speaks plain HTTP: requests are signed, packages sealed end to end).
pub fn check_bureau_url(url: &str) -> Result<(), String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or("must start with http:// (e.g. http://bureau.example:8443)")?;
    let host = rest.strip_suffix('/').unwrap_or(rest);
    if host.is_empty()
        || !host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:[]_".contains(&b))
    {
        return Err("must be http://host[:port] with no path".into());
    }
    Ok(())
}

/// Which device a slot holds, for selector checks and messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotKind {
    /// `camera`.
    Camera,
    /// `scanner`.
    Scanner,
    /// `signature_pad`.
    SignaturePad,
    /// `card_reader`.
    CardReader,
}

impl SlotKind {
    /// The table name in the TOML file.
    pub fn field(self) -> &'static str {
        match self {
            SlotKind::Camera => "camera",
            SlotKind::Scanner => "scanner",
            SlotKind::SignaturePad => "signature_pad",
            SlotKind::CardReader => "card_reader",
        }
    }

    /// Checks a selector for this kind of device; `sim` is the simulated device of any kind.
    pub fn check_selector(self, selector: &str) -> Result<(), String> {
        if selector == "sim" {
            return Ok(());
        }
        match self {
            SlotKind::Camera => selector
                .parse::<CameraSelector>()
                .map(|_| ())
                .map_err(|e| e.to_string()),
            SlotKind::Scanner => selector
                .parse::<ScannerSelector>()
                .map(|_| ())
                .map_err(|e| e.to_string()),
            SlotKind::SignaturePad => selector
                .parse::<PadSelector>()
                .map(|_| ())
                .map_err(|e| e.to_string()),
            SlotKind::CardReader => match selector.strip_prefix("pcsc:") {
                Some(glob) if !glob.trim().is_empty() && !glob.chars().any(char::is_control) => {
                    Ok(())
                }
                Some(_) => Err("give a reader name glob, e.g. pcsc:HID Global OMNIKEY*".into()),
                None => Err("expected sim or pcsc:<reader name glob>".into()),
            },
        }
    }
}

impl StationProfile {
    /// The four device slots with their kinds.
    pub fn slots(&self) -> [(SlotKind, &DeviceSlot); 4] {
        [
            (SlotKind::Camera, &self.camera),
            (SlotKind::Scanner, &self.scanner),
            (SlotKind::SignaturePad, &self.signature_pad),
            (SlotKind::CardReader, &self.card_reader),
        ]
    }

    /// The document profile issued when none is named.
    pub fn default_document(&self) -> Option<&str> {
        self.documents.first().map(String::as_str)
    }
}

/// Whether `id` looks like a profile id (kebab-case ASCII).
fn is_profile_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !id.starts_with('-')
        && !id.ends_with('-')
}

impl Profile for StationProfile {
    const KIND: &'static str = "stations";

    fn id(&self) -> &str {
        &self.id
    }

    fn validate(&self) -> Vec<FieldProblem> {
        let mut out = Vec::new();
        if self.name.trim().is_empty() {
            out.push(FieldProblem::new("name", "must not be empty"));
        }
        let sid = &self.station_id;
        if sid.is_empty()
            || sid.len() > 32
            || !sid.bytes().all(|b| b.is_ascii_graphic() || b == b' ')
        {
            out.push(FieldProblem::new(
                "station_id",
                "must be 1 to 32 printable ASCII characters (it is written to DG12 5F56)",
            ));
        }
        if self.documents.is_empty() {
            out.push(FieldProblem::new(
                "documents",
                "the station must issue at least one document type",
            ));
        }
        for (i, d) in self.documents.iter().enumerate() {
            if !is_profile_id(d) {
                out.push(FieldProblem::new(
                    format!("documents[{i}]"),
                    "not a profile id (kebab-case)",
                ));
            }
            if self
                .documents
                .get(..i)
                .is_some_and(|before| before.contains(d))
            {
                out.push(FieldProblem::new(format!("documents[{i}]"), "listed twice"));
            }
        }
        if !is_profile_id(&self.quality_profile) {
            out.push(FieldProblem::new(
                "quality_profile",
                "not a profile id (kebab-case)",
            ));
        }
        if self.journal.trim().is_empty() || self.journal.chars().any(char::is_control) {
            out.push(FieldProblem::new(
                "journal",
                "must be a path without control characters",
            ));
        }
        for (kind, slot) in self.slots() {
            let field = kind.field();
            if let Err(reason) = kind.check_selector(&slot.selector) {
                out.push(FieldProblem::new(format!("{field}.selector"), reason));
            }
            if let Some(p) = &slot.profile
                && !is_profile_id(p)
            {
                out.push(FieldProblem::new(
                    format!("{field}.profile"),
                    "not a profile id (kebab-case)",
                ));
            }
            if !(slot.timeout_seconds > 0.0 && slot.timeout_seconds <= 600.0) {
                out.push(FieldProblem::new(
                    format!("{field}.timeout_seconds"),
                    "must be in (0, 600]",
                ));
            }
        }
        if !is_profile_id(&self.chip.profile) {
            out.push(FieldProblem::new(
                "chip.profile",
                "not a profile id (kebab-case)",
            ));
        }
        if let Some(ds) = &self.document_signer {
            out.extend(ds.validate());
        }
        out.extend(self.web.validate());
        if let Some(bureau) = &self.bureau {
            out.extend(bureau.validate());
            if self.web.review_before_card {
                out.push(FieldProblem::new(
                    "web.review_before_card",
                    "the station hands its applications to the central bureau ([bureau]): no \
                     card is written here to review",
                ));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profiles::{builtin, parse};

    const SIMULATED: &str = include_str!("../../../../hardware-profiles/stations/simulated.toml");

    #[test]
    fn the_simulated_station_simulates_every_device() {
        let s = builtin::load::<StationProfile>("simulated").unwrap();
        for (kind, slot) in s.slots() {
            assert!(
                slot.selector == "sim" || slot.selector.starts_with("sim:"),
                "{}: {}",
                kind.field(),
                slot.selector
            );
        }
        assert!(s.default_document().is_some());
    }

    #[test]
    fn selectors_are_checked_per_device() {
        assert!(SlotKind::CardReader.check_selector("pcsc:OMNIKEY*").is_ok());
        assert!(SlotKind::CardReader.check_selector("pcsc:").is_err());
        assert!(SlotKind::CardReader.check_selector("v4l:0").is_err());
        assert!(SlotKind::Camera.check_selector("v4l:0").is_ok());
        assert!(SlotKind::Camera.check_selector("libfprint:0").is_err());
        assert!(SlotKind::Scanner.check_selector("libfprint:0").is_ok());
        assert!(
            SlotKind::SignaturePad
                .check_selector("evdev:Wacom One by Wacom S Pen")
                .is_ok()
        );
        assert!(
            SlotKind::SignaturePad
                .check_selector("libfprint:0")
                .is_err()
        );
        let e = parse::<StationProfile>(
            "simulated.toml",
            &SIMULATED.replacen("selector = \"sim\"", "selector = \"usb:1\"", 1),
        )
        .unwrap_err();
        assert_eq!(e.field, "camera.selector", "{e}");
    }

    #[test]
    fn a_bureau_section_is_checked_field_by_field() {
        let section = "\n[bureau]\nurl = \"http://127.0.0.1:8443\"\nkey = \"station.key\"\n\
            certificate = \"bureau.pem\"\n";
        let good =
            parse::<StationProfile>("simulated.toml", &format!("{SIMULATED}{section}")).unwrap();
        let bureau = good.bureau.unwrap();
        assert_eq!(bureau.url, "http://127.0.0.1:8443");
        assert_eq!(bureau.name, None);
        for (from, to, field) in [
            ("http://127.0.0.1:8443", "https://b:8443", "bureau.url"),
            ("http://127.0.0.1:8443", "http://b/v1/x", "bureau.url"),
            ("key = \"station.key\"", "key = \" \"", "bureau.key"),
            (
                "certificate = \"bureau.pem\"",
                "certificate = \"a\\tb\"",
                "bureau.certificate",
            ),
            (
                "key = \"station.key\"",
                "key = \"k\"\nname = \"a b\"",
                "bureau.name",
            ),
        ] {
            let e = parse::<StationProfile>(
                "simulated.toml",
                &format!("{SIMULATED}{}", section.replace(from, to)),
            )
            .unwrap_err();
            assert_eq!(e.field, field, "{from} -> {to}: {e}");
        }
        assert!(check_bureau_url("http://bureau.example/").is_ok());
    }

    #[test]
    fn a_review_before_the_card_is_for_a_station_that_writes_cards() {
        let web = "\n[web]\nreview_before_card = true\n";
        let s = parse::<StationProfile>("simulated.toml", &format!("{SIMULATED}{web}")).unwrap();
        assert!(s.web.review_before_card);
        assert!(
            !parse::<StationProfile>("simulated.toml", SIMULATED)
                .unwrap()
                .web
                .review_before_card,
            "off unless asked"
        );
        let bureau = "\n[bureau]\nurl = \"http://127.0.0.1:8443\"\nkey = \"station.key\"\n\
            certificate = \"bureau.pem\"\n";
        let e = parse::<StationProfile>("simulated.toml", &format!("{SIMULATED}{web}{bureau}"))
            .unwrap_err();
        assert_eq!(e.field, "web.review_before_card", "{e}");
    }

    #[test]
    fn station_id_and_documents_are_checked() {
        let e = parse::<StationProfile>(
            "simulated.toml",
            &SIMULATED.replace("station_id = \"SIM-STATION-01\"", "station_id = \"a\\tb\""),
        )
        .unwrap_err();
        assert_eq!(e.field, "station_id");
        let e = parse::<StationProfile>(
            "simulated.toml",
            &SIMULATED.replace(
                "documents = [\"ua-temporary-residence-permit\", \"ua-permanent-residence-permit\"]",
                "documents = []",
            ),
        )
        .unwrap_err();
        assert_eq!(e.field, "documents");
    }

    #[test]
    fn a_document_signer_section_is_checked_field_by_field() {
        let section = "\n[document_signer]\nmodule = \"/usr/lib/softhsm/libsofthsm2.so\"\n\
            key_uri = \"pkcs11:token=DS;object=ds-2026\"\npin_file = \"/etc/permitkit/pin\"\n\
            certificate = \"/etc/permitkit/ds.pem\"\naudit_log = \"sod-audit.jsonl\"\n\
            audit_key = \"sod-audit.key\"\n";
        let good =
            parse::<StationProfile>("simulated.toml", &format!("{SIMULATED}{section}")).unwrap();
        let ds = good.document_signer.unwrap();
        assert_eq!(
            ds.max_documents(),
            DocumentSignerSlot::DEFAULT_MAX_DOCUMENTS
        );
        assert!(
            builtin::load::<StationProfile>("simulated")
                .unwrap()
                .document_signer
                .is_none()
        );
        for (from, to, field) in [
            (
                "object=ds-2026",
                "object=ds 2026",
                "document_signer.key_uri",
            ),
            (
                "pkcs11:token=DS;object=ds-2026",
                "pkcs11:token=DS",
                "document_signer.key_uri",
            ),
            (
                "object=ds-2026",
                "object=ds;x-vendor=1",
                "document_signer.key_uri",
            ),
            (
                "object=ds-2026",
                "object=ds?pin-value=1234",
                "document_signer.key_uri",
            ),
            (
                "module = \"/usr",
                "module = \"usr",
                "document_signer.module",
            ),
            (
                "pin_file = \"/etc/permitkit/pin\"",
                "pin_env = \"A-B\"",
                "document_signer.pin_env",
            ),
            (
                "pin_file = \"/etc/permitkit/pin\"\n",
                "",
                "document_signer.pin_file",
            ),
            (
                "audit_log = \"sod-audit.jsonl\"",
                "audit_log = \"\"",
                "document_signer.audit_log",
            ),
            (
                "audit_key = \"sod-audit.key\"",
                "audit_key = \"k\"\nmax_documents = 0",
                "document_signer.max_documents",
            ),
        ] {
            let text = format!("{SIMULATED}{}", section.replacen(from, to, 1));
            let e = parse::<StationProfile>("simulated.toml", &text).unwrap_err();
            assert_eq!(e.field, field, "{from} -> {to}: {e}");
            assert_eq!(e.file, "simulated.toml");
        }
        let e = parse::<StationProfile>(
            "s.toml",
            &format!(
                "{SIMULATED}{}",
                section.replacen("audit_key", "audit_ky", 1)
            ),
        )
        .unwrap_err();
        assert!(e.to_string().contains("audit_ky"), "{e}");
    }
}
