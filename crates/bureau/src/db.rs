//! The bureau's PostgreSQL database: a connection pool (deadpool-postgres over tokio-postgres)
//! and the schema, migrated by refinery from the SQL files kept in `crates/bureau/migrations/`
//! (embedded in the binary, applied in order, each once).

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use permitkit_model::secret::SecretBytes;
use tokio_postgres::NoTls;

use crate::BureauError;

mod embedded {
    refinery::embed_migrations!("migrations");
}

/// Size of the document-key secret (see `permitkit_chip::journal::keyed_document_key`).
const DOCUMENT_KEY_SECRET: &str = "document-key";

/// A pool of at most `size` connections to `url` (`postgres://user@host:port/db`). Loopback
/// and Unix-socket connections only need no TLS; a remote database belongs behind a tunnel.
pub fn pool(url: &str, size: usize) -> Result<Pool, BureauError> {
    let config: tokio_postgres::Config = url.parse()?;
    let manager = Manager::from_config(
        config,
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(size)
        .runtime(deadpool_postgres::Runtime::Tokio1)
        .build()
        .map_err(BureauError::from)
}

/// Applies the migrations not yet applied to the database at `url`.
pub async fn migrate(url: &str) -> Result<(), BureauError> {
    let (mut client, connection) = tokio_postgres::connect(url, NoTls).await?;
    let task = tokio::spawn(connection);
    let outcome = embedded::migrations::runner()
        .run_async(&mut client)
        .await
        .map(|_| ());
    drop(client);
    let _ = task.await;
    Ok(outcome?)
}

/// The bureau's document-key secret: made once from the operating system's generator and kept
/// in the database, so every line files a document under the same key.
pub async fn document_key_secret(pool: &Pool) -> Result<SecretBytes, BureauError> {
    let mut fresh = zeroize::Zeroizing::new([0u8; 32]);
    getrandom::fill(fresh.as_mut_slice()).map_err(permitkit_model::random::RandomError::from)?;
    let client = pool.get().await?;
    client
        .execute(
            "INSERT INTO bureau_secrets (name, value) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            &[&DOCUMENT_KEY_SECRET, &fresh.as_slice()],
        )
        .await?;
    let row = client
        .query_one(
            "SELECT value FROM bureau_secrets WHERE name = $1",
            &[&DOCUMENT_KEY_SECRET],
        )
        .await?;
    let value: Vec<u8> = row.try_get(0)?;
    Ok(SecretBytes::new(value))
}
