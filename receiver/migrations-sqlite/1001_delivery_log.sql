-- SQLite only: run after every migration in `migrations/`, which both databases share.
-- A SQLite store's deliveries: one row per delivery, as in `deliveries` (0001), which PostgreSQL
-- keeps using. This table has no index on the key: a new delivery's row is appended at the end of
-- the table, where an index on a random key would write a random page of it, which measured a
-- third of the store's throughput (BENCHMARKS §4). The store finds a delivery's row by its `id`,
-- which it holds in memory (`receiver/src/store/held.rs`) because the file is one process's.
CREATE TABLE delivery_log (
    -- Never changed by VACUUM (unlike an implicit rowid) nor used twice (AUTOINCREMENT): an id held
    -- in memory is one row's for good, and a new row is known by its new id.
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    provider    TEXT    NOT NULL,
    delivery_id TEXT    NOT NULL,
    -- 'running' (released: the next claim takes it over; or, from a store made before this table,
    -- a claim whose holder died) or 'done'.
    state       TEXT    NOT NULL CHECK (state IN ('running', 'done')),
    -- The claim that wrote the row: a write sent twice is answered from it.
    holder      TEXT    NOT NULL,
    lease_until BIGINT  NOT NULL,
    updated_at  BIGINT  NOT NULL,
    runs        BIGINT  NOT NULL
);
-- What the purge deletes: rows older than the retention. Rows are written in time order, so this
-- index grows at its end.
CREATE INDEX delivery_log_age ON delivery_log (updated_at);

-- The deliveries of a store made before this table.
INSERT INTO delivery_log (provider, delivery_id, state, holder, lease_until, updated_at, runs)
SELECT provider, delivery_id, state, holder, lease_until, updated_at, runs FROM deliveries ORDER BY updated_at;
DELETE FROM deliveries;
