-- Written once for SQLite and PostgreSQL: both read it alike.
-- The durable inbox: each verified delivery, committed before it is acknowledged, then run by
-- workers. Keyed by (provider, delivery id), so a copy of a delivery is not queued twice. Times
-- are Unix milliseconds from the receivers' clocks.
CREATE TABLE inbox (
    provider          TEXT   NOT NULL,
    delivery_id       TEXT   NOT NULL,
    -- The event's type, for listing; the worker parses `body` again.
    event_type        TEXT   NOT NULL,
    -- The text that was verified, exactly.
    body              TEXT   NOT NULL,
    -- The headers worth keeping (information only: nothing signs them).
    event_type_header TEXT,
    idempotency_key   TEXT,
    -- 'pending' (waiting for a worker), 'running', 'done', or 'dead' (out of attempts).
    state             TEXT   NOT NULL CHECK (state IN ('pending', 'running', 'done', 'dead')),
    attempts          BIGINT NOT NULL DEFAULT 0,
    -- A pending delivery is taken no earlier than this (the backoff after a failure).
    next_at           BIGINT NOT NULL,
    -- The worker running it, and until when; a dead worker's delivery is taken over after.
    holder            TEXT,
    lease_until       BIGINT NOT NULL DEFAULT 0,
    last_error        TEXT,
    received_at       BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    PRIMARY KEY (provider, delivery_id)
);
CREATE INDEX inbox_ready ON inbox (state, next_at);
