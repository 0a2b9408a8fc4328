//! `permitkit-chip`'s personalization journal ([`Journal`]) kept in the bureau's database, so
//! that every line sees what every other line wrote to which card: a job reclaimed from a
//! crashed line finds the half-written card's serial in the entry, and the blank card it takes
//! instead records that card as spoilt (`perso::personalize`'s admission rule).
//!
//! Every store is fenced by the claim it is made under: it succeeds only while the job is still
//! claimed by this line with this claim's token and an unexpired lease. A line that lost its job
//! therefore cannot move a card to LOCK: `perso` stores the `Locking` state before it sends LOCK.
//! The trait is synchronous; the calls run on a blocking thread of the tokio runtime, timed by
//! [`crate::db_clock`].

use deadpool_postgres::Pool;
use permitkit_chip::ChipError;
use permitkit_chip::journal::{Journal, JournalEntry, keyed_document_key};
use permitkit_model::secret::SecretBytes;
use tokio::runtime::Handle;

use crate::queue::Claimed;

/// The journal of one claimed job.
pub struct PgJournal {
    handle: Handle,
    pool: Pool,
    secret: SecretBytes,
    claim: Claimed,
    line: String,
}

impl PgJournal {
    /// The journal seen under `claim` by `line`; `handle` runs the database calls.
    pub fn new(
        handle: Handle,
        pool: Pool,
        secret: SecretBytes,
        claim: Claimed,
        line: &str,
    ) -> Self {
        Self {
            handle,
            pool,
            secret,
            claim,
            line: line.to_owned(),
        }
    }
}

impl Journal for PgJournal {
    fn document_key(&self, mrz_information: &SecretBytes) -> Result<String, ChipError> {
        Ok(keyed_document_key(&self.secret, mrz_information))
    }

    fn load(&mut self, key: &str) -> Result<Option<JournalEntry>, ChipError> {
        let pool = self.pool.clone();
        let key = key.to_owned();
        let text: Option<String> = self.handle.block_on(crate::db_clock::timed(async move {
            let client = pool.get().await.map_err(ChipError::journal)?;
            let row = client
                .query_opt(
                    "SELECT entry::text FROM perso_journal WHERE document_key = $1",
                    &[&key],
                )
                .await
                .map_err(ChipError::journal)?;
            row.map(|r| r.try_get(0))
                .transpose()
                .map_err(ChipError::journal)
        }))?;
        text.map(|t| {
            serde_json::from_str(&t)
                .map_err(|e| ChipError::journal(format!("personalization entry: {e}")))
        })
        .transpose()
    }

    fn store(&mut self, key: &str, entry: &JournalEntry) -> Result<(), ChipError> {
        let text = serde_json::to_string(entry).map_err(ChipError::journal)?;
        let pool = self.pool.clone();
        let key = key.to_owned();
        let claim = self.claim.clone();
        let line = self.line.clone();
        let stored = self.handle.block_on(crate::db_clock::timed(async move {
            let client = pool.get().await.map_err(ChipError::journal)?;
            client
                .execute(
                    "INSERT INTO perso_journal (document_key, entry) \
                     SELECT $1, $2::text::jsonb WHERE EXISTS ( \
                       SELECT 1 FROM jobs WHERE id = $3 AND line = $4 AND attempts = $5 \
                       AND state = 'claimed' AND lease_until > now() FOR SHARE) \
                     ON CONFLICT (document_key) DO UPDATE \
                       SET entry = EXCLUDED.entry, updated_at = now()",
                    &[&key, &text, &claim.job, &line, &claim.token],
                )
                .await
                .map_err(ChipError::journal)
        }))?;
        if stored == 0 {
            return Err(ChipError::journal(
                "the job's lease was lost to another line: nothing more is written",
            ));
        }
        Ok(())
    }
}
