-- Written once for SQLite and PostgreSQL: both read it alike.
-- Each index holds only the rows of the state its lookups ask for, so a write that does not
-- enter or leave that state does not touch it: a claim (running) no longer writes the index of
-- completions, and an inbox delivery is in at most one of its three.

-- Completed deliveries by age: what the purge deletes.
DROP INDEX deliveries_updated_at;
CREATE INDEX deliveries_done ON deliveries (updated_at) WHERE state = 'done';

-- Pending deliveries by turn, running ones by lease end (a worker's take), done ones by age
-- (the purge).
DROP INDEX inbox_ready;
DROP INDEX inbox_leases;
CREATE INDEX inbox_ready ON inbox (next_at) WHERE state = 'pending';
CREATE INDEX inbox_leases ON inbox (lease_until) WHERE state = 'running';
CREATE INDEX inbox_done ON inbox (updated_at) WHERE state = 'done';
