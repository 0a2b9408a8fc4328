//! Intake: an authenticated station's package — sealed to the bureau's key-agreement key as
//! CMS EnvelopedData (RFC 5652 §6, `permitkit_pki::envelope`), opened here — checked ([`crate::checks`]), made idempotent by
//! its application number, refused when it would make a second document, signed centrally into
//! a ChipImage (ICAO 9303-10 LDS, EF.SOD by the bureau's Document Signer) and queued for a line.
//!
//! Idempotence: the same package again (same SHA-256) returns the first answer; another package
//! under a number already received is refused. A document number already held is refused unless
//! the application declares the card its replacement (the station's own rule), and so is a
//! second application for the same person (an HMAC of nationality, birth date and MRZ name
//! under the bureau's secret) without a declared replacement. Concurrent submissions are
//! serialized by transaction-scoped advisory locks on the application number, the document
//! number and the person.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use deadpool_postgres::Pool;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

use permitkit_lds::ChipImage;
use permitkit_model::profiles::Registry;
use permitkit_model::secret::SecretBytes;
use permitkit_pki::desk::DeskKeyPair;
use permitkit_pki::envelope;
use permitkit_station::applicant::{self, Applicant, ChipSecrets, IssuedNumbers};
use permitkit_station::pipeline::timestamp;
use permitkit_station::signer::StationSigner;

use crate::BureauError;
use crate::checks::{self, Checked};
use crate::package::Package;

pub use crate::refusal::Refusal;

/// What the bureau answers a station.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Receipt {
    /// The application number.
    pub application: String,
    /// `queued`, `personalizing`, `issued` or `failed`.
    pub state: String,
    /// True when this package had been received before (nothing new was queued).
    pub duplicate: bool,
}

/// What the bureau tells a station about one of its applications
/// (`GET /v1/applications/{number}`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ApplicationStatus {
    /// The application number.
    pub application: String,
    /// `queued`, `personalizing`, `issued` or `failed`.
    pub state: String,
    /// Cards spoilt while personalizing it (recorded, to be destroyed; the job was queued
    /// again).
    #[serde(default)]
    pub spoilt_cards: u32,
    /// The issued card's chip serial.
    #[serde(default)]
    pub card: Option<String>,
}

/// The bureau's intake.
pub struct Intake {
    pool: Pool,
    desk: DeskKeyPair,
    registry: Registry,
    signer: Arc<StationSigner>,
    pki: PathBuf,
    secret: SecretBytes,
}

impl Intake {
    /// An intake over `pool`, opening packages with `desk`, checking against `registry`,
    /// signing with `signer`, giving the chips the EAC trust points their document profiles
    /// name inside `pki` (`eac/cvca.cvcert`, as a station reads them), filing documents under
    /// keys made with `secret` ([`crate::db::document_key_secret`]).
    pub fn new(
        pool: Pool,
        desk: DeskKeyPair,
        registry: Registry,
        signer: Arc<StationSigner>,
        pki: PathBuf,
        secret: SecretBytes,
    ) -> Self {
        Self {
            pool,
            desk,
            registry,
            signer,
            pki,
            secret,
        }
    }

    /// The database pool.
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// Receives `sealed` (a [`Package`] as JSON, sealed to the bureau's key) from the
    /// authenticated `station`, whose request signature was `station_signature`.
    pub async fn submit(
        &self,
        station: &str,
        sealed: &[u8],
        station_signature: &[u8],
    ) -> Result<Receipt, BureauError> {
        let body = envelope::open(sealed, self.desk.key(), self.desk.certificate_der())
            .map_err(|e| Refusal::Format(format!("not a package sealed to this bureau: {e}")))?;
        let body: &[u8] = &body;
        let package: Package = serde_json::from_slice(body)
            .map_err(|e| Refusal::Format(format!("not a package: line {}", e.line())))?;
        let digest = hex::encode(Sha256::digest(body));
        let first = checks::applicant(&package, &self.registry)?;
        let number = first.application.clone();
        if let Some(receipt) = self.existing(station, &number, &digest).await? {
            return Ok(receipt);
        }
        let document_number = first.mrz.document_number().to_owned();
        let person = self.person_key(&first);
        let issued = self.issued_numbers(&document_number, &number).await?;
        let registry = self.registry.clone();
        let signer = Arc::clone(&self.signer);
        let signed_number = document_number.clone();
        let pki = self.pki.clone();
        let (checked, image) = tokio::task::spawn_blocking(move || {
            let checked = checks::check(&package, &registry, &issued)?;
            let image = build(&checked, &signer, &signed_number, &pki)?;
            Ok::<_, BureauError>((checked, image))
        })
        .await??;
        let document_key = {
            let info =
                permitkit_chip::perso::mrz_information(&checked.applicant.mrz.to_dg1_string())?;
            permitkit_chip::journal::keyed_document_key(&self.secret, &info)
        };
        crate::db_clock::timed(self.record(
            station,
            station_signature,
            &Filing {
                number,
                digest,
                document_number,
                person,
                document_key,
            },
            &checked,
            &image,
        ))
        .await
    }

