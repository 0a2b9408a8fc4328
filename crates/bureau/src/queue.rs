//! The personalization queue in PostgreSQL: a line claims the oldest claimable job with
//! `FOR UPDATE SKIP LOCKED` (lines never wait on each other's rows) under a lease it renews
//! while it works; a job whose lease ran out — its line crashed or was cut off — is claimable
//! again. Each claim increments the job's `attempts`, which is the claim's fencing token: a
//! report, a journal write or a heartbeat is accepted only under the current token.
//!
//! A line reports a card in one transaction: the card issued (its serial, signed by the line's
//! key), every card the chip journal gave up as spoilt, the job done, the application issued,
//! and the ChipImage (biometrics) and chip keys deleted. A failed attempt records its card as
//! spoilt and queues the job again, until [`MAX_ATTEMPTS`].

use std::collections::BTreeMap;
use std::time::Duration;

use deadpool_postgres::Pool;
use p256::ecdsa::{Signature, SigningKey, signature::Signer};

use permitkit_lds::{ChipKeys, Ef};

use crate::BureauError;

/// Claims of one job before it is given up as failed.
pub const MAX_ATTEMPTS: i32 = 5;

/// A job claimed by a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    /// The job id.
    pub job: i64,
    /// The application number.
    pub application: String,
    /// The document key (HMAC of the MRZ information) the chip journal files it under.
    pub document_key: String,
    /// The claim's fencing token (the job's attempt number).
    pub token: i32,
}

/// The signed files and keys of a claimed job.
pub struct JobImage {
    /// Every file by EF.
    pub files: BTreeMap<Ef, Vec<u8>>,
    /// CAN and Active Authentication private key.
    pub keys: ChipKeys,
}

fn secs(lease: Duration) -> f64 {
    lease.as_secs_f64()
}

/// Claims the oldest queued job, or one whose lease expired, for `line`.
pub async fn claim(
    pool: &Pool,
    line: &str,
    lease: Duration,
) -> Result<Option<Claimed>, BureauError> {
    crate::db_clock::timed(claim_untimed(pool, line, lease)).await
}

async fn claim_untimed(
    pool: &Pool,
    line: &str,
    lease: Duration,
) -> Result<Option<Claimed>, BureauError> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    let row = tx
        .query_opt(
            "UPDATE jobs SET state = 'claimed', line = $1, \
               lease_until = now() + make_interval(secs => $2), \
               attempts = attempts + 1, claimed_at = clock_timestamp() \
             WHERE id = ( \
               SELECT id FROM jobs \
               WHERE (state = 'queued' OR (state = 'claimed' AND lease_until < now())) \
               ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) \
             RETURNING id, application, document_key, attempts",
            &[&line, &secs(lease)],
        )
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let claimed = Claimed {
        job: row.try_get(0)?,
        application: row.try_get(1)?,
        document_key: row.try_get(2)?,
        token: row.try_get(3)?,
    };
    tx.execute(
        "UPDATE applications SET state = 'personalizing', updated_at = now() WHERE application = $1",
        &[&claimed.application],
    )
    .await?;
    tx.commit().await?;
    Ok(Some(claimed))
}

/// Renews the lease; `false` when the claim was lost.
pub async fn heartbeat(
    pool: &Pool,
    claim: &Claimed,
    line: &str,
    lease: Duration,
) -> Result<bool, BureauError> {
    let client = pool.get().await?;
    let n = client
        .execute(
            "UPDATE jobs SET lease_until = now() + make_interval(secs => $4) \
             WHERE id = $1 AND line = $2 AND attempts = $3 AND state = 'claimed'",
            &[&claim.job, &line, &claim.token, &secs(lease)],
        )
        .await?;
    Ok(n == 1)
}

/// The claimed job's signed files and chip keys.
pub async fn image(pool: &Pool, claim: &Claimed) -> Result<JobImage, BureauError> {
    crate::db_clock::timed(image_untimed(pool, claim)).await
}

async fn image_untimed(pool: &Pool, claim: &Claimed) -> Result<JobImage, BureauError> {
    let client = pool.get().await?;
    let corrupt = |reason: String| BureauError::Corrupt {
        what: format!("application {}", claim.application),
        reason,
    };
    let mut files = BTreeMap::new();
    for row in client
        .query(
            "SELECT ef, content FROM chip_files WHERE application = $1",
            &[&claim.application],
        )
        .await?
    {
        let name: String = row.try_get(0)?;
        let ef = Ef::from_name(&name).ok_or_else(|| corrupt(format!("unknown file {name}")))?;
        files.insert(ef, row.try_get(1)?);
    }
    let row = client
        .query_opt(
            "SELECT keys_json FROM chip_keys WHERE application = $1",
            &[&claim.application],
        )
        .await?
        .ok_or_else(|| corrupt("no chip keys".into()))?;
    let json = zeroize::Zeroizing::new(row.try_get::<_, Vec<u8>>(0)?);
    let keys = serde_json::from_slice(&json).map_err(|e| corrupt(e.to_string()))?;
    Ok(JobImage { files, keys })
}

/// The bytes a line signs for a card it reports.
pub fn card_statement(application: &str, serial: &str, outcome: &str) -> Vec<u8> {
    format!("permitkit-card-v1\n{application}\n{serial}\n{outcome}").into_bytes()
}

fn sign_card(key: &SigningKey, application: &str, serial: &str, outcome: &str) -> Vec<u8> {
    let signature: Signature = key.sign(&card_statement(application, serial, outcome));
    signature.to_der().as_bytes().to_vec()
}

