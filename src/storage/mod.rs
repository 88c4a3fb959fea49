//! Storage: SQLite (the embedded default) or PostgreSQL (at scale), one
//! schema meaning, migrations applied at start (`sqlx::migrate!`).
//!
//! ```text
//! engine ──Batch──▶ writer (batched transactions, bounded buffer) ──▶ store ◀── api reads
//! ```
//!
//! What is kept: every position report after duplicate collapse, static
//! data on change, every alert state change (with its sequence number per
//! alert), and, beside the database, the raw lines as received
//! ([`raw`]). SQL text is shared between the databases where it can be
//! (`$N` placeholders work on both). Positions are stored in blocks, one
//! per vessel, grid cell, hour and batch ([`blocks`]), with multi-row
//! `INSERT` on SQLite and `COPY` into day partitions on PostgreSQL.

use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, QueryBuilder, Row, SqlitePool};
use tracing::warn;

use aiswatch_core::ids::{AlertId, Mmsi};
use aiswatch_core::time::Millis;
use aiswatch_engine::track::StaticInfo;

mod acks;
mod alerts;
pub mod audit;
mod blocks;
pub mod cluster;
pub mod config;
pub mod delivery;
pub mod federation;
mod holds;
mod model;
mod positions;
mod postgres;
pub mod raw;
pub mod rebuild;
mod reworded;
mod sqlite;
mod write;
pub mod writer;
mod zones;

#[cfg(test)]
pub(crate) mod tests;

pub use acks::Ack;
pub use aiswatch_engine::record::{Batch, HeardRow, PositionRow, StaticRow, Tick};
pub use config::StorageConfig;
pub use holds::{Hold, ZoneCopy, NO_RAW_HOLD};
pub use model::*;
pub use write::Prepared;
pub use zones::ZoneVersion;

/// Cells a box query enumerates before it goes by time instead.
const MAX_QUERY_CELLS: usize = 1024;
/// SQLite: bytes of the file read through a memory map (SQLite's own cap,
/// 2 GiB): index and row lookups read the page cache in place instead of
/// copying each page with a system call; shared by every connection.
const SQLITE_MMAP_BYTES: &str = "2147418112";
/// SQLite: the page size of a store made new, bytes (SQLite's own default is
/// 4 KiB). A store is mostly position blocks of a few hundred bytes,
/// appended, and each page a transaction changes is written twice (a frame
/// of the WAL, then into the file at a checkpoint): with 16 KiB pages the
/// same bytes go in a quarter of the writes, through shallower B-trees. A
/// store made with pages of another size keeps them (SQLite sets the size
/// only when it makes the file).
const SQLITE_PAGE_BYTES: u32 = 16 << 10;
/// SQLite: WAL bytes before a commit checkpoints them into the file, 16
/// MiB (SQLite's default is 1,000 pages). A batch dirties thousands of
/// index pages, mostly the same ones batch after batch: checkpointing
/// after several batches writes such a page into the file once, not each
/// time. The WAL file grows until a checkpoint has copied all of it and no
/// reader still reads from it; only then does the next commit write from
/// its start again, so this interval, plus what readers hold back, is
/// how large the file gets (see [`SQLITE_WAL_FORCE_BYTES`]). Set on each
/// connection in its store's pages.
const SQLITE_WAL_AUTOCHECKPOINT_BYTES: i64 = 16 << 20;
/// SQLite: a WAL file this large (bytes) means the checkpoints after
/// commits did not get to start it over (readers kept reading from it, or
/// one transaction was this large): the writer then checkpoints all of it
/// and truncates it, waiting up to [`SQLITE_WAL_FORCE_WAIT`] for readers.
pub(crate) const SQLITE_WAL_FORCE_BYTES: u64 = 32 << 20;
/// SQLite: how long a forced checkpoint waits for readers to finish.
pub(crate) const SQLITE_WAL_FORCE_WAIT: Duration = Duration::from_millis(250);
/// SQLite: how long the writer waits for a lock another connection holds.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// SQLite: rows a query's worker thread may run ahead of the reader (sqlx's
/// default, 50, hands over between threads every 50 rows: a box query's
/// thousands of rows then cost more in hand-overs than in SQLite).
const SQLITE_ROW_BUFFER: usize = 4096;
/// SQLite: page cache of a reading connection (KiB, as a negative number).
const SQLITE_CACHE_KIB: &str = "-65536";
/// SQLite: page cache of the writing connection (KiB): the leaf pages that
/// new positions go into (one or two per grid cell and per vessel) stay in
/// it from one transaction to the next.
const SQLITE_WRITER_CACHE_KIB: &str = "-262144";
/// SQLite: the WAL file is cut back to this after a checkpoint (bytes).
const SQLITE_WAL_KEEP_BYTES: &str = "67108864";
const POSITION_COLUMNS: &str =
    "mmsi, t, lon, lat, sog_dkn, cog_ddeg, heading, nav_status, msg_type, station, source, hash, seq";
