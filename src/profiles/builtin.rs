//! The profiles shipped in `hardware-profiles/`, embedded in the binary, and the registry that
//! merges them with a user's `--profiles DIR` (whose files add to or override the built-ins).
//!
//! One table, one truth: every kind looks its built-ins up here, and a test keeps the table and
//! the folder in step (every TOML file on disk must be listed and load).

use std::{collections::BTreeMap, path::Path};

use crate::profiles::{
    Profile, ProfileError, camera::CameraProfile, chip::ChipProfile, document::DocumentProfile,
    parse, quality::QualityProfile, reader::ReaderProfile, scanner::ScannerProfile,
};

/// `(kind folder, file name, content)` of every built-in profile.
pub const BUILTIN: &[(&str, &str, &str)] = &[
    (
        "cameras",
        "logitech-c270.toml",
        include_str!("../../hardware-profiles/cameras/logitech-c270.toml"),
    ),
    (
        "cameras",
        "logitech-c920.toml",
        include_str!("../../hardware-profiles/cameras/logitech-c920.toml"),
    ),
    (
        "cameras",
        "still-replay.toml",
        include_str!("../../hardware-profiles/cameras/still-replay.toml"),
    ),
    (
        "documents",
        "ua-permanent-residence-permit.toml",
        include_str!("../../hardware-profiles/documents/ua-permanent-residence-permit.toml"),
    ),
    (
        "documents",
        "ua-temporary-residence-permit.toml",
        include_str!("../../hardware-profiles/documents/ua-temporary-residence-permit.toml"),
    ),
    (
        "quality",
        "icao-portrait.toml",
        include_str!("../../hardware-profiles/quality/icao-portrait.toml"),
    ),
    (
        "scanners",
        "digitalpersona-uareu-4500.toml",
        include_str!("../../hardware-profiles/scanners/digitalpersona-uareu-4500.toml"),
    ),
    (
        "scanners",
        "simulator.toml",
        include_str!("../../hardware-profiles/scanners/simulator.toml"),
    ),
    (
        "scanners",
        "veridicom-5thsense.toml",
        include_str!("../../hardware-profiles/scanners/veridicom-5thsense.toml"),
    ),
    (
        "readers",
        "acs-acr1252u.toml",
        include_str!("../../hardware-profiles/readers/acs-acr1252u.toml"),
    ),
    (
        "readers",
        "hid-omnikey-5022.toml",
        include_str!("../../hardware-profiles/readers/hid-omnikey-5022.toml"),
    ),
    (
        "readers",
        "hid-omnikey-5422.toml",
        include_str!("../../hardware-profiles/readers/hid-omnikey-5422.toml"),
    ),
    (
        "readers",
        "identiv-utrust-3700f.toml",
        include_str!("../../hardware-profiles/readers/identiv-utrust-3700f.toml"),
    ),
    (
        "readers",
        "vsmartcard-vpcd.toml",
        include_str!("../../hardware-profiles/readers/vsmartcard-vpcd.toml"),
    ),
    (
        "chips",
        "jmrtd-applet.toml",
        include_str!("../../hardware-profiles/chips/jmrtd-applet.toml"),
    ),
    (
        "chips",
        "permitkit-virtual.toml",
        include_str!("../../hardware-profiles/chips/permitkit-virtual.toml"),
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
}

/// Every kind the registry knows, in the order `profiles list` shows them.
pub const KINDS: [&str; 6] = [
    DocumentProfile::KIND,
    CameraProfile::KIND,
    QualityProfile::KIND,
    ScannerProfile::KIND,
    ReaderProfile::KIND,
    ChipProfile::KIND,
];

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
    /// same id. Files in folders of unknown kinds are reported, not ignored.
    pub fn with_dir(mut self, dir: &Path) -> Result<Self, ProfileError> {
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
                let text = std::fs::read_to_string(&path).map_err(|e| io(&path, e))?;
                self.add(&kind, &shown, &text, Origin::File(shown.clone()))?;
            }
        }
        Ok(self)
    }

    fn add(
        &mut self,
        kind: &str,
        file: &str,
        text: &str,
        origin: Origin,
    ) -> Result<(), ProfileError> {
        fn put<P: Profile>(
            map: &mut Profiles<P>,
            file: &str,
            text: &str,
            origin: Origin,
        ) -> Result<(), ProfileError> {
            let p: P = parse(file, text)?;
            map.insert(p.id().to_owned(), (p, origin));
            Ok(())
        }
        match kind {
            DocumentProfile::KIND => put(&mut self.documents, file, text, origin),
            CameraProfile::KIND => put(&mut self.cameras, file, text, origin),
            QualityProfile::KIND => put(&mut self.quality, file, text, origin),
            ScannerProfile::KIND => put(&mut self.scanners, file, text, origin),
            ReaderProfile::KIND => put(&mut self.readers, file, text, origin),
            ChipProfile::KIND => put(&mut self.chips, file, text, origin),
            other => Err(ProfileError {
                file: file.into(),
                field: String::new(),
                reason: format!(
                    "unknown profile kind {other:?} (known: {})",
                    KINDS.join(", ")
                ),
            }),
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

    /// `(kind, id, name or description, origin)` of every profile, kind by kind.
    pub fn list(&self) -> Vec<(&'static str, String, Origin)> {
        fn rows<'m, P>(
            kind: &'static str,
            m: &'m Profiles<P>,
        ) -> impl Iterator<Item = (&'static str, String, Origin)> + 'm {
            m.iter()
                .map(move |(id, (_, o))| (kind, id.clone(), o.clone()))
        }
        rows(DocumentProfile::KIND, &self.documents)
            .chain(rows(CameraProfile::KIND, &self.cameras))
            .chain(rows(QualityProfile::KIND, &self.quality))
            .chain(rows(ScannerProfile::KIND, &self.scanners))
            .chain(rows(ReaderProfile::KIND, &self.readers))
            .chain(rows(ChipProfile::KIND, &self.chips))
            .collect()
    }
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
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("hardware-profiles");
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
}
