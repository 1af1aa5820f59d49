//! Receiving webhooks for any provider of `webhook-runtime`: an axum endpoint that verifies,
//! deduplicates and dispatches; delivery stores on SQLite and PostgreSQL; a durable inbox.

pub mod store;
