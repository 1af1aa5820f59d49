//! What the receiver's tests share: the databases to run against.

#![allow(dead_code)] // each test file uses part of it

use std::sync::OnceLock;

/// A database to run a test against; a SQLite file's directory lives as long as this.
pub struct Database {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

/// The environment variable naming the PostgreSQL database the tests use.
pub const POSTGRES_URL: &str = "WEBHOOK_TEST_POSTGRES_URL";

/// SQLite (a fresh file), and PostgreSQL when `WEBHOOK_TEST_POSTGRES_URL` names one. Under
/// `CI=true` PostgreSQL is required; elsewhere its absence is said once, loudly.
pub async fn databases() -> Vec<Database> {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Database { url: format!("sqlite://{}", dir.path().join("deliveries.db").display()), _dir: Some(dir) };
    let mut all = vec![sqlite];
    match std::env::var(POSTGRES_URL) {
        Ok(url) if !url.is_empty() => all.push(Database { url, _dir: None }),
        _ if std::env::var_os("CI").is_some() => {
            panic!("{POSTGRES_URL} is not set: under CI=true the PostgreSQL tests are required (.ci/run starts a server)")
        }
        _ => {
            static SAID: OnceLock<()> = OnceLock::new();
            // Straight to the process's standard error: libtest captures `eprintln!`.
            SAID.get_or_init(|| {
                let message = format!(
                    "\n*** SKIPPED: the PostgreSQL half of the receiver tests ({POSTGRES_URL} is not set; \
                     `eval \"$(.ci/postgres)\"` starts a server and sets it) ***\n"
                );
                let _ = std::io::Write::write_all(&mut std::io::stderr(), message.as_bytes());
            });
        }
    }
    all
}

/// A name no other test run uses.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid_like())
}

fn uuid_like() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let t = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos();
    format!("{t:x}-{}-{n}", std::process::id())
}
