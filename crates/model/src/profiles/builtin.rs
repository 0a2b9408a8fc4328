//! The profiles shipped in `hardware-profiles/`, embedded in the binary, and the registry that
//! merges them with a user's `--profiles DIR` (whose files add to or override the built-ins).
//!
//! One table, one truth: every kind looks its built-ins up here, and a test keeps the table and
//! the folder in step (every TOML file on disk must be listed and load).

use std::{collections::BTreeMap, path::Path};

use crate::profiles::{
    Profile, ProfileError,
    camera::{CameraProfile, PixelFormat},
    chip::ChipProfile,
    document::DocumentProfile,
    parse, parse_all,
    quality::QualityProfile,
    reader::ReaderProfile,
    scanner::{ScannerBackend, ScannerProfile},
    signature_pad::SignaturePadProfile,
    station::{SlotKind, StationProfile},
};

/// `(kind folder, file name, content)` of every built-in profile.
pub const BUILTIN: &[(&str, &str, &str)] = &[
    (
        "cameras",
        "logitech-c270.toml",
        include_str!("../../../../hardware-profiles/cameras/logitech-c270.toml"),
    ),
    (
        "cameras",
        "logitech-c920.toml",
        include_str!("../../../../hardware-profiles/cameras/logitech-c920.toml"),
    ),
    (
        "cameras",
        "still-replay.toml",
        include_str!("../../../../hardware-profiles/cameras/still-replay.toml"),
    ),
    (
        "chips",
        "iso7816-9-fcp.toml",
        include_str!("../../../../hardware-profiles/chips/iso7816-9-fcp.toml"),
    ),
    (
        "chips",
        "jmrtd-applet.toml",
        include_str!("../../../../hardware-profiles/chips/jmrtd-applet.toml"),
    ),
    (
        "chips",
        "permitkit-virtual.toml",
        include_str!("../../../../hardware-profiles/chips/permitkit-virtual.toml"),
    ),
    (
        "documents",
        "ua-permanent-residence-permit.toml",
        include_str!("../../../../hardware-profiles/documents/ua-permanent-residence-permit.toml"),
    ),
    (
        "documents",
        "ua-temporary-residence-permit.toml",
        include_str!("../../../../hardware-profiles/documents/ua-temporary-residence-permit.toml"),
    ),
    (
        "quality",
        "icao-portrait.toml",
        include_str!("../../../../hardware-profiles/quality/icao-portrait.toml"),
    ),
    (
        "readers",
        "acs-acr1252u.toml",
        include_str!("../../../../hardware-profiles/readers/acs-acr1252u.toml"),
    ),
    (
        "readers",
        "hid-omnikey-5022.toml",
        include_str!("../../../../hardware-profiles/readers/hid-omnikey-5022.toml"),
    ),
    (
        "readers",
        "hid-omnikey-5422.toml",
        include_str!("../../../../hardware-profiles/readers/hid-omnikey-5422.toml"),
    ),
    (
        "readers",
        "identiv-utrust-3700f.toml",
        include_str!("../../../../hardware-profiles/readers/identiv-utrust-3700f.toml"),
    ),
    (
        "readers",
        "vsmartcard-vpcd.toml",
        include_str!("../../../../hardware-profiles/readers/vsmartcard-vpcd.toml"),
    ),
    (
        "scanners",
        "digitalpersona-uareu-4500.toml",
        include_str!("../../../../hardware-profiles/scanners/digitalpersona-uareu-4500.toml"),
    ),
    (
        "scanners",
        "simulator.toml",
        include_str!("../../../../hardware-profiles/scanners/simulator.toml"),
    ),
    (
        "scanners",
        "veridicom-5thsense.toml",
        include_str!("../../../../hardware-profiles/scanners/veridicom-5thsense.toml"),
    ),
    (
        "signature-pads",
        "scanned-image.toml",
        include_str!("../../../../hardware-profiles/signature-pads/scanned-image.toml"),
    ),
    (
        "signature-pads",
        "simulator.toml",
        include_str!("../../../../hardware-profiles/signature-pads/simulator.toml"),
    ),
    (
        "signature-pads",
        "wacom-one-by-wacom-m.toml",
        include_str!("../../../../hardware-profiles/signature-pads/wacom-one-by-wacom-m.toml"),
    ),
    (
        "signature-pads",
        "wacom-one-by-wacom-s.toml",
        include_str!("../../../../hardware-profiles/signature-pads/wacom-one-by-wacom-s.toml"),
    ),
    (
        "stations",
        "front-office-example.toml",
        include_str!("../../../../hardware-profiles/stations/front-office-example.toml"),
    ),
    (
        "stations",
        "simulated.toml",
        include_str!("../../../../hardware-profiles/stations/simulated.toml"),
    ),
];