    /// Records the application, its signed files, chip keys and job in one transaction, under
    /// advisory locks on its number, document number and person.
    async fn record(
        &self,
        station: &str,
        station_signature: &[u8],
        filing: &Filing,
        checked: &Checked,
        image: &ChipImage,
    ) -> Result<Receipt, BureauError> {
        let Filing {
            number,
            digest,
            document_number,
            person,
            document_key,
        } = filing;
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        for lock in [number, document_number, person] {
            tx.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended($1, 16))",
                &[lock],
            )
            .await?;
        }
        // Decided again under the locks: another submission may have won the race.
        if let Some(row) = tx
            .query_opt(
                "SELECT station, package_sha256, state FROM applications WHERE application = $1",
                &[&number],
            )
            .await?
        {
            return receipt_of(station, number, digest, &row);
        }
        let replaces = checked.applicant.replaces.clone();
        if let Some(row) = tx
            .query_opt(
                "SELECT application FROM applications WHERE document_number = $1 LIMIT 1",
                &[&document_number],
            )
            .await?
            && replaces.as_deref() != Some(document_number.as_str())
        {
            return Err(Refusal::DocumentTaken(row.try_get(0)?).into());
        }
        if let Some(row) = tx
            .query_opt(
                "SELECT application FROM applications WHERE person_key = $1 LIMIT 1",
                &[&person],
            )
            .await?
            && replaces.is_none()
        {
            return Err(Refusal::NeedsReplacement(row.try_get(0)?).into());
        }
        tx.execute(
            "INSERT INTO applications (application, station, package_sha256, station_signature, \
             document_number, person_key, replaces, state) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'queued')",
            &[
                &number,
                &station,
                &digest,
                &station_signature,
                &document_number,
                &person,
                &replaces,
            ],
        )
        .await?;
        for (ef, bytes) in image.files() {
            tx.execute(
                "INSERT INTO chip_files (application, ef, content) VALUES ($1, $2, $3)",
                &[&number, &ef.name(), &bytes],
            )
            .await?;
        }
        let keys = zeroize::Zeroizing::new(serde_json::to_vec(image.keys()).map_err(|e| {
            BureauError::Corrupt {
                what: "chip keys".into(),
                reason: e.to_string(),
            }
        })?);
        tx.execute(
            "INSERT INTO chip_keys (application, keys_json) VALUES ($1, $2)",
            &[&number, &keys.as_slice()],
        )
        .await?;
        tx.execute(
            "INSERT INTO jobs (application, document_key, state) VALUES ($1, $2, 'queued')",
            &[&number, &document_key],
        )
        .await?;
        tx.commit().await?;
        tracing::info!(application = %number, station, "application queued");
        Ok(Receipt {
            application: number.clone(),
            state: "queued".into(),
            duplicate: false,
        })
    }

    /// The state of `application`, when `station` sent it.
    pub async fn state(
        &self,
        station: &str,
        application: &str,
    ) -> Result<Option<String>, BureauError> {
        let client = self.pool.get().await?;
        let row = client
            .query_opt(
                "SELECT state FROM applications WHERE application = $1 AND station = $2",
                &[&application, &station],
            )
            .await?;
        Ok(row.map(|r| r.try_get(0)).transpose()?)
    }

    /// What a station may know of `application`, when `station` sent it: its state, the
    /// cards spoilt on the way and the issued card's serial.
    pub async fn status(
        &self,
        station: &str,
        application: &str,
    ) -> Result<Option<ApplicationStatus>, BureauError> {
        let client = self.pool.get().await?;
        let row = client
            .query_opt(
                "SELECT a.state, \
                   (SELECT count(*) FROM cards c WHERE c.application = a.application \
                      AND c.outcome = 'spoilt'), \
                   (SELECT serial FROM cards c WHERE c.application = a.application \
                      AND c.outcome = 'issued') \
                 FROM applications a WHERE a.application = $1 AND a.station = $2",
                &[&application, &station],
            )
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let spoilt: i64 = row.try_get(1)?;
        Ok(Some(ApplicationStatus {
            application: application.to_owned(),
            state: row.try_get(0)?,
            spoilt_cards: u32::try_from(spoilt).unwrap_or(u32::MAX),
            card: row.try_get(2)?,
        }))
    }

    async fn existing(
        &self,
        station: &str,
        number: &str,
        digest: &str,
    ) -> Result<Option<Receipt>, BureauError> {
        let row = crate::db_clock::timed(async {
            let client = self.pool.get().await?;
            client
                .query_opt(
                    "SELECT station, package_sha256, state FROM applications WHERE application = $1",
                    &[&number],
                )
                .await
                .map_err(BureauError::from)
        })
        .await?;
        row.map(|row| receipt_of(station, number, digest, &row))
            .transpose()
    }

    /// The document numbers the bureau holds under other applications, as the station's
    /// validation reads them.
    async fn issued_numbers(
        &self,
        document_number: &str,
        application: &str,
    ) -> Result<IssuedNumbers, BureauError> {
        let rows = crate::db_clock::timed(async {
            let client = self.pool.get().await?;
            client
                .query(
                    "SELECT application FROM applications WHERE document_number = $1 AND application <> $2",
                    &[&document_number, &application],
                )
                .await
                .map_err(BureauError::from)
        })
        .await?;
        let mut issued = IssuedNumbers::new();
        for row in rows {
            let by: String = row.try_get(0)?;
            issued.insert(document_number, by);
        }
        Ok(issued)
    }

    /// HMAC-SHA-256 (RFC 2104) under the bureau's secret of the holder's nationality, date of
    /// birth and MRZ name: the same person across documents, unreadable without the secret.
    fn person_key(&self, applicant: &Applicant) -> String {
        let lines = applicant.mrz.lines();
        let second = lines.get(1).map_or("", String::as_str);
        let third = lines.get(2).map_or("", String::as_str);
        let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(self.secret.expose()) else {
            return String::new();
        };
        mac.update(b"permitkit person v1\0");
        mac.update(second.get(..7).unwrap_or(second).as_bytes());
        mac.update(b"\0");
        mac.update(second.get(15..18).unwrap_or("").as_bytes());
        mac.update(b"\0");
        mac.update(third.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

/// What an application is filed under.
struct Filing {
    number: String,
    digest: String,
    document_number: String,
    person: String,
    document_key: String,
}

/// The answer for a package whose number is already known.
fn receipt_of(
    station: &str,
    number: &str,
    digest: &str,
    row: &tokio_postgres::Row,
) -> Result<Receipt, BureauError> {
    let owner: String = row.try_get(0)?;
    let known: String = row.try_get(1)?;
    let state: String = row.try_get(2)?;
    if owner != station {
        return Err(Refusal::OtherStation(number.to_owned()).into());
    }
    if known != digest {
        return Err(Refusal::ConflictingPackage(number.to_owned()).into());
    }
    Ok(Receipt {
        application: number.to_owned(),
        state,
        duplicate: true,
    })
}

/// The ChipImage of document `document_number`, signed by the bureau's Document Signer (its
/// policy and audit log when it is a token key), with fresh chip keys and, when the document
/// profile puts data groups behind Extended Access Control, the trust point from `pki` the chip
/// will check terminals against (ICAO Doc 9303-11 §7.1).
fn build(
    checked: &Checked,
    signer: &StationSigner,
    document_number: &str,
    pki: &Path,
) -> Result<ChipImage, BureauError> {
    let profile = &checked.applicant.document_profile;
    let secrets =
        ChipSecrets::generate(profile.chip.can_digits, profile.chip.active_authentication)
            // Chip Authentication key made here, as a station makes it for a chip that does
            // not generate its own.
            .and_then(|s| s.with_chip_authentication(profile, None))
            .map_err(|e| Refusal::Build(e.to_string()))?;
    let secrets = match permitkit_station::eac::trust_point_for(profile, pki)? {
        Some(cvca) => secrets.with_trust_point(cvca),
        None => secrets,
    };
    let now = SystemTime::now();
    let enrolment = applicant::enrolment(
        &checked.applicant,
        &checked.captures,
        &secrets,
        Some((timestamp(now), "permitkit-bureau".to_owned())),
    )
    .map_err(|e| Refusal::Build(e.to_string()))?;
    signer.check(now)?;
    Ok(signer.build(&enrolment, document_number, now)?)
}
