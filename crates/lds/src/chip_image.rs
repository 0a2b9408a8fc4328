//! The ChipImage: every elementary file of one permit card, signed, plus the chip secrets the
//! personalization needs — the hand-off from an enrollment station to a personalization desk.
//!
//! A ChipImage is made only by `lds::build` (which signs it) or by [`ChipImage::from_folder`] /
//! [`ChipImage::from_card_files`], which re-check every data group's hash against EF.SOD: a
//! ChipImage in hand is internally consistent. (Whether the SOD's signature chains to a trusted
//! CSCA is passive authentication's question, answered by `pki::passive_auth`.)
//!
//! As a folder (ICAO file names, raw EF contents with their full TLV), made in memory by
//! [`ChipImage::to_folder`] and read back by [`ChipImage::from_folder`]; the I/O is not here
//! (`permitkit_devices::chip_image_dir` keeps it on disk):
//!
//! ```text
//! COM.bin  DG1.bin  DG2.bin … DG15.bin  SOD.bin  CardAccess.bin
//! manifest.json       file ids, short file ids, sizes, SHA-256 of every file
//! chip-keys.json      CAN, chip private keys and the chip's EAC trust point (the CVCA
//!                     certificate); absent in images read from a card
//! (every file mode 0600: the data groups hold biometrics, chip-keys.json private keys)
//! ```
//!
//! As one file: [`ChipImage::to_package`] / [`ChipImage::from_package`] (`package`, a
//! versioned DER format), what `permitkit lds seal` encrypts for a personalization desk.

use std::{collections::BTreeMap, fmt};

use zeroize::Zeroizing;

use serde::{Deserialize, Serialize};

mod package;

pub use package::{MAX_FILES, MAX_PACKAGE_SIZE, PACKAGE_FORMAT, PACKAGE_VERSION, PackageError};
use sha2::{Digest, Sha256};

use crate::{Com, Dg1, Ef, LdsError, sod::ParsedSod};
use permitkit_model::secret::{SecretBytes, SecretString};

/// Largest file accepted when loading a folder: far above any real EF (DG2/DG3 are tens of KB;
/// the extended READ BINARY offset limit is 64 KB) but small enough to bound memory.
pub const MAX_FILE_SIZE: u64 = 1 << 20;
/// Largest trust point (CVCA certificate) accepted: TR-03110-3 certificates with explicit
/// domain parameters on the largest supported curve stay far below it.
pub const MAX_TRUST_POINT_LEN: usize = 4096;
/// Manifest format identifier.
pub const MANIFEST_FORMAT: &str = "permitkit-chip-image/1";

/// Why a ChipImage cannot be made, loaded or saved.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChipImageError {
    /// A required file is missing.
    #[error("{0} is missing")]
    Missing(Ef),
    /// A file whose content does not parse.
    #[error(transparent)]
    Lds(#[from] LdsError),
    /// A data group whose hash differs from the one in EF.SOD.
    #[error("{0}: hash differs from EF.SOD (the file was altered or belongs to another card)")]
    HashMismatch(Ef),
    /// A data group present but not listed in EF.SOD, or listed but absent.
    #[error("{0}: {1}")]
    Inconsistent(Ef, &'static str),
    /// `manifest.json` or `chip-keys.json` is not the JSON it should be (or does not encode).
    #[error("{file}: not the expected JSON")]
    Json {
        /// `manifest.json` or `chip-keys.json`.
        file: &'static str,
        /// The JSON error (line and column).
        #[source]
        source: serde_json::Error,
    },
    /// The manifest disagrees with the files.
    #[error("manifest.json: {name}: {reason}")]
    Manifest {
        /// The file the manifest lists.
        name: String,
        /// How it disagrees.
        reason: &'static str,
    },
    /// Bytes that are not a ChipImage package ([`ChipImage::from_package`]).
    #[error(transparent)]
    Package(#[from] PackageError),
}

/// What goes onto the chip at personalization besides its files: the secrets, which never
/// leave it, and the chip's trust point for Terminal Authentication, which is public.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChipKeys {
    /// The card access number printed on the card (PACE password).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "secret_string"
    )]
    pub can: Option<SecretString>,
    /// Active Authentication private key, PKCS#8 DER.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "secret_hex")]
    pub aa_private_key: Option<SecretBytes>,
    /// Chip Authentication private key, PKCS#8 DER.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "secret_hex")]
    pub ca_private_key: Option<SecretBytes>,
    /// The chip's trust point for Terminal Authentication (ICAO 9303-11 §7.1): the CVCA
    /// certificate as BSI TR-03110-3 Appendix C encodes it (`7F21 …`), stored with PUT DATA
    /// `64`. Public, not a secret; checked by the personalization writer, not here.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "plain_hex")]
    pub trust_point: Option<Vec<u8>>,
}