/// The built-in files of kind `P`: `(file name, content)`.
pub fn of_kind<P: Profile>() -> impl Iterator<Item = (&'static str, &'static str)> {
    BUILTIN
        .iter()
        .filter(|(kind, _, _)| *kind == P::KIND)
        .map(|(_, file, text)| (*file, *text))
}

/// The built-in profile `id` of kind `P`.
pub fn load<P: Profile>(id: &str) -> Result<P, ProfileError> {
    let file = format!("{id}.toml");
    let (_, text) = of_kind::<P>()
        .find(|(f, _)| *f == file)
        .ok_or_else(|| ProfileError {
            file: format!("{}/{file}", P::KIND),
            field: "id".into(),
            reason: format!(
                "no built-in {} profile {id:?}; known: {}",
                P::KIND,
                of_kind::<P>()
                    .map(|(f, _)| f.trim_end_matches(".toml"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        })?;
    parse(&format!("{}/{file}", P::KIND), text)
}

/// Every built-in profile of kind `P` (a test guarantees they all load).
pub fn all<P: Profile>() -> Vec<P> {
    of_kind::<P>()
        .filter_map(|(file, text)| parse(&format!("{}/{file}", P::KIND), text).ok())
        .collect()
}

/// Where a profile came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Embedded in the binary.
    Builtin,
    /// Loaded from this file.
    File(String),
}

/// Profiles of one kind, by id, with their origin.
pub type Profiles<P> = BTreeMap<String, (P, Origin)>;

/// Every loaded profile, by kind and id.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    /// Document profiles.
    pub documents: Profiles<DocumentProfile>,
    /// Camera profiles.
    pub cameras: Profiles<CameraProfile>,
    /// Portrait quality profiles.
    pub quality: Profiles<QualityProfile>,
    /// Fingerprint scanner profiles.
    pub scanners: Profiles<ScannerProfile>,
    /// Card reader profiles.
    pub readers: Profiles<ReaderProfile>,
    /// Chip profiles.
    pub chips: Profiles<ChipProfile>,
    /// Signature pad profiles.
    pub signature_pads: Profiles<SignaturePadProfile>,
    /// Enrollment station profiles.
    pub stations: Profiles<StationProfile>,
}

/// Every kind the registry knows, in the order `profiles list` shows them.
pub const KINDS: [&str; 8] = [
    DocumentProfile::KIND,
    CameraProfile::KIND,
    QualityProfile::KIND,
    ScannerProfile::KIND,
    ReaderProfile::KIND,
    ChipProfile::KIND,
    SignaturePadProfile::KIND,
    StationProfile::KIND,
];

/// One row of `profiles list`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileEntry {
    /// Kind folder (`documents`, `stations`, …).
    pub kind: &'static str,
    /// Profile id.
    pub id: String,
    /// Name or description.
    pub name: String,
    /// Where it was loaded from.
    pub origin: Origin,
    /// Fields the profile marks as not confirmed (kinds without the list give none).
    pub unverified: Vec<String>,
}

/// What `profiles list` shows of a profile, for every kind.
trait Listed {
    fn name(&self) -> &str;
    fn unverified(&self) -> &[String] {
        &[]
    }
}

