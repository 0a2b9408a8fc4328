//! A station ready to enrol (ARCHITECTURE.md §5): its profile with every profile it names
//! resolved once — devices, chip, portrait quality — the device factory that opens the devices
//! when a step needs them, the journal, the Document Signer and the trusted CSCAs.

use std::{
    fmt,
    path::{Path, PathBuf},
};

use crate::journal::Journal;
use crate::signer::StationSigner;
use permitkit_devices::factory::{DeviceFactory, DeviceSlots};
use permitkit_model::profiles::{
    ChipProfile, Registry, quality::QualityProfile, station::StationProfile,
};
use permitkit_pki::{signer::read_certificate, trust::TrustStore};

/// Everything a station needs to enrol.
pub struct Station {
    /// The station profile.
    pub profile: StationProfile,
    /// Every profile (built-ins plus the user's folder).
    pub registry: Registry,
    /// The station's devices: selectors with their profiles and timeouts.
    pub devices: DeviceSlots,
    /// Opens the devices.
    pub factory: Box<dyn DeviceFactory>,
    /// The chip profile of the cards the station writes.
    pub chip: ChipProfile,
    /// The portrait quality profile.
    pub quality: QualityProfile,
    /// The enrollment journal.
    pub journal: Journal,
    /// The Document Signer that signs EF.SOD: the `--pki` files, or the profile's
    /// `[document_signer]` on a token, behind its signing policy.
    pub signer: StationSigner,
    /// The trust store for passive authentication of the cards it issues: the `--pki`
    /// folder's csca.pem, or a store given (`enroll --trust`: CSCAs, master lists, CRLs).
    pub trust: TrustStore,
    /// The `--pki` folder: a document profile's EAC trust point and the station's
    /// inspection-system terminal are read from it ([`crate::eac`]).
    pub pki: PathBuf,
}

impl fmt::Debug for Station {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Station")
            .field("profile", &self.profile.id)
            .field("devices", &self.devices)
            .field("chip", &self.chip.id)
            .field("journal", &self.journal)
            .finish_non_exhaustive()
    }
}

/// Where a station's ChipImages are signed.
enum Signing {
    /// Here: by the signer given, else the profile's `[document_signer]` or the `pki` files;
    /// the cards are checked against `pki`'s csca.pem.
    Here(Option<Box<StationSigner>>),
    /// At the central bureau: no signer, no trusted CSCA at the station.
    AtBureau,
}

impl Station {
    /// Opens station `id` of `registry` with the PKI folder `pki` (`ds.pem`, `ds-key.pem`,
    /// `csca.pem`), the journal at `journal` (default: the profile's path), opening devices
    /// through `factory`. Every profile the station names is checked and resolved here.
    pub fn open(
        registry: Registry,
        id: &str,
        pki: &Path,
        journal: Option<&Path>,
        factory: Box<dyn DeviceFactory>,
    ) -> crate::Result<Self> {
        Self::open_signed(registry, id, pki, journal, factory, None)
    }

    /// [`Station::open`] with the signer `signer` when given (a token key named on the command
    /// line), instead of the profile's `[document_signer]` or the `--pki` files; the trusted
    /// CSCA still comes from `pki` (`csca.pem`).
    pub fn open_signed(
        registry: Registry,
        id: &str,
        pki: &Path,
        journal: Option<&Path>,
        factory: Box<dyn DeviceFactory>,
        signer: Option<StationSigner>,
    ) -> crate::Result<Self> {
        Self::assemble(registry, id, pki, journal, factory, Signing::Here(signer.map(Box::new)))
    }

    /// Opens station `id` for enrolments whose card the central bureau signs and makes
    /// ([`crate::pipeline::capture`]): no Document Signer ([`StationSigner::AtBureau`]) and no
    /// trusted CSCA, so nothing is read from `pki` (it may be empty or missing). Building a
    /// ChipImage at such a station fails with
    /// [`StepError::NoDocumentSigner`](crate::pipeline::StepError::NoDocumentSigner).
    pub fn open_for_bureau(
        registry: Registry,
        id: &str,
        pki: &Path,
        journal: Option<&Path>,
        factory: Box<dyn DeviceFactory>,
    ) -> crate::Result<Self> {
        Self::assemble(registry, id, pki, journal, factory, Signing::AtBureau)
    }

    /// The station, signing here or at the bureau.
    fn assemble(
        registry: Registry,
        id: &str,
        pki: &Path,
        journal: Option<&Path>,
        factory: Box<dyn DeviceFactory>,
        signing: Signing,
    ) -> crate::Result<Self> {
        let profile = registry.station(id)?.clone();
        if let Some(p) = registry.check_station(id).into_iter().next() {
            return Err(p.into());
        }
        let devices = DeviceSlots::resolve(&profile, &registry)?;
        let chip = registry.chip(&profile.chip.profile)?.clone();
        let quality = registry.quality(&profile.quality_profile)?.clone();
        let journal_path =
            journal.map_or_else(|| PathBuf::from(&profile.journal), Path::to_path_buf);
        let journal = Journal::open(&journal_path)?;
        let (signer, trust) = match signing {
            Signing::Here(signer) => (
                match signer {
                    Some(s) => *s,
                    None => StationSigner::for_station(&profile, pki)?,
                },
                TrustStore::from_certificates(&[read_certificate(&pki.join("csca.pem"))?]),
            ),
            Signing::AtBureau => (StationSigner::AtBureau, TrustStore::default()),
        };
        Ok(Self {
            journal,
            signer,
            trust,
            pki: pki.to_path_buf(),
            devices,
            factory,
            chip,
            quality,
            profile,
            registry,
        })
    }
}