const STATIC_COLUMNS: &str =
    "mmsi, t, name, callsign, imo, ship_type, length_m, beam_m, draught_dm, destination, source, seq, station";

/// SQLite: a pool of up to `max` connections, each checkpointing the WAL
/// every [`SQLITE_WAL_AUTOCHECKPOINT_BYTES`] in its store's pages.
fn sqlite_pool(max: u32) -> SqlitePoolOptions {
    SqlitePoolOptions::new()
        .max_connections(max)
        .after_connect(|conn, _| {
            Box::pin(async move {
                let page: i64 = sqlx::query_scalar("PRAGMA page_size")
                    .fetch_one(&mut *conn)
                    .await?;
                let pages = SQLITE_WAL_AUTOCHECKPOINT_BYTES / page.max(512);
                sqlx::query(&format!("PRAGMA wal_autocheckpoint = {pages}"))
                    .execute(conn)
                    .await?;
                Ok(())
            })
        })
}

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The URL names no database aiswatch knows.
    #[error("database URL {0}: expected sqlite://FILE or postgres://…")]
    Url(String),
    /// The database could not be opened or reached.
    #[error("cannot open database {url}: {source}")]
    Connect {
        /// The URL, password removed.
        url: String,
        /// Why.
        source: sqlx::Error,
    },
    /// The schema could not be brought up to date.
    #[error("cannot migrate database {url}: {source}")]
    Migrate {
        /// The URL, password removed.
        url: String,
        /// Why.
        source: sqlx::migrate::MigrateError,
    },
    /// A query failed.
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    /// The data directory could not be created.
    #[error("cannot create {0}: {1}")]
    Dir(std::path::PathBuf, std::io::Error),
    /// A stored block of positions could not be read back.
    #[error("stored positions: {0}")]
    Block(String),
    /// Another node took the lease since this one did: its commits no
    /// longer count (it must stop).
    #[error("lease {lease} was taken by another node after epoch {epoch}: this node is no longer its leader")]
    Fenced {
        /// The lease.
        lease: String,
        /// This node's epoch.
        epoch: i64,
    },
}

/// A connection pool to the store. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    backend: Backend,
    /// PostgreSQL day partitions known to exist.
    partitions: Arc<Mutex<std::collections::HashSet<i64>>>,
    url: String,
    /// Where new alert changes are delivered (empty: nowhere, as in an import).
    routes: Arc<[crate::deliver::sink::Route]>,
    /// What partners are sent, swapped when agreements are reloaded
    /// (shared by every clone).
    shares: Arc<std::sync::RwLock<Arc<[crate::deliver::sink::Share]>>>,
    /// The smallest raw archive seq a legal hold keeps (see [`Store::held_raw`]).
    held_raw: Arc<std::sync::atomic::AtomicU64>,
    /// A cluster leader's claim, checked by every commit ([`Store::with_fence`]).
    fence: Option<Arc<cluster::Fence>>,
}

#[derive(Clone)]
enum Backend {
    /// Reads share `pool`; writes go through `writer`, one connection. SQLite
    /// has one writer at a time anyway, and a connection's page cache stays
    /// valid only while no other connection writes: with writes spread over
    /// the pool, each transaction began by re-reading the pages it changes.
    Sqlite {
        pool: SqlitePool,
        writer: SqlitePool,
        /// The database file's WAL (`<file>-wal`).
        wal: Arc<std::path::Path>,
    },
    Postgres(PgPool),
}