impl Listed for DocumentProfile {
    fn name(&self) -> &str {
        &self.name
    }
    fn unverified(&self) -> &[String] {
        &self.unverified
    }
}

impl Listed for CameraProfile {
    fn name(&self) -> &str {
        &self.name
    }
}

impl Listed for QualityProfile {
    fn name(&self) -> &str {
        &self.description
    }
}

impl Listed for ReaderProfile {
    fn name(&self) -> &str {
        &self.name
    }
    fn unverified(&self) -> &[String] {
        &self.unverified
    }
}

impl Listed for ChipProfile {
    fn name(&self) -> &str {
        &self.name
    }
    fn unverified(&self) -> &[String] {
        &self.unverified
    }
}

impl Listed for ScannerProfile {
    fn name(&self) -> &str {
        &self.name
    }
}

impl Listed for SignaturePadProfile {
    fn name(&self) -> &str {
        &self.name
    }
    fn unverified(&self) -> &[String] {
        &self.unverified
    }
}

impl Listed for StationProfile {
    fn name(&self) -> &str {
        &self.name
    }
    fn unverified(&self) -> &[String] {
        &self.unverified
    }
}

impl Registry {
    /// The built-in profiles.
    pub fn builtin() -> Result<Self, ProfileError> {
        let mut r = Self::default();
        for (kind, file, text) in BUILTIN {
            r.add(kind, &format!("{kind}/{file}"), text, Origin::Builtin)?;
        }
        Ok(r)
    }

    /// The built-ins plus every `*.toml` under `dir/<kind>/`, which override built-ins of the
    /// same id. Files in folders of unknown kinds are reported, not ignored. Stops at the first
    /// problem; [`Registry::load_dir`] collects them all.
    pub fn with_dir(mut self, dir: &Path) -> Result<Self, ProfileError> {
        match self.load_dir(dir)?.into_iter().next() {
            Some(problem) => Err(problem),
            None => Ok(self),
        }
    }

