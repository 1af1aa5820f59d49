-- Written once for SQLite and PostgreSQL: both read it alike.
-- Workers look up a running delivery whose lease ran out (its worker died) by this index, as they
-- look up a pending one by `inbox_ready`: neither reads the deliveries kept for the retention.
CREATE INDEX inbox_leases ON inbox (state, lease_until);
