-- Written once for SQLite and PostgreSQL: both read it alike.
-- Deliveries given up (released by a failed handler, or claimed by a holder that died) and never
-- claimed again, by age: the purge deletes them once they are older than the retention, as it
-- deletes completed ones, so that they are not kept for ever. A claim's row enters this index, at
-- its end (claims are written in time order), and leaves it when completed.
CREATE INDEX deliveries_running ON deliveries (updated_at) WHERE state = 'running';