/// Reports the card `serial` issued for `claim` (with the cards given up as `spoilt` on the
/// way), in one transaction. `false` when the claim was lost meanwhile: nothing is recorded as
/// issued, and the card is recorded as spoilt instead.
pub async fn complete(
    pool: &Pool,
    claim: &Claimed,
    line: &str,
    key: &SigningKey,
    serial: &str,
    spoilt: &[String],
) -> Result<bool, BureauError> {
    crate::db_clock::timed(complete_untimed(pool, claim, line, key, serial, spoilt)).await
}

async fn complete_untimed(
    pool: &Pool,
    claim: &Claimed,
    line: &str,
    key: &SigningKey,
    serial: &str,
    spoilt: &[String],
) -> Result<bool, BureauError> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    let fenced = tx
        .execute(
            "UPDATE jobs SET state = 'done', finished_at = clock_timestamp(), lease_until = NULL, \
               last_error = NULL \
             WHERE id = $1 AND line = $2 AND attempts = $3 AND state = 'claimed'",
            &[&claim.job, &line, &claim.token],
        )
        .await?;
    if fenced != 1 {
        drop(tx);
        record_spoilt_untimed(
            pool,
            claim,
            line,
            key,
            serial,
            "finished after its job was lost",
        )
        .await?;
        return Ok(false);
    }
    let signature = sign_card(key, &claim.application, serial, "issued");
    tx.execute(
        "INSERT INTO cards (serial, application, line, outcome, line_signature) \
         VALUES ($1, $2, $3, 'issued', $4)",
        &[&serial, &claim.application, &line, &signature],
    )
    .await?;
    for s in spoilt {
        let signature = sign_card(key, &claim.application, s, "spoilt");
        tx.execute(
            "INSERT INTO cards (serial, application, line, outcome, reason, line_signature) \
             VALUES ($1, $2, $3, 'spoilt', 'replaced after an interrupted personalization', $4) \
             ON CONFLICT (serial) DO NOTHING",
            &[&s, &claim.application, &line, &signature],
        )
        .await?;
    }
    tx.execute(
        "UPDATE applications SET state = 'issued', updated_at = now() WHERE application = $1",
        &[&claim.application],
    )
    .await?;
    // Retention: the biometrics and keys leave the bureau once the card is verified.
    tx.execute(
        "DELETE FROM chip_files WHERE application = $1",
        &[&claim.application],
    )
    .await?;
    tx.execute(
        "DELETE FROM chip_keys WHERE application = $1",
        &[&claim.application],
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Records `serial` as spoilt for `claim`'s application.
pub async fn record_spoilt(
    pool: &Pool,
    claim: &Claimed,
    line: &str,
    key: &SigningKey,
    serial: &str,
    reason: &str,
) -> Result<(), BureauError> {
    crate::db_clock::timed(record_spoilt_untimed(
        pool, claim, line, key, serial, reason,
    ))
    .await
}

async fn record_spoilt_untimed(
    pool: &Pool,
    claim: &Claimed,
    line: &str,
    key: &SigningKey,
    serial: &str,
    reason: &str,
) -> Result<(), BureauError> {
    let client = pool.get().await?;
    let signature = sign_card(key, &claim.application, serial, "spoilt");
    client
        .execute(
            "INSERT INTO cards (serial, application, line, outcome, reason, line_signature) \
             VALUES ($1, $2, $3, 'spoilt', $4, $5) ON CONFLICT (serial) DO NOTHING",
            &[&serial, &claim.application, &line, &reason, &signature],
        )
        .await?;
    Ok(())
}

/// A failed attempt: the card (when one was identified) recorded as spoilt and the job queued
/// again, or failed after [`MAX_ATTEMPTS`], in one transaction.
pub async fn fail(
    pool: &Pool,
    claim: &Claimed,
    line: &str,
    key: &SigningKey,
    card: Option<&str>,
    reason: &str,
) -> Result<(), BureauError> {
    crate::db_clock::timed(fail_untimed(pool, claim, line, key, card, reason)).await
}

async fn fail_untimed(
    pool: &Pool,
    claim: &Claimed,
    line: &str,
    key: &SigningKey,
    card: Option<&str>,
    reason: &str,
) -> Result<(), BureauError> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    let row = tx
        .query_opt(
            "UPDATE jobs SET state = CASE WHEN attempts >= $4 THEN 'failed' ELSE 'queued' END, \
               line = NULL, lease_until = NULL, last_error = $5 \
             WHERE id = $1 AND line = $2 AND attempts = $3 AND state = 'claimed' \
             RETURNING state",
            &[&claim.job, &line, &claim.token, &MAX_ATTEMPTS, &reason],
        )
        .await?;
    if let Some(row) = row {
        let state: String = row.try_get(0)?;
        let application_state = if state == "failed" {
            "failed"
        } else {
            "queued"
        };
        tx.execute(
            "UPDATE applications SET state = $2, updated_at = now() WHERE application = $1",
            &[&claim.application, &application_state],
        )
        .await?;
    }
    if let Some(serial) = card {
        let signature = sign_card(key, &claim.application, serial, "spoilt");
        tx.execute(
            "INSERT INTO cards (serial, application, line, outcome, reason, line_signature) \
             VALUES ($1, $2, $3, 'spoilt', $4, $5) ON CONFLICT (serial) DO NOTHING",
            &[&serial, &claim.application, &line, &reason, &signature],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}