    /// Adds every `*.toml` under `dir/<kind>/` that loads, and returns every problem of every
    /// file (all of a file's field problems, not only the first). A file with problems adds
    /// nothing. `Err` only when `dir` or one of its folders cannot be read.
    pub fn load_dir(&mut self, dir: &Path) -> Result<Vec<ProfileError>, ProfileError> {
        let io = |path: &Path, e: std::io::Error| ProfileError {
            file: path.display().to_string(),
            field: String::new(),
            reason: e.to_string(),
        };
        let mut kinds: Vec<_> = std::fs::read_dir(dir)
            .map_err(|e| io(dir, e))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
        kinds.sort();
        let mut problems = Vec::new();
        for sub in kinds {
            let kind = sub
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let mut paths: Vec<_> = std::fs::read_dir(&sub)
                .map_err(|e| io(&sub, e))?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "toml"))
                .collect();
            paths.sort();
            for path in paths {
                let shown = path.display().to_string();
                match std::fs::read_to_string(&path) {
                    Ok(text) => problems.extend(self.add_all(
                        &kind,
                        &shown,
                        &text,
                        Origin::File(shown.clone()),
                    )),
                    Err(e) => problems.push(io(&path, e)),
                }
            }
        }
        Ok(problems)
    }

    /// Adds one station profile file (a station named by path on the command line) and
    /// returns its id. Every problem of the file is returned, each naming file and field.
    pub fn add_station_file(&mut self, path: &Path) -> Result<String, Vec<ProfileError>> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| {
            vec![ProfileError {
                file: shown.clone(),
                field: String::new(),
                reason: e.to_string(),
            }]
        })?;
        let profile = parse_all::<StationProfile>(&shown, &text)?;
        let id = profile.id().to_owned();
        self.stations
            .insert(id.clone(), (profile, Origin::File(shown)));
        Ok(id)
    }

    fn add(
        &mut self,
        kind: &str,
        file: &str,
        text: &str,
        origin: Origin,
    ) -> Result<(), ProfileError> {
        match self.add_all(kind, file, text, origin).into_iter().next() {
            Some(problem) => Err(problem),
            None => Ok(()),
        }
    }

    /// Adds one file of `kind`; returns its problems (none when it was added).
    fn add_all(&mut self, kind: &str, file: &str, text: &str, origin: Origin) -> Vec<ProfileError> {
        fn put<P: Profile>(
            map: &mut Profiles<P>,
            file: &str,
            text: &str,
            origin: Origin,
        ) -> Vec<ProfileError> {
            match parse_all::<P>(file, text) {
                Ok(p) => {
                    map.insert(p.id().to_owned(), (p, origin));
                    Vec::new()
                }
                Err(problems) => problems,
            }
        }
        match kind {
            DocumentProfile::KIND => put(&mut self.documents, file, text, origin),
            CameraProfile::KIND => put(&mut self.cameras, file, text, origin),
            QualityProfile::KIND => put(&mut self.quality, file, text, origin),
            ScannerProfile::KIND => put(&mut self.scanners, file, text, origin),
            ReaderProfile::KIND => put(&mut self.readers, file, text, origin),
            ChipProfile::KIND => put(&mut self.chips, file, text, origin),
            SignaturePadProfile::KIND => put(&mut self.signature_pads, file, text, origin),
            StationProfile::KIND => put(&mut self.stations, file, text, origin),
            other => vec![ProfileError {
                file: file.into(),
                field: String::new(),
                reason: format!(
                    "unknown profile kind {other:?} (known: {})",
                    KINDS.join(", ")
                ),
            }],
        }
    }

    /// The document profile `id`, or an error listing the ids there are.
    pub fn document(&self, id: &str) -> Result<&DocumentProfile, ProfileError> {
        lookup(&self.documents, id, DocumentProfile::KIND)
    }

    /// The camera profile `id`.
    pub fn camera(&self, id: &str) -> Result<&CameraProfile, ProfileError> {
        lookup(&self.cameras, id, CameraProfile::KIND)
    }

    /// The portrait quality profile `id`.
    pub fn quality(&self, id: &str) -> Result<&QualityProfile, ProfileError> {
        lookup(&self.quality, id, QualityProfile::KIND)
    }

    /// The scanner profile `id`.
    pub fn scanner(&self, id: &str) -> Result<&ScannerProfile, ProfileError> {
        lookup(&self.scanners, id, ScannerProfile::KIND)
    }

    /// The reader profile `id`.
    pub fn reader(&self, id: &str) -> Result<&ReaderProfile, ProfileError> {
        lookup(&self.readers, id, ReaderProfile::KIND)
    }

    /// The first reader profile whose PC/SC name globs match `pcsc_name`.
    pub fn reader_for_name(&self, pcsc_name: &str) -> Option<&ReaderProfile> {
        self.readers
            .values()
            .map(|(p, _)| p)
            .find(|p| p.matches(pcsc_name))
    }

    /// The chip profile `id`.
    pub fn chip(&self, id: &str) -> Result<&ChipProfile, ProfileError> {
        lookup(&self.chips, id, ChipProfile::KIND)
    }

    /// The signature pad profile `id`.
    pub fn signature_pad(&self, id: &str) -> Result<&SignaturePadProfile, ProfileError> {
        lookup(&self.signature_pads, id, SignaturePadProfile::KIND)
    }

    /// The station profile `id`.
    pub fn station(&self, id: &str) -> Result<&StationProfile, ProfileError> {
        lookup(&self.stations, id, StationProfile::KIND)
    }

    /// Every profile with its name, origin and unverified fields, kind by kind, by id.
    pub fn entries(&self) -> Vec<ProfileEntry> {
        fn rows<P: Listed>(kind: &'static str, m: &Profiles<P>, out: &mut Vec<ProfileEntry>) {
            out.extend(m.iter().map(|(id, (p, origin))| ProfileEntry {
                kind,
                id: id.clone(),
                name: p.name().to_owned(),
                origin: origin.clone(),
                unverified: p.unverified().to_vec(),
            }));
        }
        let mut out = Vec::new();
        rows(DocumentProfile::KIND, &self.documents, &mut out);
        rows(CameraProfile::KIND, &self.cameras, &mut out);
        rows(QualityProfile::KIND, &self.quality, &mut out);
        rows(ScannerProfile::KIND, &self.scanners, &mut out);
        rows(ReaderProfile::KIND, &self.readers, &mut out);
        rows(ChipProfile::KIND, &self.chips, &mut out);
        rows(SignaturePadProfile::KIND, &self.signature_pads, &mut out);
        rows(StationProfile::KIND, &self.stations, &mut out);
        out
    }

    /// The problems [`Registry::check`] finds in station `id`'s own file.
    pub fn check_station(&self, id: &str) -> Vec<ProfileError> {
        let file = match self.stations.get(id) {
            Some((_, Origin::File(f))) => f.clone(),
            _ => format!("{}/{id}.toml", StationProfile::KIND),
        };
        self.check()
            .into_iter()
            .filter(|p| p.file == file)
            .collect()
    }

    /// Cross-checks between profiles: every profile id a station names exists in the registry
    /// (documents, portrait quality, camera, scanner, signature pad, card reader, chip), and each
    /// device selector suits the backend of the profile named beside it. Each problem names the
    /// station's file and field.
    pub fn check(&self) -> Vec<ProfileError> {
        let mut out = Vec::new();
        for (id, (station, origin)) in &self.stations {
            let file = match origin {
                Origin::File(f) => f.clone(),
                Origin::Builtin => format!("{}/{id}.toml", StationProfile::KIND),
            };
            let mut problem = |field: String, reason: String| {
                out.push(ProfileError {
                    file: file.clone(),
                    field,
                    reason,
                });
            };
            for (i, d) in station.documents.iter().enumerate() {
                if !self.documents.contains_key(d) {
                    problem(
                        format!("documents[{i}]"),
                        dangling(DocumentProfile::KIND, d, &self.documents),
                    );
                }
            }
            if !self.quality.contains_key(&station.quality_profile) {
                problem(
                    "quality_profile".into(),
                    dangling(
                        QualityProfile::KIND,
                        &station.quality_profile,
                        &self.quality,
                    ),
                );
            }
            if !self.chips.contains_key(&station.chip.profile) {
                problem(
                    "chip.profile".into(),
                    dangling(ChipProfile::KIND, &station.chip.profile, &self.chips),
                );
            }
            for (kind, slot) in station.slots() {
                let field = kind.field();
                let Some(pid) = &slot.profile else {
                    continue;
                };
                let reason = match kind {
                    SlotKind::Camera => match self.cameras.get(pid) {
                        None => Some(dangling(CameraProfile::KIND, pid, &self.cameras)),
                        Some((p, _)) => camera_mismatch(&slot.selector, p),
                    },
                    SlotKind::Scanner => match self.scanners.get(pid) {
                        None => Some(dangling(ScannerProfile::KIND, pid, &self.scanners)),
                        Some((p, _)) => scanner_mismatch(&slot.selector, p),
                    },
                    SlotKind::SignaturePad => match self.signature_pads.get(pid) {
                        None => Some(dangling(
                            SignaturePadProfile::KIND,
                            pid,
                            &self.signature_pads,
                        )),
                        Some((p, _)) => pad_mismatch(&slot.selector, p),
                    },
                    SlotKind::CardReader => match self.readers.get(pid) {
                        None => Some(dangling(ReaderProfile::KIND, pid, &self.readers)),
                        Some(_) => None,
                    },
                };
                if let Some(reason) = reason {
                    problem(format!("{field}.profile"), reason);
                }
            }
        }
        out
    }

    /// `(kind, id, origin)` of every profile, kind by kind.
    pub fn list(&self) -> Vec<(&'static str, String, Origin)> {
        self.entries()
            .into_iter()
            .map(|e| (e.kind, e.id, e.origin))
            .collect()
    }
}