impl fmt::Debug for ChipKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChipKeys")
            .field("can", &self.can.is_some())
            .field("aa_private_key", &self.aa_private_key.is_some())
            .field("ca_private_key", &self.ca_private_key.is_some())
            .field("trust_point", &self.trust_point.as_ref().map(Vec::len))
            .finish()
    }
}

impl ChipKeys {
    fn is_empty(&self) -> bool {
        self.can.is_none()
            && self.aa_private_key.is_none()
            && self.ca_private_key.is_none()
            && self.trust_point.is_none()
    }
}

/// One row of manifest.json.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestEntry {
    /// ICAO name (`DG1`, `COM`, `SOD`, `CardAccess`).
    pub name: String,
    /// File name in the folder.
    pub file: String,
    /// File identifier, 4 hex digits.
    pub fid: String,
    /// Short file identifier, 2 hex digits.
    pub sfi: String,
    /// Size in bytes.
    pub size: usize,
    /// SHA-256, hex.
    pub sha256: String,
}

/// manifest.json.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`MANIFEST_FORMAT`].
    pub format: String,
    /// Every file, in personalization order.
    pub files: Vec<ManifestEntry>,
    /// Whether chip-keys.json accompanies the files.
    pub chip_keys: bool,
}

/// Every elementary file of one card, consistent with its EF.SOD.
#[derive(Clone, PartialEq, Eq)]
pub struct ChipImage {
    files: BTreeMap<Ef, Vec<u8>>,
    keys: ChipKeys,
}

impl fmt::Debug for ChipImage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sizes: Vec<String> = self
            .files
            .iter()
            .map(|(e, b)| format!("{}={}", e.name(), b.len()))
            .collect();
        f.debug_struct("ChipImage")
            .field("files", &sizes)
            .field("keys", &self.keys)
            .finish()
    }
}

/// The files hold biometrics and the MRZ: their bytes are zeroized when the image is dropped
/// (the chip keys zeroize themselves).
impl Drop for ChipImage {
    fn drop(&mut self) {
        use zeroize::Zeroize as _;
        for bytes in self.files.values_mut() {
            bytes.zeroize();
        }
    }
}

impl ChipImage {
    /// Checks `files` against their EF.SOD and makes the image. Used by the builder, by
    /// [`ChipImage::load_dir`] and by [`ChipImage::from_card_files`].
    pub(crate) fn checked(
        files: BTreeMap<Ef, Vec<u8>>,
        keys: ChipKeys,
    ) -> Result<Self, ChipImageError> {
        let sod = files
            .get(&Ef::Sod)
            .ok_or(ChipImageError::Missing(Ef::Sod))?;
        let parsed = ParsedSod::parse(sod)?;
        let dg1 = files
            .get(&Ef::DG1)
            .ok_or(ChipImageError::Missing(Ef::DG1))?;
        Dg1::parse(dg1)?;
        if !files.contains_key(&Ef::DG2) {
            return Err(ChipImageError::Missing(Ef::DG2));
        }
        let h = parsed.lso.hash_algorithm;
        for (ef, bytes) in &files {
            if let Ef::Dg(_) = ef {
                let expected = parsed.lso.hash_of(*ef).ok_or(ChipImageError::Inconsistent(
                    *ef,
                    "present but not listed in EF.SOD",
                ))?;
                if h.digest(bytes) != expected {
                    return Err(ChipImageError::HashMismatch(*ef));
                }
            }
        }
        for dgh in &parsed.lso.hashes {
            let ef = Ef::Dg(dgh.number);
            if !files.contains_key(&ef) {
                return Err(ChipImageError::Inconsistent(
                    ef,
                    "listed in EF.SOD but missing",
                ));
            }
        }
        if let Some(com) = files.get(&Ef::Com) {
            let com = Com::parse(com)?;
            for ef in com.data_groups() {
                if !files.contains_key(&ef) {
                    return Err(ChipImageError::Inconsistent(
                        ef,
                        "listed in EF.COM but missing",
                    ));
                }
            }
        }
        if let Some(ca) = files.get(&Ef::CardAccess) {
            crate::CardAccess::parse(ca)?;
        }
        Ok(Self { files, keys })
    }

