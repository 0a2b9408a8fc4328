//! The profiles shipped in `hardware-profiles/`, embedded in the binary, and the registry that
//! merges them with a user's `--profiles DIR` (whose files add to or override the built-ins).
//!
//! A test keeps this table and the folder in step: every TOML file on disk must be listed here
//! and load.

use std::{collections::BTreeMap, path::Path};

use crate::profiles::{
    Profile, ProfileError, chip::ChipProfile, document::DocumentProfile, parse,
    reader::ReaderProfile,
};

/// `(kind folder, file name, content)` of every built-in profile.
pub const BUILTIN: &[(&str, &str, &str)] = &[
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

/// Where a profile came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Embedded in the binary.
    Builtin,
    /// Loaded from this file.
    File(String),
}

/// Every loaded profile, by kind and id.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    /// Document profiles.
    pub documents: BTreeMap<String, (DocumentProfile, Origin)>,
    /// Card reader profiles.
    pub readers: BTreeMap<String, (ReaderProfile, Origin)>,
    /// Chip profiles.
    pub chips: BTreeMap<String, (ChipProfile, Origin)>,
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
    /// same id.
    pub fn with_dir(mut self, dir: &Path) -> Result<Self, ProfileError> {
        for kind in [
            DocumentProfile::KIND,
            ReaderProfile::KIND,
            ChipProfile::KIND,
        ] {
            let sub = dir.join(kind);
            let Ok(entries) = std::fs::read_dir(&sub) else {
                continue;
            };
            let mut paths: Vec<_> = entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "toml"))
                .collect();
            paths.sort();
            for path in paths {
                let shown = path.display().to_string();
                let text = std::fs::read_to_string(&path).map_err(|e| ProfileError {
                    file: shown.clone(),
                    field: String::new(),
                    reason: e.to_string(),
                })?;
                self.add(kind, &shown, &text, Origin::File(shown.clone()))?;
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
        match kind {
            DocumentProfile::KIND => {
                let p: DocumentProfile = parse(file, text)?;
                self.documents.insert(p.id.clone(), (p, origin));
            }
            ReaderProfile::KIND => {
                let p: ReaderProfile = parse(file, text)?;
                self.readers.insert(p.id.clone(), (p, origin));
            }
            ChipProfile::KIND => {
                let p: ChipProfile = parse(file, text)?;
                self.chips.insert(p.id.clone(), (p, origin));
            }
            other => {
                return Err(ProfileError {
                    file: file.into(),
                    field: String::new(),
                    reason: format!("unknown profile kind {other:?}"),
                });
            }
        }
        Ok(())
    }

    /// The document profile `id`, or an error listing the ids there are.
    pub fn document(&self, id: &str) -> Result<&DocumentProfile, ProfileError> {
        lookup(&self.documents, id, DocumentProfile::KIND)
    }

    /// The reader profile `id`, or an error listing the ids there are.
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

    /// The chip profile `id`, or an error listing the ids there are.
    pub fn chip(&self, id: &str) -> Result<&ChipProfile, ProfileError> {
        lookup(&self.chips, id, ChipProfile::KIND)
    }
}

fn lookup<'a, P>(
    map: &'a BTreeMap<String, (P, Origin)>,
    id: &str,
    kind: &str,
) -> Result<&'a P, ProfileError> {
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
        let (_, _, text) = BUILTIN[1];
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