/// Runs the same tokens against whichever pool the store has: the SQL and
/// the row decoding are written once for both databases.
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.backend {
            Backend::Sqlite { pool: $pool, .. } => $body,
            Backend::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_pool;

/// [`on_pool!`] for statements that write: on SQLite through the one
/// writer connection, so that writers queue in the pool instead of failing
/// with `SQLITE_BUSY` on each other's snapshots.
macro_rules! on_writer {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.backend {
            Backend::Sqlite { writer: $pool, .. } => $body,
            Backend::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_writer;

/// Integers as the items of an SQL list (`1,2,3`): inlined where a
/// statement's shape depends on how many there are.
fn sql_list(v: impl IntoIterator<Item = i64>) -> String {
    v.into_iter()
        .map(|x| x.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// The URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let cred = &url[s + 3..at];
            match cred.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &cred[..c], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

impl Store {
    /// Opens (creating a SQLite file and its directory if needed) and
    /// migrates the store at `url`.
    ///
    /// # Errors
    /// A bad URL, an unreachable database, or a failed migration.
    pub async fn connect(url: &str) -> Result<Store, StorageError> {
        let shown = redact(url);
        let connect = |source| StorageError::Connect {
            url: shown.clone(),
            source,
        };
        let migrate = |source| StorageError::Migrate {
            url: shown.clone(),
            source,
        };
        let backend = if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)
                .map_err(connect)?
                .create_if_missing(true)
                .page_size(SQLITE_PAGE_BYTES)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(SQLITE_BUSY_TIMEOUT)
                .pragma("cache_size", SQLITE_CACHE_KIB)
                .row_buffer_size(SQLITE_ROW_BUFFER)
                .pragma("mmap_size", SQLITE_MMAP_BYTES)
                .pragma("journal_size_limit", SQLITE_WAL_KEEP_BYTES);
            if let Some(dir) = opts.get_filename().parent() {
                if !dir.as_os_str().is_empty() {
                    std::fs::create_dir_all(dir).map_err(|e| StorageError::Dir(dir.into(), e))?;
                }
            }
            let pool = sqlite_pool(8)
                .connect_with(opts.clone())
                .await
                .map_err(connect)?;
            migrate_sqlite(&pool).await.map_err(migrate)?;
            let mut wal = opts.get_filename().as_os_str().to_owned();
            wal.push("-wal");
            let wal: Arc<std::path::Path> = std::path::PathBuf::from(wal).into();
            let writer = sqlite_pool(1)
                .connect_with(opts.pragma("cache_size", SQLITE_WRITER_CACHE_KIB))
                .await
                .map_err(connect)?;
            Backend::Sqlite { pool, writer, wal }
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let opts = PgConnectOptions::from_str(url).map_err(connect)?;
            let pool = PgPoolOptions::new()
                .max_connections(12)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await
                .map_err(connect)?;
            migrate_postgres(&pool).await.map_err(migrate)?;
            Backend::Postgres(pool)
        } else {
            return Err(StorageError::Url(shown));
        };
        let store = Store {
            backend,
            partitions: Arc::default(),
            url: shown,
            routes: Arc::new([]),
            shares: Arc::default(),
            held_raw: Arc::new(NO_RAW_HOLD.into()),
            fence: None,
        };
        store.move_legacy_positions().await?;
        store.refresh_held_raw().await?;
        Ok(store)
    }

    /// This store, queuing a delivery per routed centre and channel for
    /// every new alert change it writes.
    pub fn with_routes(mut self, routes: Arc<[crate::deliver::sink::Route]>) -> Store {
        self.routes = routes;
        self
    }

    /// The language `centre`'s summaries are written in (English for a
    /// centre without a route: a partner).
    pub fn lang_of(&self, centre: &aiswatch_core::ids::CentreId) -> &'static str {
        crate::deliver::sink::Route::lang_of(&self.routes, centre)
    }

    /// From now on, queue a delivery to a partner for every new change of
    /// an alert that one of `shares` covers (every clone of this store).
    pub fn set_shares(&self, shares: Arc<[crate::deliver::sink::Share]>) {
        if let Ok(mut s) = self.shares.write() {
            *s = shares;
        }
    }

    /// What partners are sent now.
    pub fn shares(&self) -> Arc<[crate::deliver::sink::Share]> {
        self.shares
            .read()
            .map(|s| s.clone())
            .unwrap_or_else(|_| Arc::new([]))
    }

    /// The URL, password removed.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// `"sqlite"` or `"postgres"`.
    pub fn kind(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite { .. } => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// Closes every connection. SQLite: the readers first, then the writer
    /// copies the WAL into the database file and empties it (left to the
    /// last connection's close, two closing at once could each leave it to
    /// the other: the next start would find the whole WAL to read back).
    pub async fn close(&self) {
        match &self.backend {
            Backend::Sqlite { pool, writer, .. } => {
                pool.close().await;
                if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                    .execute(writer)
                    .await
                {
                    warn!(error = %e, "Checkpointing the SQLite WAL at close failed.");
                }
                writer.close().await;
            }
            Backend::Postgres(p) => p.close().await,
        }
    }

    /// Brings the schema up to date again: for a database that was dropped
    /// and created anew (or whose schema was) while the daemon runs. The
    /// migrations are idempotent: on a current schema this does nothing.
    ///
    /// # Errors
    /// The migration failed (the database is away, or refuses).
    pub async fn migrate(&self) -> Result<(), StorageError> {
        let migrate = |source| StorageError::Migrate {
            url: self.url.clone(),
            source,
        };
        // Day partitions known to exist went with the old schema.
        if let Ok(mut s) = self.partitions.lock() {
            s.clear();
        }
        match &self.backend {
            Backend::Sqlite { writer, .. } => migrate_sqlite(writer).await.map_err(migrate),
            Backend::Postgres(p) => migrate_postgres(p).await.map_err(migrate),
        }
    }

    /// SQLite: the size of the WAL file in bytes (0 when there is none);
    /// `None` on PostgreSQL.
    pub fn wal_bytes(&self) -> Option<u64> {
        match &self.backend {
            Backend::Sqlite { wal, .. } => {
                Some(std::fs::metadata(wal).map(|m| m.len()).unwrap_or(0))
            }
            Backend::Postgres(_) => None,
        }
    }

    /// SQLite: copies what the WAL holds into the database file, as far as
    /// readers allow and without waiting for them, on a reader's
    /// connection: the writer goes on committing meanwhile, on its own
    /// thread. Does nothing on PostgreSQL.
    ///
    /// # Errors
    /// The database failed.
    pub async fn checkpoint_wal(&self) -> Result<(), StorageError> {
        let Backend::Sqlite { pool, .. } = &self.backend else {
            return Ok(());
        };
        sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .fetch_one(pool)
            .await?;
        Ok(())
    }

    /// SQLite: copies the whole WAL into the database file and truncates
    /// it, waiting up to `wait` for readers that still read from it.
    /// Returns whether it got to truncate it (`false`: a reader kept
    /// reading for longer; what could be copied was). Does nothing on
    /// PostgreSQL (returns `true`).
    ///
    /// # Errors
    /// The database failed.
    pub async fn truncate_wal(&self, wait: Duration) -> Result<bool, StorageError> {
        let Backend::Sqlite { writer, .. } = &self.backend else {
            return Ok(true);
        };
        let mut conn = writer.acquire().await?;
        // The wait is the connection's busy timeout: shortened for this
        // statement only, so that a reader that keeps reading stalls the
        // writer for `wait` at most.
        sqlx::query(&format!("PRAGMA busy_timeout = {}", wait.as_millis()))
            .execute(&mut *conn)
            .await?;
        let res = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .fetch_one(&mut *conn)
            .await;
        sqlx::query(&format!(
            "PRAGMA busy_timeout = {}",
            SQLITE_BUSY_TIMEOUT.as_millis()
        ))
        .execute(&mut *conn)
        .await?;
        // (busy, WAL frames, frames copied): busy is 1 when readers held it.
        let busy: i64 = res?.try_get(0)?;
        Ok(busy == 0)
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), StorageError> {
        on_pool!(self, p => sqlx::query("SELECT 1").execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// The newest event time stored, if any position is.
    pub async fn last_time(&self) -> Result<Option<Millis>, StorageError> {
        on_pool!(self, p => {
            let row = sqlx::query("SELECT value FROM store_meta WHERE key = 'max_t'")
                .fetch_optional(p)
                .await?;
            Ok(match row {
                Some(r) => Some(r.try_get::<i64, _>(0)?),
                None => None,
            })
        })
    }

    /// The newest record sequence number stored (0 when empty).
    pub async fn last_seq(&self) -> Result<u64, StorageError> {
        on_pool!(self, p => {
            let row = sqlx::query("SELECT value FROM store_meta WHERE key = 'max_seq'")
                .fetch_optional(p)
                .await?;
            Ok(match row {
                Some(r) => r.try_get::<i64, _>(0)? as u64,
                None => 0,
            })
        })
    }

    /// The sequence number a replay of everything since `t` starts from:
    /// just after the last tick before `t` (records are in time order, so
    /// nothing after that tick is older), or 1 when no tick is that old
    /// (the window reaches back before the store's first tick: the records
    /// before it count too).
    pub async fn first_seq_since(&self, t: Millis) -> Result<u64, StorageError> {
        on_pool!(self, p => {
            let r = sqlx::query("SELECT MAX(seq) FROM ticks WHERE t < $1").bind(t).fetch_one(p).await?;
            Ok(r.try_get::<Option<i64>, _>(0)?.map_or(1, |s| s as u64 + 1))
        })
    }

    /// Positions, static changes and ticks with `from <= seq < to`, each in
    /// sequence order: what a restart replays.
    pub async fn records(&self, from: u64, to: u64) -> Result<Batch, StorageError> {
        let (a, b) = (
            from.min(i64::MAX as u64) as i64,
            to.min(i64::MAX as u64) as i64,
        );
        let sta = format!(
            "SELECT {STATIC_COLUMNS} FROM statics WHERE seq >= $1 AND seq < $2 ORDER BY seq"
        );
        let positions = self.positions_by_seq(a, b).await?;
        on_pool!(self, p => {
            let statics = sqlx::query(&sta).bind(a).bind(b).fetch_all(p).await?
                .iter().map(static_row).collect::<Result<Vec<_>, StorageError>>()?;
            let ticks = sqlx::query("SELECT seq, t FROM ticks WHERE seq >= $1 AND seq < $2 ORDER BY seq")
                .bind(a).bind(b).fetch_all(p).await?
                .iter()
                .map(|r| Ok(Tick { seq: r.try_get::<i64, _>(0)? as u64, time: r.try_get(1)? }))
                .collect::<Result<Vec<_>, StorageError>>()?;
            // Batches written before messages heard were packed, then since.
            let mut heard: Vec<HeardRow> = Vec::new();
            for r in sqlx::query("SELECT entries FROM heard WHERE last_seq >= $1 AND first_seq < $2 ORDER BY first_seq")
                .bind(a).bind(b).fetch_all(p).await? {
                heard.extend(model::heard_rows(&r.try_get::<String, _>(0)?, a as u64, b as u64)?);
            }
            for r in sqlx::query("SELECT entries FROM heard_blocks WHERE last_seq >= $1 AND first_seq < $2 ORDER BY first_seq")
                .bind(a).bind(b).fetch_all(p).await? {
                heard.extend(blocks::decode_heard(&r.try_get::<Vec<u8>, _>(0)?, a as u64, b as u64)?);
            }
            Ok(Batch { positions, statics, alerts: Vec::new(), ticks, heard, emitted_at: None, input: None })
        })
    }

    /// The vessel's static data as last stored at or before `at`.
    pub async fn static_at(
        &self,
        mmsi: Mmsi,
        at: Millis,
    ) -> Result<Option<StaticRow>, StorageError> {
        let sql = format!("SELECT {STATIC_COLUMNS} FROM statics WHERE mmsi = $1 AND t <= $2 ORDER BY t DESC LIMIT 1");
        on_pool!(self, p => {
            let row = sqlx::query(&sql).bind(i64::from(mmsi.0)).bind(at).fetch_optional(p).await?;
            row.as_ref().map(static_row).transpose()
        })
    }

    /// The vessel's static-data changes from `from` to `to` (inclusive),
    /// oldest first.
    pub async fn statics_between(
        &self,
        mmsi: Mmsi,
        from: Millis,
        to: Millis,
    ) -> Result<Vec<StaticRow>, StorageError> {
        let sql = format!("SELECT {STATIC_COLUMNS} FROM statics WHERE mmsi = $1 AND t >= $2 AND t <= $3 ORDER BY t");
        on_pool!(self, p => {
            let rows = sqlx::query(&sql).bind(i64::from(mmsi.0)).bind(from).bind(to).fetch_all(p).await?;
            rows.iter().map(static_row).collect()
        })
    }
}

async fn migrate_sqlite(pool: &SqlitePool) -> Result<(), sqlx::migrate::MigrateError> {
    let migrator = sqlx::migrate!("src/storage/migrations/sqlite");
    reworded::sqlite(pool, &migrator).await?;
    migrator.run(pool).await
}

async fn migrate_postgres(pool: &PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    let migrator = sqlx::migrate!("src/storage/migrations/postgres");
    reworded::postgres(pool, &migrator).await?;
    migrator.run(pool).await
}

impl StorageError {
    /// Whether the store's tables are missing: the database (or its schema)
    /// was dropped and created anew while the daemon runs. [`Store::migrate`]
    /// creates them again.
    pub fn schema_missing(&self) -> bool {
        let StorageError::Db(sqlx::Error::Database(e)) = self else {
            return false;
        };
        match e.code().as_deref() {
            // PostgreSQL: undefined_table.
            Some("42P01") => true,
            // SQLite: SQLITE_ERROR, with its message.
            Some("1") => e.message().starts_with("no such table"),
            _ => false,
        }
    }
}

fn opt_u16(v: Option<i64>) -> Option<u16> {
    v.and_then(|x| u16::try_from(x).ok())
}

fn position_row<R: Row>(r: &R) -> Result<PositionRow, StorageError>
where
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> f64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    let station: Option<String> = r.try_get(9)?;
    let source: String = r.try_get(10)?;
    Ok(PositionRow {
        mmsi: Mmsi(r.try_get::<i64, _>(0)? as u32),
        time: r.try_get(1)?,
        lon: r.try_get(2)?,
        lat: r.try_get(3)?,
        sog_dkn: opt_u16(r.try_get(4)?),
        cog_ddeg: opt_u16(r.try_get(5)?),
        heading: opt_u16(r.try_get(6)?),
        nav_status: r.try_get::<Option<i64>, _>(7)?.map(|x| x as u8),
        msg_type: r.try_get::<i64, _>(8)? as u8,
        station: station.map(Into::into),
        source: source.into(),
        hash: r.try_get::<i64, _>(11)? as u64,
        seq: r.try_get::<i64, _>(12)? as u64,
    })
}

fn static_row<R: Row>(r: &R) -> Result<StaticRow, StorageError>
where
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    let time: i64 = r.try_get(1)?;
    let source: String = r.try_get(10)?;
    Ok(StaticRow {
        seq: r.try_get::<i64, _>(11)? as u64,
        mmsi: Mmsi(r.try_get::<i64, _>(0)? as u32),
        time,
        info: StaticInfo {
            name: r.try_get(2)?,
            callsign: r.try_get(3)?,
            imo: r.try_get::<Option<i64>, _>(4)?.map(|x| x as u32),
            ship_type: r.try_get::<Option<i64>, _>(5)?.map(|x| x as u8),
            length_m: opt_u16(r.try_get(6)?),
            beam_m: opt_u16(r.try_get(7)?),
            draught_m: r.try_get::<Option<i64>, _>(8)?.map(|x| x as f32 / 10.0),
            destination: r.try_get(9)?,
            updated_at: time,
        },
        source: source.into(),
        station: r.try_get::<Option<String>, _>(12)?.map(Arc::from),
    })
}

fn stored_alert<R: Row>(r: &R) -> Result<StoredAlert, StorageError>
where
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    Ok(StoredAlert {
        n: r.try_get(0)?,
        id: AlertId::from(r.try_get::<String, _>(1)?),
        changes: r.try_get(2)?,
        json: r.try_get(3)?,
    })
}