    /// An image of the files read from a card (no chip secrets), checked against EF.SOD.
    pub fn from_card_files(files: BTreeMap<Ef, Vec<u8>>) -> Result<Self, ChipImageError> {
        Self::checked(files, ChipKeys::default())
    }

    /// The content of `ef`, if present.
    pub fn file(&self, ef: Ef) -> Option<&[u8]> {
        self.files.get(&ef).map(Vec::as_slice)
    }

    /// Every file in personalization order: EF.CardAccess, EF.COM, the data groups in
    /// ascending order, EF.SOD last (so a card interrupted before the SOD is never mistaken
    /// for a finished one).
    pub fn files(&self) -> impl Iterator<Item = (Ef, &[u8])> {
        let rank = |e: &Ef| match e {
            Ef::CardAccess => 0,
            Ef::CardSecurity => 1,
            Ef::Com => 2,
            Ef::Dg(_) => 3,
            Ef::Sod => 4,
        };
        let mut order: Vec<(Ef, &[u8])> =
            self.files.iter().map(|(e, b)| (*e, b.as_slice())).collect();
        order.sort_by_key(|(e, _)| (rank(e), *e));
        order.into_iter()
    }

    /// All files as a map (for passive authentication).
    pub fn file_map(&self) -> &BTreeMap<Ef, Vec<u8>> {
        &self.files
    }

    /// DG1, parsed (it was validated when the image was made).
    pub fn dg1(&self) -> Result<Dg1, LdsError> {
        Dg1::parse(self.files.get(&Ef::DG1).map_or(&[][..], Vec::as_slice))
    }

    /// The chip secrets.
    pub fn keys(&self) -> &ChipKeys {
        &self.keys
    }

    /// Total bytes of all files.
    pub fn total_size(&self) -> usize {
        self.files.values().map(Vec::len).sum()
    }

    /// The manifest describing the files.
    pub fn manifest(&self) -> Manifest {
        Manifest {
            format: MANIFEST_FORMAT.into(),
            files: self
                .files()
                .map(|(ef, bytes)| ManifestEntry {
                    name: ef.name(),
                    file: format!("{}.bin", ef.name()),
                    fid: format!("{:04X}", ef.fid()),
                    sfi: format!("{:02X}", ef.sfi()),
                    size: bytes.len(),
                    sha256: hex::encode(Sha256::digest(bytes)),
                })
                .collect(),
            chip_keys: !self.keys.is_empty(),
        }
    }

    /// The names of the files a folder may hold, in the order [`ChipImage::from_folder`] asks
    /// for them: every elementary file as `<name>.bin`, then `chip-keys.json` and
    /// `manifest.json`.
    pub fn folder_names() -> impl Iterator<Item = String> {
        [Ef::CardAccess, Ef::CardSecurity, Ef::Com, Ef::Sod]
            .into_iter()
            .chain((1..=16).filter_map(Ef::dg))
            .map(|ef| format!("{}.bin", ef.name()))
            .chain([CHIP_KEYS_FILE.to_owned(), MANIFEST_FILE.to_owned()])
    }

    /// The folder form in memory: every elementary file as `<name>.bin`, `manifest.json`, and
    /// `chip-keys.json` when the image holds chip keys (the data groups hold biometrics and
    /// chip-keys.json private keys: whoever stores them writes them owner-only). Returns the
    /// manifest with the files.
    pub fn to_folder(&self) -> Result<(Manifest, Vec<FolderFile>), ChipImageError> {
        let manifest = self.manifest();
        let mut out: Vec<FolderFile> = self
            .files()
            .map(|(ef, bytes)| FolderFile {
                name: format!("{}.bin", ef.name()),
                bytes: Zeroizing::new(bytes.to_vec()),
            })
            .collect();
        let json =
            serde_json::to_string_pretty(&manifest).map_err(|source| ChipImageError::Json {
                file: MANIFEST_FILE,
                source,
            })?;
        out.push(FolderFile {
            name: MANIFEST_FILE.into(),
            bytes: Zeroizing::new((json + "\n").into_bytes()),
        });
        if manifest.chip_keys {
            let json = serde_json::to_string_pretty(&self.keys).map_err(|source| {
                ChipImageError::Json {
                    file: CHIP_KEYS_FILE,
                    source,
                }
            })?;
            out.push(FolderFile {
                name: CHIP_KEYS_FILE.into(),
                bytes: Zeroizing::new(json.into_bytes()),
            });
        }
        Ok((manifest, out))
    }

