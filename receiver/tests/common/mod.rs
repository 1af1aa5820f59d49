//! What the receiver's tests share: the databases to run against, and requests to an app.

#![allow(dead_code)] // each test file uses part of it

use std::sync::OnceLock;

/// A database to run a test against; a SQLite file's directory lives as long as this.
pub struct Database {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

/// The environment variable naming the PostgreSQL database the tests use.
pub const POSTGRES_URL: &str = "WEBHOOK_TEST_POSTGRES_URL";

/// A database of each kind for one test, each new and empty: SQLite (a file in a new
/// directory), and PostgreSQL (a new database on the server `WEBHOOK_TEST_POSTGRES_URL` names).
/// Under `CI` PostgreSQL is required; elsewhere its absence is said once, loudly.
pub async fn databases() -> Vec<Database> {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Database { url: format!("sqlite://{}", dir.path().join("deliveries.db").display()), _dir: Some(dir) };
    let mut all = vec![sqlite];
    match std::env::var(POSTGRES_URL) {
        Ok(url) if !url.is_empty() => all.push(Database { url: fresh_postgres(&url).await, _dir: None }),
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

/// A new database on the PostgreSQL server of `url`, and its URL.
async fn fresh_postgres(url: &str) -> String {
    use sqlx::Executor;
    let name = unique("test").replace('-', "_");
    let (server, _) = url.rsplit_once('/').expect("a PostgreSQL URL ends in its database");
    let admin = sqlx::PgPool::connect(url).await.unwrap();
    admin.execute(format!("CREATE DATABASE {name}").as_str()).await.unwrap();
    admin.close().await;
    format!("{server}/{name}")
}

/// Where the endpoint tests serve.
pub const PATH: &str = "/webhooks/apideck";

/// A signed request to [`PATH`], as axum receives it.
pub fn request(signed: &webhook_events::runtime::verify::SignedRequest) -> axum::http::Request<axum::body::Body> {
    let mut builder = axum::http::Request::post(PATH);
    for (name, value) in &signed.headers {
        builder = builder.header(name, value);
    }
    builder.body(axum::body::Body::from(signed.body.clone())).unwrap()
}

/// Sends `signed` to `app`: the status and the body.
pub async fn send(app: &axum::Router, signed: &webhook_events::runtime::verify::SignedRequest) -> (axum::http::StatusCode, String) {
    use tower::ServiceExt;
    let response = app.clone().oneshot(request(signed)).await.unwrap();
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
    (status, String::from_utf8(body.to_vec()).unwrap())
}
