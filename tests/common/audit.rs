//! Reaching past the daemon into its audit tables, as someone with
//! database access could: to show that what they change is caught.

use sha2::{Digest, Sha256};

/// Runs `statements` on the store at `db`.
pub async fn sql(db: &str, statements: &[String]) {
    use sqlx::Connection;
    if db.starts_with("sqlite:") {
        let mut c = sqlx::SqliteConnection::connect(db).await.unwrap();
        for s in statements {
            sqlx::query(s).execute(&mut c).await.unwrap();
        }
    } else {
        let mut c = sqlx::PgConnection::connect(db).await.unwrap();
        for s in statements {
            sqlx::query(s).execute(&mut c).await.unwrap();
        }
    }
}

/// One stored record: (seq, record, prev, hash).
pub type Row = (i64, String, String, String);

/// Every stored record, in seq order.
pub async fn chain(db: &str) -> Vec<Row> {
    use sqlx::{Connection, Row};
    let q = "SELECT seq, record, prev, hash FROM audit_log ORDER BY seq";
    if db.starts_with("sqlite:") {
        let mut c = sqlx::SqliteConnection::connect(db).await.unwrap();
        let rows = sqlx::query(q).fetch_all(&mut c).await.unwrap();
        rows.iter()
            .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
            .collect()
    } else {
        let mut c = sqlx::PgConnection::connect(db).await.unwrap();
        let rows = sqlx::query(q).fetch_all(&mut c).await.unwrap();
        rows.iter()
            .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
            .collect()
    }
}

/// The seq of the newest checkpoint kept.
pub async fn last_checkpoint(db: &str) -> i64 {
    use sqlx::{Connection, Row};
    let q = "SELECT MAX(seq) FROM audit_checkpoints";
    if db.starts_with("sqlite:") {
        let mut c = sqlx::SqliteConnection::connect(db).await.unwrap();
        sqlx::query(q).fetch_one(&mut c).await.unwrap().get(0)
    } else {
        let mut c = sqlx::PgConnection::connect(db).await.unwrap();
        sqlx::query(q).fetch_one(&mut c).await.unwrap().get(0)
    }
}

/// A SQL string literal.
pub fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Record `k`'s line with its first status changed.
pub fn changed(record: &str) -> String {
    record.replacen("\"status\":", "\"status\":1", 1)
}

/// Rewrites the chain from record `k` on: record `k` changed, every hash
/// after it recomputed, so that the chain alone still walks.
pub async fn rewrite_from(db: &str, k: i64) {
    let rows = chain(db).await;
    let start = rows.iter().find(|r| r.0 == k).unwrap();
    let mut prev: [u8; 32] = (0..32)
        .map(|i| u8::from_str_radix(&start.2[2 * i..2 * i + 2], 16).unwrap())
        .collect::<Vec<_>>()
        .try_into()
        .unwrap();
    let mut rewrite = Vec::new();
    for (seq, rec, _, _) in rows.iter().filter(|r| r.0 >= k) {
        let rec = if *seq == k { changed(rec) } else { rec.clone() };
        let h: [u8; 32] = Sha256::new()
            .chain_update(prev)
            .chain_update(rec.as_bytes())
            .finalize()
            .into();
        rewrite.push(format!(
            "UPDATE audit_log SET record = {}, prev = {}, hash = {} WHERE seq = {seq}",
            quote(&rec),
            quote(&hex(&prev)),
            quote(&hex(&h))
        ));
        prev = h;
    }
    sql(db, &rewrite).await;
}
