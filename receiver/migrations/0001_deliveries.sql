-- Written once for SQLite and PostgreSQL: both read it alike.
-- One row per delivery a receiver has claimed, keyed by (provider, delivery id): the replay and
-- duplicate defence. Times are Unix milliseconds from the receiver's clock.
CREATE TABLE deliveries (
    provider    TEXT    NOT NULL,
    delivery_id TEXT    NOT NULL,
    -- 'running' (a holder is running its handler) or 'done'.
    state       TEXT    NOT NULL CHECK (state IN ('running', 'done')),
    -- The claim's random token: only its holder completes or releases it.
    holder      TEXT    NOT NULL,
    -- A running claim whose holder died is taken over after this.
    lease_until BIGINT  NOT NULL,
    -- When the state last changed: a done row is a duplicate until it is older than the retention.
    updated_at  BIGINT  NOT NULL,
    -- How many claims ran its handler (1 unless a holder died or failed).
    runs        BIGINT  NOT NULL DEFAULT 1,
    PRIMARY KEY (provider, delivery_id)
);
CREATE INDEX deliveries_updated_at ON deliveries (updated_at);