fn dangling<P>(kind: &str, id: &str, known: &Profiles<P>) -> String {
    format!(
        "no {kind} profile {id:?} (known: {})",
        known.keys().cloned().collect::<Vec<_>>().join(", ")
    )
}

/// The selector's kind: the text before the first colon, or the whole selector.
fn selector_kind(selector: &str) -> &str {
    selector.split_once(':').map_or(selector, |(k, _)| k)
}

fn camera_mismatch(selector: &str, p: &CameraProfile) -> Option<String> {
    let replay = p.mode.format == PixelFormat::Still;
    match (selector_kind(selector), replay) {
        ("v4l", true) => Some(format!(
            "{} describes the replay camera, but the selector {selector:?} opens a webcam",
            p.id
        )),
        ("still" | "sim", false) => Some(format!(
            "{} describes a webcam, but the selector {selector:?} is not one",
            p.id
        )),
        _ => None,
    }
}

fn scanner_mismatch(selector: &str, p: &ScannerProfile) -> Option<String> {
    let expected = match p.backend {
        ScannerBackend::Simulator => "sim",
        ScannerBackend::Libfprint => "libfprint",
    };
    (selector_kind(selector) != expected).then(|| {
        format!(
            "{} is a {expected} scanner, but the selector is {selector:?}",
            p.id
        )
    })
}

