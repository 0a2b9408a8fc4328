//! What signs EF.SOD at a station (ICAO Doc 9303-10 §4.6.2, 9303-12 §4.1): the Document
//! Signer of the `--pki` folder, a TEST ONLY file key as `pki init` writes it (the default
//! simulated station, unchanged), or the one the station profile's `[document_signer]` names —
//! a key on a PKCS #11 token (feature `pkcs11`), behind the signing policy (its private key
//! usage period and document cap) with every signature audited (`permitkit_pki::policy`).
//!
//! The profile's paths are relative to the station process's working directory, like its
//! `journal`.

use std::{path::Path, time::SystemTime};

use permitkit_lds::{self as lds, ChipImage, Enrolment, LdsError};
use permitkit_model::profiles::station::StationProfile;
use permitkit_pki::{
    DocumentSigner, DsKey, GuardedSigner, PkiError, SigningRefused, ds_key::EcdsaSignature,
    signer::FileKeySignature,
};

/// The signer a station holds.
#[derive(Debug)]
pub enum StationSigner {
    /// The `--pki` folder's Document Signer files (no policy, no audit: test PKI).
    Files(DocumentSigner),
    /// A Document Signer behind the signing policy, every signature audited.
    Guarded(GuardedSigner<DsKey>),
    /// None at this station: the central bureau signs (its enrolments end with the captures
    /// handed to the bureau, [`crate::pipeline::capture`]); building a ChipImage is refused.
    AtBureau,
}

/// Why EF.SOD was not signed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// Building or signing the LDS failed.
    #[error(transparent)]
    Lds(#[from] LdsError),
    /// The signing policy refused the signature.
    #[error(transparent)]
    Refused(#[from] SigningRefused),
    /// The station has no Document Signer: the central bureau signs.
    #[error("this station has no Document Signer: the central bureau signs its applications")]
    AtBureau,
}

/// Why the station's Document Signer could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignerSetupError {
    /// The `--pki` files.
    #[error(transparent)]
    Files(#[from] PkiError),
    /// The token, its certificate or the audit.
    #[cfg(feature = "pkcs11")]
    #[error("station {station}: the [document_signer] on the token")]
    Token {
        /// The station profile id.
        station: String,
        /// What failed.
        #[source]
        source: permitkit_pki::token_signer::TokenSignerError,
    },
    /// The profile names a token and this build cannot talk to one.
    #[error(
        "station {station}: its [document_signer] is a key on a PKCS #11 token, and this build \
         has no PKCS #11 support (build with the `pkcs11` feature)"
    )]
    NoPkcs11 {
        /// The station profile id.
        station: String,
    },
}

impl StationSigner {
    /// The Document Signer of the `--pki` folder (`ds.pem`, `ds-key.pem`).
    pub fn files(pki: &Path) -> Result<Self, PkiError> {
        Ok(Self::Files(DocumentSigner::load_dir(pki)?))
    }

    /// The signer of the station: its profile's `[document_signer]` when it has one, else the
    /// `--pki` folder's files.
    pub fn for_station(profile: &StationProfile, pki: &Path) -> Result<Self, SignerSetupError> {
        match &profile.document_signer {
            None => Ok(Self::files(pki)?),
            #[cfg(feature = "pkcs11")]
            Some(slot) => token(profile, slot),
            #[cfg(not(feature = "pkcs11"))]
            Some(_) => Err(SignerSetupError::NoPkcs11 {
                station: profile.id.clone(),
            }),
        }
    }

    /// The Document Signer certificate, DER (empty when the bureau signs).
    pub fn certificate_der(&self) -> &[u8] {
        match self {
            Self::Files(s) => s.certificate_der(),
            Self::Guarded(g) => g.certificate_der(),
            Self::AtBureau => &[],
        }
    }

    /// Whether the signer may sign now (the guarded signer's period and cap; the files have no
    /// policy beyond the certificate's own checks in `lds::build`).
    pub fn check(&self, now: SystemTime) -> Result<(), SigningRefused> {
        match self {
            Self::Files(_) | Self::AtBureau => Ok(()),
            Self::Guarded(g) => g.check(now),
        }
    }

    /// Builds and signs the LDS of `enrolment`, whose document number is `document_number`
    /// (audited as its HMAC), at `now`.
    pub fn build(
        &self,
        enrolment: &Enrolment,
        document_number: &str,
        now: SystemTime,
    ) -> Result<ChipImage, SignError> {
        match self {
            Self::Files(s) => Ok(lds::build::<_, FileKeySignature>(
                enrolment,
                s.certificate_der(),
                s.signer(),
                now,
            )?),
            Self::Guarded(g) => {
                let ticket = g.for_document(document_number);
                lds::build::<_, EcdsaSignature>(enrolment, g.certificate_der(), &ticket, now)
                    .map_err(|e| {
                        ticket
                            .refusal()
                            .map_or(SignError::Lds(e), SignError::Refused)
                    })
            }
            Self::AtBureau => Err(SignError::AtBureau),
        }
    }
}

#[cfg(feature = "pkcs11")]
fn token(
    profile: &StationProfile,
    slot: &permitkit_model::profiles::station::DocumentSignerSlot,
) -> Result<StationSigner, SignerSetupError> {
    use permitkit_pki::{
        pkcs11::{PinSource, Pkcs11Uri},
        token_signer::{TokenSigner, TokenSignerError},
    };
    let fail = |source: TokenSignerError| SignerSetupError::Token {
        station: profile.id.clone(),
        source,
    };
    let uri =
        Pkcs11Uri::parse(&slot.key_uri).map_err(|e| fail(TokenSignerError::Token(e.into())))?;
    let source = match (&slot.pin_file, &slot.pin_env) {
        (Some(file), _) => PinSource::File(file.into()),
        (None, Some(var)) => PinSource::Env(var.clone()),
        // Profile validation requires one of the two.
        (None, None) => PinSource::Env(String::new()),
    };
    let pin = source.read().map_err(|e| fail(e.into()))?;
    let guarded = TokenSigner {
        module: slot.module.as_deref().map(Path::new),
        key_uri: &uri,
        pin,
        certificate: Path::new(&slot.certificate),
        max_documents: slot.max_documents(),
        audit_log: Path::new(&slot.audit_log),
        audit_key: Path::new(&slot.audit_key),
        station: &profile.station_id,
    }
    .open()
    .map_err(fail)?;
    Ok(StationSigner::Guarded(guarded))
}