    /// Rebuilds an image from its folder form: `read` gives the bytes of each name of
    /// [`ChipImage::folder_names`] (`None` when the folder has no such file). Every data group
    /// hash is re-checked against EF.SOD, and manifest.json, when present, against the files.
    pub fn from_folder<E: From<ChipImageError>>(
        mut read: impl FnMut(&str) -> Result<Option<Zeroizing<Vec<u8>>>, E>,
    ) -> Result<Self, E> {
        let mut files = BTreeMap::new();
        let all = [Ef::CardAccess, Ef::CardSecurity, Ef::Com, Ef::Sod]
            .into_iter()
            .chain((1..=16).filter_map(Ef::dg));
        for ef in all {
            if let Some(bytes) = read(&format!("{}.bin", ef.name()))? {
                files.insert(ef, bytes.to_vec());
            }
        }
        let keys = match read(CHIP_KEYS_FILE)? {
            Some(bytes) => {
                serde_json::from_slice(&bytes).map_err(|source| ChipImageError::Json {
                    file: CHIP_KEYS_FILE,
                    source,
                })?
            }
            None => ChipKeys::default(),
        };
        let image = Self::checked(files, keys)?;
        if let Some(text) = read(MANIFEST_FILE)? {
            image.check_manifest(&text)?;
        }
        Ok(image)
    }

    /// Checks a stated manifest against the image's files.
    fn check_manifest(&self, text: &[u8]) -> Result<(), ChipImageError> {
        let stated: Manifest =
            serde_json::from_slice(text).map_err(|source| ChipImageError::Json {
                file: MANIFEST_FILE,
                source,
            })?;
        let actual = self.manifest();
        for entry in &stated.files {
            let reason = match actual.files.iter().find(|a| a.name == entry.name) {
                None => "listed, but its file is missing",
                Some(a) if a.sha256 != entry.sha256 || a.size != entry.size => {
                    "size or SHA-256 differs from the file"
                }
                Some(_) => continue,
            };
            return Err(ChipImageError::Manifest {
                name: entry.name.clone(),
                reason,
            });
        }
        Ok(())
    }
}

/// The manifest's name in a ChipImage folder.
pub const MANIFEST_FILE: &str = "manifest.json";
/// The chip keys' name in a ChipImage folder.
pub const CHIP_KEYS_FILE: &str = "chip-keys.json";

/// One file of a ChipImage's folder form ([`ChipImage::to_folder`]).
pub struct FolderFile {
    /// Its name in the folder (`DG1.bin`, `manifest.json`, …).
    pub name: String,
    /// Its content (zeroized on drop: biometrics, chip keys).
    pub bytes: Zeroizing<Vec<u8>>,
}

impl fmt::Debug for FolderFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FolderFile({}, {} bytes)", self.name, self.bytes.len())
    }
}

mod secret_string {
    use serde::{Deserialize, Deserializer, Serializer};

    use permitkit_model::secret::SecretString;

    pub fn serialize<S: Serializer>(v: &Option<SecretString>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.serialize_some(v.expose()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<SecretString>, D::Error> {
        Ok(Option::<String>::deserialize(d)?.map(SecretString::new))
    }
}

mod plain_hex {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(v: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.serialize_some(&hex::encode(v)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        match Option::<String>::deserialize(d)? {
            Some(h) if h.len() > 2 * super::MAX_TRUST_POINT_LEN => Err(D::Error::custom(format!(
                "trust_point: longer than {} bytes",
                super::MAX_TRUST_POINT_LEN
            ))),
            Some(h) => hex::decode(h).map(Some).map_err(D::Error::custom),
            None => Ok(None),
        }
    }
}

mod secret_hex {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    use permitkit_model::secret::SecretBytes;

    pub fn serialize<S: Serializer>(v: &Option<SecretBytes>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.serialize_some(&zeroize::Zeroizing::new(hex::encode(v.expose())).as_str()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<SecretBytes>, D::Error> {
        match Option::<String>::deserialize(d)? {
            Some(h) => {
                let h = zeroize::Zeroizing::new(h);
                hex::decode(h.as_str())
                    .map(|b| Some(SecretBytes::new(b)))
                    .map_err(D::Error::custom)
            }
            None => Ok(None),
        }
    }
}