fn pad_mismatch(selector: &str, p: &SignaturePadProfile) -> Option<String> {
    let expected = p.backend.selector_kind();
    if selector_kind(selector) != expected {
        return Some(format!(
            "{} is read by the {expected} backend, but the selector is {selector:?}",
            p.id
        ));
    }
    None
}

fn lookup<'a, P>(map: &'a Profiles<P>, id: &str, kind: &str) -> Result<&'a P, ProfileError> {
    map.get(id).map(|(p, _)| p).ok_or_else(|| ProfileError {
        file: format!("{kind}/{id}.toml"),
        field: "id".into(),
        reason: format!(
            "no {kind} profile {id:?}; known: {}",
            map.keys().cloned().collect::<Vec<_>>().join(", ")
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_on_disk_is_built_in_and_loads() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../hardware-profiles");
        let mut on_disk = Vec::new();
        for kind in std::fs::read_dir(&root).unwrap() {
            let kind = kind.unwrap().path();
            if !kind.is_dir() {
                continue;
            }
            for f in std::fs::read_dir(&kind).unwrap() {
                let f = f.unwrap().path();
                if f.extension().is_some_and(|e| e == "toml") {
                    on_disk.push(format!(
                        "{}/{}",
                        kind.file_name().unwrap().to_string_lossy(),
                        f.file_name().unwrap().to_string_lossy()
                    ));
                }
            }
        }
        on_disk.sort();
        let mut table: Vec<String> = BUILTIN.iter().map(|(k, f, _)| format!("{k}/{f}")).collect();
        table.sort();
        assert_eq!(
            on_disk, table,
            "hardware-profiles/ and profiles::builtin::BUILTIN disagree"
        );
        let r = Registry::builtin().unwrap();
        assert_eq!(
            r.document("ua-temporary-residence-permit")
                .unwrap()
                .validity
                .default_years,
            1
        );
        assert_eq!(
            r.document("ua-permanent-residence-permit")
                .unwrap()
                .validity
                .default_years,
            10
        );
    }

    #[test]
    fn a_user_folder_overrides_and_errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("documents")).unwrap();
        let (_, text) = of_kind::<DocumentProfile>()
            .find(|(f, _)| *f == "ua-temporary-residence-permit.toml")
            .unwrap();
        let changed = text.replace("max_bytes = 20000", "max_bytes = 18000");
        let path = dir
            .path()
            .join("documents/ua-temporary-residence-permit.toml");
        std::fs::write(&path, changed).unwrap();
        let r = Registry::builtin().unwrap().with_dir(dir.path()).unwrap();
        assert_eq!(
            r.document("ua-temporary-residence-permit")
                .unwrap()
                .portrait
                .max_bytes,
            18000
        );

        std::fs::write(&path, text.replace("can_digits = 6", "can_digits = 3")).unwrap();
        let e = Registry::builtin()
            .unwrap()
            .with_dir(dir.path())
            .unwrap_err();
        assert!(e.file.ends_with("ua-temporary-residence-permit.toml"));
        assert_eq!(e.field, "chip.can_digits");
        assert!(
            Registry::builtin()
                .unwrap()
                .document("xx")
                .unwrap_err()
                .reason
                .contains("known:")
        );
    }

    #[test]
    fn built_in_cross_references_hold_and_dangling_ones_are_named() {
        let r = Registry::builtin().unwrap();
        assert_eq!(r.check(), Vec::new());
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("stations")).unwrap();
        let (_, text) = of_kind::<StationProfile>()
            .find(|(f, _)| *f == "front-office-example.toml")
            .unwrap();
        let path = dir.path().join("stations/counter-2.toml");
        let text = text
            .replace("id = \"front-office-example\"", "id = \"counter-2\"")
            .replace(
                "profile = \"wacom-one-by-wacom-s\"",
                "profile = \"wacom-stu-430\"",
            )
            .replace("selector = \"libfprint:0\"", "selector = \"sim\"");
        std::fs::write(&path, text).unwrap();
        let mut r = Registry::builtin().unwrap();
        assert_eq!(r.load_dir(dir.path()).unwrap(), Vec::new());
        let problems = r.check();
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            ["scanner.profile", "signature_pad.profile"],
            "{problems:?}"
        );
        assert!(
            problems
                .iter()
                .all(|p| p.file == path.display().to_string())
        );
        assert!(
            problems[1].reason.contains("wacom-stu-430"),
            "{}",
            problems[1]
        );
        assert!(problems[0].reason.contains("libfprint"), "{}", problems[0]);
    }

    #[test]
    fn load_dir_reports_every_problem_of_every_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("signature-pads")).unwrap();
        std::fs::create_dir(dir.path().join("gadgets")).unwrap();
        std::fs::write(dir.path().join("gadgets/x.toml"), "id = \"x\"\n").unwrap();
        let (_, text) = of_kind::<SignaturePadProfile>()
            .find(|(f, _)| *f == "simulator.toml")
            .unwrap();
        std::fs::write(
            dir.path().join("signature-pads/simulator.toml"),
            text.replace("timeout_seconds = 60.0", "timeout_seconds = 0.0")
                .replace("idle_end_seconds = 3.0", "idle_end_seconds = 90.0"),
        )
        .unwrap();
        let mut r = Registry::builtin().unwrap();
        let problems = r.load_dir(dir.path()).unwrap();
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            ["", "capture.timeout_seconds", "capture.idle_end_seconds"],
            "{problems:?}"
        );
        assert!(problems[0].reason.contains("unknown profile kind"));
        // The broken file did not replace the built-in.
        assert_eq!(
            r.signature_pad("simulator")
                .unwrap()
                .capture
                .timeout_seconds,
            60.0
        );
        assert!(
            Registry::builtin()
                .unwrap()
                .load_dir(&dir.path().join("nope"))
                .is_err()
        );
    }

    #[test]
    fn entries_show_names_and_unverified_fields() {
        let r = Registry::builtin().unwrap();
        let e = r.entries();
        assert_eq!(e.len(), BUILTIN.len());
        let pad = e.iter().find(|e| e.id == "wacom-one-by-wacom-s").unwrap();
        assert_eq!(pad.kind, "signature-pads");
        assert_eq!(pad.origin, Origin::Builtin);
        assert!(!pad.unverified.is_empty());
        let doc = e
            .iter()
            .find(|e| e.id == "ua-permanent-residence-permit")
            .unwrap();
        assert!(doc.unverified.iter().any(|u| u == "document_code"));
    }
}
