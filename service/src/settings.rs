//! The command line: every setting a flag and an environment variable, with defaults that run a
//! single instance on one SQLite file.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Receives Apideck's webhooks: verifies each delivery's signature, answers the delivery-url
/// validation, deduplicates on the delivery id in SQLite or PostgreSQL, and runs each event once,
/// in the request or through a durable inbox.
#[derive(Parser, Debug)]
#[command(name = "webhook-receiver", version, about, long_about = None, args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// (`serve`'s options, for running without naming it.)
    #[command(flatten)]
    pub serve: Serve,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Listen and receive (what runs when no command is named).
    Serve(Serve),
    /// List the inbox's dead letters: deliveries that failed every attempt.
    DeadLetters {
        #[command(flatten)]
        database: Database,
    },
    /// Print a `curl` command that posts a fixture of an event, signed as Apideck signs it (for
    /// trying a running receiver; each run gives the delivery a new idempotency key, the same id).
    Sign {
        /// The event's type, e.g. `pos.order.created`.
        #[arg(long, default_value = "pos.order.created")]
        event: String,
        /// The key to sign with (the receiver's `--apideck-key`).
        #[arg(long = "apideck-key", env = "APIDECK_WEBHOOK_KEYS", value_delimiter = ',', required = true, hide_env_values = true)]
        apideck_keys: Vec<Key>,
        /// Where the receiver listens.
        #[arg(long, default_value = "http://127.0.0.1:8080/webhooks/apideck")]
        url: String,
    },
    /// Make dead letters pending again (all of them, or one), their attempts reset.
    Requeue {
        #[command(flatten)]
        database: Database,
        /// The provider of the one dead letter to requeue.
        #[arg(long, default_value = "apideck", requires = "delivery_id")]
        provider: String,
        /// The delivery id of the one dead letter to requeue (all of them without it).
        #[arg(long)]
        delivery_id: Option<String>,
    },
}

impl Cli {
    /// The command to run: `serve` with the top-level options when none is named.
    pub fn command(self) -> Command {
        self.command.unwrap_or(Command::Serve(self.serve))
    }
}

/// Where the deliveries are kept.
#[derive(Args, Debug, Clone)]
pub struct Database {
    /// The database: a SQLite file (`sqlite://path`, created if missing; in inline mode one
    /// service at a time, which holds `<path>-lock`) or PostgreSQL (`postgres://user@host/db`,
    /// for several instances).
    #[arg(long = "database", env = "WEBHOOK_DATABASE_URL", default_value = "sqlite://webhooks.db")]
    pub url: String,
}

impl Database {
    pub fn kind(&self) -> &'static str {
        if self.url.starts_with("postgres") {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    }
}

#[derive(Args, Debug)]
pub struct Serve {
    /// The address to listen on (`127.0.0.1:0` picks a free port, printed at start).
    #[arg(long, env = "WEBHOOK_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// The path deliveries are posted to.
    #[arg(long, env = "WEBHOOK_PATH", default_value = "/webhooks/apideck")]
    pub path: String,
    /// Apideck's signing key (your Apideck API key). Repeat the flag, or separate keys with commas
    /// in the variable, to accept several while rotating.
    #[arg(long = "apideck-key", env = "APIDECK_WEBHOOK_KEYS", value_delimiter = ',', required = true, hide_env_values = true)]
    pub apideck_keys: Vec<Key>,
    #[command(flatten)]
    pub database: Database,
    /// `inline`: run the handler in the request, and answer after it. `inbox`: commit the
    /// delivery, answer, and let workers run it (with retries and dead letters).
    #[arg(long, env = "WEBHOOK_MODE", value_enum, default_value_t = Mode::Inline)]
    pub mode: Mode,
    /// Inbox workers in this process.
    #[arg(long, env = "WEBHOOK_WORKERS", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..))]
    pub workers: u16,
    /// Attempts before an inbox delivery becomes a dead letter.
    #[arg(long, env = "WEBHOOK_MAX_ATTEMPTS", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_attempts: u32,
    /// The largest body read, in bytes (413 beyond). Apideck's events are a few kilobytes.
    #[arg(long, env = "WEBHOOK_MAX_BODY_BYTES", default_value_t = 256 * 1024)]
    pub max_body_bytes: usize,
    /// Seconds a handler may run before it counts as failed (inside Apideck's 60-second timeout).
    #[arg(long, env = "WEBHOOK_HANDLER_TIMEOUT", default_value_t = 50)]
    pub handler_timeout_seconds: u64,
    /// Seconds a claimed delivery stays claimed when its process dies mid-handler, before a copy
    /// may run it (at least twice the handler timeout).
    #[arg(long, env = "WEBHOOK_LEASE", default_value_t = 300)]
    pub lease_seconds: u64,
}

impl Serve {
    pub fn handler_timeout(&self) -> Duration {
        Duration::from_secs(self.handler_timeout_seconds)
    }

    pub fn lease(&self) -> Duration {
        Duration::from_secs(self.lease_seconds).max(self.handler_timeout().saturating_mul(2))
    }
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Inline,
    Inbox,
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mode::Inline => "inline",
            Mode::Inbox => "inbox",
        })
    }
}

/// A signing key: never printed (its `Debug` is redacted).
#[derive(Clone)]
pub struct Key(pub String);

impl std::str::FromStr for Key {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "" => Err("a key is empty".into()),
            key => Ok(Key(key.to_owned())),
        }
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Key(..)")
    }
}
