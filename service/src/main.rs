//! `webhook-receiver`: receives Apideck's webhooks on one address, verifies them, deduplicates
//! them in SQLite (one file, the default) or PostgreSQL (several instances), and runs each event
//! once: in the request (`--mode inline`), or after committing it to a durable inbox that
//! workers drain (`--mode inbox`, for handlers slower than the provider's timeout).
//!
//! Every setting is a flag or an environment variable (`--help` lists them). The events' handler
//! here logs each event; a service with handlers of its own uses the `webhook-receiver` crate.

mod settings;

use std::process::ExitCode;

use clap::Parser;
use tokio::sync::watch;
use webhook_events::apideck::{self, Event, Verifier};
use webhook_events::Delivery;
use webhook_receiver::inbox::{Inbox, InboxEndpoint, RetryPolicy, Worker};
use webhook_receiver::store::{DeliveryKey, DeliveryStore, SqlStore};
use webhook_receiver::Endpoint;

use settings::{Cli, Command, Mode, Serve};

/// The handler this binary runs: it logs each event (the delivery's span carries its id).
struct LogEvents;

impl apideck::AsyncHandler for LogEvents {
    type Output = Result<(), String>;

    async fn on_event(&self, delivery: &Delivery<'_>, event: Event<'_>) -> Result<(), String> {
        let known = delivery.info.is_some();
        tracing::info!(delivery_id = %delivery.id, event_type = %event.event_type(), known, "event");
        Ok(())
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("WEBHOOK_LOG").unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: could not start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    match cli.command() {
        Command::Serve(serve) => self::serve(serve).await,
        Command::DeadLetters { database } => {
            let inbox = Inbox::open(&database.url).await.map_err(|e| e.to_string())?;
            let dead = inbox.dead_letters().await.map_err(|e| e.to_string())?;
            if dead.is_empty() {
                eprintln!("no dead letters");
            }
            for d in dead {
                println!(
                    "{}\t{}\t{}\t{} attempts\t{}",
                    d.provider,
                    d.delivery_id,
                    d.event_type,
                    d.attempts,
                    d.last_error.unwrap_or_default()
                );
            }
            Ok(())
        }
        Command::Sign { event, apideck_keys, url } => {
            let event_type = apideck::EventType::from_wire(&event);
            let signed = apideck::testing::sign_fixture(&apideck_keys[0].0, &event_type).map_err(|e| format!("--event {event}: {e}"))?;
            print!("{}", curl(&url, &signed));
            Ok(())
        }
        Command::Requeue { database, provider, delivery_id } => {
            let inbox = Inbox::open(&database.url).await.map_err(|e| e.to_string())?;
            let which = delivery_id.as_deref().map(|id| DeliveryKey { provider: &provider, delivery_id: id });
            let n = inbox.requeue(which).await.map_err(|e| e.to_string())?;
            println!("requeued {n} dead letter{}", if n == 1 { "" } else { "s" });
            Ok(())
        }
    }
}

async fn serve(settings: Serve) -> Result<(), String> {
    let keys: Vec<&str> = settings.apideck_keys.iter().map(|k| k.0.as_str()).collect();
    let verifier =
        || Verifier::with_keys(&keys).map(|v| v.max_body_bytes(settings.max_body_bytes)).map_err(|e| format!("--apideck-key: {e}"));
    let (stop, stopped) = watch::channel(false);
    let mut workers = Vec::new();
    let app = match settings.mode {
        Mode::Inline => {
            let store = SqlStore::open(&settings.database.url).await.map_err(|e| e.to_string())?;
            spawn_purge(store.clone(), stopped.clone());
            Endpoint::new(verifier()?, LogEvents)
                .with_store(store)
                .max_body_bytes(settings.max_body_bytes)
                .handler_timeout(settings.handler_timeout())
                .lease(settings.lease())
                .router(&settings.path)
        }
        Mode::Inbox => {
            let policy = RetryPolicy { max_attempts: settings.max_attempts, ..RetryPolicy::default() };
            let inbox = Inbox::open(&settings.database.url).await.map_err(|e| e.to_string())?.with_policy(policy);
            for _ in 0..settings.workers {
                let worker =
                    Worker::new(inbox.clone(), verifier()?, LogEvents).handler_timeout(settings.handler_timeout()).lease(settings.lease());
                let mut stopped = stopped.clone();
                workers.push(tokio::spawn(async move {
                    worker.run(async move { while stopped.changed().await.is_ok() && !*stopped.borrow() {} }).await
                }));
            }
            spawn_inbox_purge(inbox.clone(), stopped.clone());
            InboxEndpoint::new(verifier()?, inbox).max_body_bytes(settings.max_body_bytes).router(&settings.path)
        }
    };
    let listener = tokio::net::TcpListener::bind(settings.listen).await.map_err(|e| format!("--listen {}: {e}", settings.listen))?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    // Tests and scripts read the address from this line (`--listen 127.0.0.1:0` picks a port).
    println!("listening on http://{address}{} ({} mode, {})", settings.path, settings.mode, settings.database.kind());
    tracing::info!(%address, path = %settings.path, mode = %settings.mode, "listening");
    axum::serve(listener, app).with_graceful_shutdown(shutdown_signal()).await.map_err(|e| e.to_string())?;
    // In-flight requests have finished; let the workers finish what they hold.
    let _ = stop.send(true);
    for worker in workers {
        let _ = worker.await;
    }
    tracing::info!("stopped");
    Ok(())
}

/// A shell command posting `signed` to `url`: the body through a quoted here-document, so no
/// byte of it is read by the shell.
fn curl(url: &str, signed: &webhook_events::runtime::verify::SignedRequest) -> String {
    let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
    let mut command = format!("curl -sS -i -X POST {} \\\n  -H 'content-type: application/json'", quote(url));
    for (name, value) in &signed.headers {
        command.push_str(&format!(" \\\n  -H {}", quote(&format!("{name}: {value}"))));
    }
    let body = String::from_utf8_lossy(&signed.body);
    let body = body.trim_end();
    command.push_str(&format!(" \\\n  --data-binary @- <<'JSON'\n{body}\nJSON\n"));
    command
}

/// Completes at SIGTERM or Ctrl-C.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutting down: finishing the requests in flight");
}

/// Forgets completed deliveries past the retention, hourly.
fn spawn_purge(store: SqlStore, stopped: watch::Receiver<bool>) {
    tokio::spawn(hourly(stopped, move || {
        let store = store.clone();
        async move { store.purge().await.map_err(|e| e.to_string()) }
    }));
}

fn spawn_inbox_purge(inbox: Inbox, stopped: watch::Receiver<bool>) {
    tokio::spawn(hourly(stopped, move || {
        let inbox = inbox.clone();
        async move { inbox.purge().await.map_err(|e| e.to_string()) }
    }));
}

async fn hourly<F, Fut>(mut stopped: watch::Receiver<bool>, purge: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<u64, String>>,
{
    let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        tokio::select! {
            _ = every.tick() => match purge().await {
                Ok(n) => tracing::info!(forgotten = n, "purged deliveries past the retention"),
                Err(e) => tracing::error!(reason = %e, "purge failed"),
            },
            _ = stopped.changed() => return,
        }
    }
}
