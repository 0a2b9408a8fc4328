//! A station ready to enrol: its profile, the profile registry, the journal, the Document
//! Signer and the trusted CSCAs for verification.

use std::path::{Path, PathBuf};

use crate::journal::Journal;
use permitkit_model::profiles::{Registry, station::StationProfile};
use permitkit_pki::{DocumentSigner, signer::read_certificate};

/// Everything a station needs beyond the devices (which are opened per step).
#[derive(Debug)]
pub struct Station {
    /// The station profile.
    pub profile: StationProfile,
    /// Every profile (built-ins plus the user's folder).
    pub registry: Registry,
    /// The enrollment journal.
    pub journal: Journal,
    /// The Document Signer that signs EF.SOD.
    pub signer: DocumentSigner,
    /// Trusted CSCA certificates (DER) for passive authentication of the cards it issues.
    pub cscas: Vec<Vec<u8>>,
    /// State file of the virtual chip (`sim` card reader), so a card survives between runs.
    pub card_state: Option<PathBuf>,
    /// Fault drill for the virtual chip: it leaves the field after this many commands, as a
    /// card pulled in the middle of personalization does. Ignored for PC/SC readers.
    pub sim_card_pull_after: Option<u64>,
}

impl Station {
    /// Opens station `id` of `registry` with the PKI folder `pki` (`ds.pem`, `ds-key.pem`,
    /// `csca.pem`), the journal at `journal` (default: the profile's path) and the virtual
    /// chip's state file `card_state`.
    pub fn open(
        registry: Registry,
        id: &str,
        pki: &Path,
        journal: Option<&Path>,
        card_state: Option<PathBuf>,
    ) -> crate::Result<Self> {
        let profile = registry.station(id)?.clone();
        if let Some(p) = registry.check_station(id).into_iter().next() {
            return Err(p.into());
        }
        let journal_path =
            journal.map_or_else(|| PathBuf::from(&profile.journal), Path::to_path_buf);
        Ok(Self {
            journal: Journal::open(&journal_path)?,
            signer: DocumentSigner::load_dir(pki)?,
            cscas: vec![read_certificate(&pki.join("csca.pem"))?],
            profile,
            registry,
            card_state,
            sim_card_pull_after: None,
        })
    }
}
