//! Migrations whose comments were reworded after they shipped. Their SQL is
//! the same, but sqlx checks every applied migration against the checksum
//! of its file (SHA-384), so a store that applied the earlier wording would
//! refuse to start. Before migrating, a store whose recorded checksum is
//! the earlier wording's gets the current file's; any other mismatch is
//! still sqlx's error.

use sqlx::migrate::{MigrateError, Migrator};
use sqlx::{PgPool, SqlitePool};

/// SQLite: (version, SHA-384 in hex of the wording it was applied with).
const SQLITE: &[(i64, &str)] = &[
    (3, "a93469fc0eab5fea1d7e421df5dee6cc41cb9342a37d70d0b2fe4641a2b1897eca154e462d34fb584307d578efe7b4a1"),
    (4, "9a239d94b013871a274191147b6a041cc47f938fde8cc4d294f0ea4b4f8b24c0b8738eb35ac3217fbae5ca0c75903e6e"),
    (5, "303cc637a3b9e2c2e07b1e22d6fad6bc79199f0b3e04484de6a1e582ef0959b8d8190ea77b6e0fa024d90f9baa3b5280"),
    (7, "6cea126b860b9f276c45d39b5be8f3e15ecbd593b22cc3da76eac306ff1628ad87fe6cc674792c4e3ad20d8d8de206ed"),
];

/// PostgreSQL: as [`SQLITE`].
const POSTGRES: &[(i64, &str)] = &[(
    7,
    "d1a9b0d574792dd1c23146a0f2204f4e1265db159a75384b1164994bc4896b31b910f374150f0826dc6074081d5d2b0e",
)];

/// The checksum `migrator` holds for `version`.
fn current(migrator: &Migrator, version: i64) -> Option<Vec<u8>> {
    migrator
        .iter()
        .find(|m| m.version == version)
        .map(|m| m.checksum.to_vec())
}

/// Accepts the reworded migrations in a SQLite store (see the module doc).
pub(super) async fn sqlite(pool: &SqlitePool, migrator: &Migrator) -> Result<(), MigrateError> {
    let applied: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
    )
    .fetch_one(pool)
    .await?;
    if applied == 0 {
        return Ok(());
    }
    for &(version, earlier) in SQLITE {
        let Some(now) = current(migrator, version) else {
            continue;
        };
        sqlx::query(
            "UPDATE _sqlx_migrations SET checksum = ? WHERE version = ? AND lower(hex(checksum)) = ?",
        )
        .bind(now)
        .bind(version)
        .bind(earlier)
        .execute(pool)
        .await?;
    }
    Ok(())
}

/// Accepts the reworded migrations in a PostgreSQL store (see the module doc).
pub(super) async fn postgres(pool: &PgPool, migrator: &Migrator) -> Result<(), MigrateError> {
    let applied: bool = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
        .fetch_one(pool)
        .await?;
    if !applied {
        return Ok(());
    }
    for &(version, earlier) in POSTGRES {
        let Some(now) = current(migrator, version) else {
            continue;
        };
        sqlx::query(
            "UPDATE _sqlx_migrations SET checksum = $1 WHERE version = $2 AND encode(checksum, 'hex') = $3",
        )
        .bind(now)
        .bind(version)
        .bind(earlier)
        .execute(pool)
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A store migrated with the earlier wording starts: its recorded
    /// checksums are taken for the current files'.
    #[tokio::test]
    async fn a_store_migrated_with_the_earlier_wording_opens() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}", dir.path().join("s.db").display());
        drop(super::super::Store::connect(&url).await.unwrap());
        let pool = SqlitePool::connect(&url).await.unwrap();
        for &(version, earlier) in SQLITE {
            sqlx::query(&format!(
                "UPDATE _sqlx_migrations SET checksum = x'{earlier}' WHERE version = {version}"
            ))
            .execute(&pool)
            .await
            .unwrap();
        }
        // Any other checksum is still refused.
        sqlx::query("UPDATE _sqlx_migrations SET checksum = x'00' WHERE version = 1")
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
        assert!(super::super::Store::connect(&url).await.is_err());
        let pool = SqlitePool::connect(&url).await.unwrap();
        let m = sqlx::migrate!("src/storage/migrations/sqlite");
        // The checksum sqlx records is the SHA-384 of the file, as the
        // earlier wordings' above were computed.
        let file = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/src/storage/migrations/sqlite/0001_init.sql"
        ))
        .unwrap();
        use sha2::Digest;
        assert_eq!(
            current(&m, 1).unwrap(),
            sha2::Sha384::digest(&file).to_vec()
        );
        sqlx::query("UPDATE _sqlx_migrations SET checksum = ? WHERE version = 1")
            .bind(current(&m, 1).unwrap())
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
        super::super::Store::connect(&url).await.unwrap();
    }
}
