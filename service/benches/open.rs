//! Opening a SQLite store that keeps many deliveries: the store reads where each delivery's row
//! is before it answers a claim from memory (`receiver/src/store/row_ids.rs`), so its opening grows
//! with the deliveries kept for the retention. For each size: the time from `SqlStore::open` to
//! the first claim's answer, the process's resident memory it added, and the baseline, one plain
//! read of every key through sqlx, measured on the same file in the same run.
//!
//! `cargo bench -p webhook-receiver-service --bench open`; `OPEN_ROWS=1000,2000` sets the sizes.

use std::time::{Duration, Instant};

use webhook_receiver::store::{Claim, DeliveryKey, DeliveryStore, SqlStore, DEFAULT_LEASE};

/// The process's resident memory, in KiB (Linux), or 0 where it cannot be read.
fn resident_kib() -> i64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap_or_default();
    line.split_whitespace().nth(1).and_then(|kib| kib.parse().ok()).unwrap_or(0)
}

/// A UUID-shaped delivery id, scattered, the same in every run (SplitMix64).
fn uuid_like(i: u64) -> String {
    let mix = |mut z: u64| {
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let (a, b) = (mix(i.wrapping_mul(2).wrapping_add(1)), mix(i.wrapping_mul(2).wrapping_add(2)));
    format!("{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}", a >> 32, (a >> 16) & 0xffff, a & 0xfff, b >> 52, b & 0xffff_ffff_ffff)
}

/// A store file in `dir` keeping `rows` completed deliveries.
async fn filled(dir: &std::path::Path, rows: u64) -> String {
    let url = format!("sqlite://{}", dir.join(format!("open-{rows}.db")).display());
    drop(SqlStore::open(&url).await.unwrap()); // migrated
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let mut tx = pool.begin().await.unwrap();
    for i in 0..rows {
        sqlx::query(
            "INSERT INTO delivery_log (provider, delivery_id, state, holder, lease_until, updated_at, runs) \
             VALUES ('apideck', $1, 'done', 'h', 0, $2, 1)",
        )
        .bind(uuid_like(i))
        .bind(i64::MAX / 2)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    pool.close().await;
    url
}

/// One plain read of every key: what counting them must at least cost.
async fn scan(url: &str) -> Duration {
    let pool = sqlx::SqlitePool::connect(url).await.unwrap();
    let started = Instant::now();
    let keys: Vec<(String, String)> = sqlx::query_as("SELECT provider, delivery_id FROM delivery_log").fetch_all(&pool).await.unwrap();
    let took = started.elapsed();
    assert!(keys.len() < usize::MAX);
    pool.close().await;
    took
}

#[tokio::main]
async fn main() {
    let sizes: Vec<u64> = std::env::var("OPEN_ROWS")
        .unwrap_or_else(|_| "0,100000,1000000".into())
        .split(',')
        .map(|n| n.trim().parse().expect("OPEN_ROWS: numbers, comma-separated"))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    println!("| deliveries kept | open + first claim | read of every key (baseline) | ÷ baseline | memory added |");
    println!("|---:|---:|---:|---:|---:|");
    for rows in sizes {
        let url = filled(dir.path(), rows).await;
        let baseline = scan(&url).await;
        let before = resident_kib();
        let started = Instant::now();
        let store = SqlStore::open(&url).await.unwrap();
        let claim = store.claim(DeliveryKey { provider: "apideck", delivery_id: "a-new-delivery" }, DEFAULT_LEASE).await.unwrap();
        let took = started.elapsed();
        assert!(matches!(claim, Claim::Acquired(_)), "{claim:?}");
        let added = resident_kib() - before;
        let ratio = took.as_secs_f64() / baseline.as_secs_f64().max(1e-9);
        println!("| {rows} | {took:.2?} | {baseline:.2?} | {ratio:.1} | {:.1} MiB |", added as f64 / 1024.0);
        drop(store);
    }
}
