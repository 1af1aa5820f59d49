//! Group commit: the claims, completions and releases of concurrent requests go to one writer
//! task, which writes whatever has arrived (up to [`MAX_BATCH`]) with a statement per kind of
//! write and answers each write after its commit. Under load, deliveries share commits, and so
//! the syncs that make them durable, instead of waiting for one each.
//!
//! Only a completion waits for a sync. A completion is what makes a copy of the delivery a
//! duplicate, and the delivery is acknowledged once it is written, so it must be durable first.
//! A claim or a release is committed (other requests, instances and processes see it at once, and
//! it survives the process's death), but it is synced only by the next completion. Nothing depends
//! on that sync:
//!
//! - A claim lost in a crash of the machine belonged to an unacknowledged delivery. Each database
//!   keeps its commits in log order, so a synced completion syncs every claim before it. The
//!   provider sends that delivery again. If its handler had run, it runs again, exactly as it
//!   would once a surviving claim's lease ran out. A durable claim only delays that retry.
//! - A release lost the same way leaves its claim running until its lease runs out. The retry
//!   then waits for the lease rather than running at once.
//!
//! The writer holds one connection. On SQLite it is switched between the two kinds of commit
//! ([`Session`]); on PostgreSQL it stays at quick commits, and a completion's statement makes its
//! own commit synced (`finish_sql`), so that a round of claims and completions costs two round
//! trips to the server, not four. A durable commit is visible to others only once it is synced,
//! in both databases, so a claim that finds its delivery done found a durable completion.
//!
//! Where the claims are kept ([`Claims`]) decides the rest. PostgreSQL's are rows, written by the
//! writer's rounds as above, because several processes share them. A SQLite store's are held in
//! its process's memory (`held`, and `owner` for why only one process opens the file): a claim
//! of a delivery without a row is answered by the caller at once, a claim of one that may have a
//! row is read by a task of its own (`run_claims`), and the writer writes only completions,
//! releases and the purge (`local`).

use ::std::collections::HashMap;
use ::std::sync::{Arc, Mutex};
use ::std::time::{Duration, SystemTime};

use ::sqlx::{FromRow, Row};
use ::tokio::sync::{mpsc, oneshot};

use super::held::Held;
use super::{local, Claim, DeliveryKey, Lease, LeaseLost, StoreError};
use crate::db::{ms, on_database, unix_ms, Backend};
use crate::session::{ask, gather, retried, Gather, Link, Session};

/// The most operations one batch holds.
const MAX_BATCH: usize = 256;

/// The claims' upsert, around its rows: a row is taken over when its holder's lease is over, or
/// it was completed before the retention's horizon.
const CLAIM_INTO: &str = "INSERT INTO deliveries (provider, delivery_id, state, holder, lease_until, updated_at, runs)";
const CLAIM_CONFLICT: &str = "\
ON CONFLICT (provider, delivery_id) DO UPDATE
SET state = 'running', holder = excluded.holder, lease_until = excluded.lease_until,
    updated_at = excluded.updated_at, runs = deliveries.runs + 1
WHERE (deliveries.state = 'running' AND deliveries.lease_until <= $1)
   OR (deliveries.state = 'done' AND deliveries.updated_at <= $2)";

// Every statement finds its rows by the primary key: deliveries are kept for the retention, and
// a batch must not cost more for each of them (the `lookups_use_the_primary_key` test).
//
// A write's statement returns no rows, only how many it wrote: when that is all of them (almost
// always) each write is answered from the count alone, and only otherwise are its rows read back
// to tell which ones were written (returning every row costs a third of a claim's statement).

/// The claims of `rows` keys: `$1` now, `$2` the retention's horizon, then four parameters a row
/// (provider, delivery id, holder, lease end).
fn claims_sql(rows: usize) -> String {
    let values: Vec<String> =
        (0..rows).map(|n| format!("(${}, ${}, 'running', ${}, ${}, $1, 1)", 4 * n + 3, 4 * n + 4, 4 * n + 5, 4 * n + 6)).collect();
    format!("{CLAIM_INTO}\nVALUES {}\n{CLAIM_CONFLICT}", values.join(", "))
}

/// The rows of `rows` keys (two parameters a row): what tells which writes were written.
fn rows_sql(rows: usize) -> String {
    let keys: Vec<String> = (0..rows).map(|n| format!("(${}, ${})", 2 * n + 1, 2 * n + 2)).collect();
    format!(
        "SELECT provider, delivery_id, state, holder, lease_until, updated_at, runs FROM deliveries WHERE (provider, delivery_id) IN (VALUES {})",
        keys.join(", ")
    )
}

/// `finish` of `rows` running claims: `$1` now, then three parameters a row (provider, delivery
/// id, holder). A completion is synced before it is answered, and it says so itself, for its own
/// transaction ([`SYNCED`]): the writer's connection stays at quick commits, so that a round
/// switches no setting to and fro.
fn finish_sql(finish: Finish, rows: usize) -> String {
    let plain = plain_finish_sql(finish, rows);
    match finish {
        Finish::Complete => plain.replacen("\nWHERE ", &format!("\nFROM {SYNCED}\nWHERE "), 1),
        Finish::Release => plain,
    }
}

/// PostgreSQL's setting for the transaction the statement joining it commits: synced
/// (`synchronous_commit` for the transaction alone; the session's stays off). Every row the
/// statement writes is joined with it, so a statement that writes a row has set it.
const SYNCED: &str = "(SELECT set_config('synchronous_commit', 'on', true)) AS synced";

/// [`finish_sql`] without its setting, which SQLite does not know: what the plan test reads.
fn plain_finish_sql(finish: Finish, rows: usize) -> String {
    let keys: Vec<String> = (0..rows).map(|n| format!("(${}, ${}, ${})", 3 * n + 2, 3 * n + 3, 3 * n + 4)).collect();
    let (set, which) = match finish {
        // A released claim (its lease ended at 0) was given up: it is not completed after.
        Finish::Complete => ("state = 'done', updated_at = $1", "state = 'running' AND lease_until <> 0"),
        // Left running with its lease over, so the next copy takes it over (and its run count
        // shows the retry).
        Finish::Release => ("lease_until = 0, updated_at = $1", "state = 'running'"),
    };
    format!("UPDATE deliveries SET {set}\nWHERE {which} AND (provider, delivery_id, holder) IN (VALUES {})", keys.join(", "))
}

/// What becomes of a running claim.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Finish {
    Complete,
    Release,
}

impl Finish {
    fn action(self) -> &'static str {
        match self {
            Finish::Complete => "complete a delivery",
            Finish::Release => "release a delivery",
        }
    }
}

/// A claim, and where its answer goes.
pub(super) struct ClaimOp {
    pub(super) provider: String,
    pub(super) delivery_id: String,
    pub(super) lease: Duration,
    pub(super) retention: Duration,
    reply: oneshot::Sender<Result<Claim, StoreError>>,
}

impl ClaimOp {
    pub(super) fn key(&self) -> (&str, &str) {
        (&self.provider, &self.delivery_id)
    }

    /// A claim whose answer goes nowhere.
    #[cfg(test)]
    pub(super) fn new(provider: &str, delivery_id: &str, lease: Duration, retention: Duration) -> ClaimOp {
        let (reply, _) = oneshot::channel();
        ClaimOp { provider: provider.to_owned(), delivery_id: delivery_id.to_owned(), lease, retention, reply }
    }
}

/// A completion or a release, and where its answer goes.
pub(super) struct FinishOp {
    pub(super) lease: Lease,
    reply: oneshot::Sender<Result<(), StoreError>>,
}

/// A purge of the deliveries completed at or before `horizon`, and where its count goes. It goes
/// through the writer so that, with claims held in memory, it is one round after another with the
/// writes that add rows.
struct PurgeOp {
    horizon: i64,
    reply: oneshot::Sender<Result<u64, StoreError>>,
}

/// One write.
enum Op {
    Claim(ClaimOp),
    Finish(Finish, FinishOp),
    Purge(PurgeOp),
}

/// Where a store keeps the claims running.
#[derive(Clone, Debug)]
pub(crate) enum Claims {
    /// In the database, where every process sharing it sees them (PostgreSQL).
    Stored,
    /// In this process's memory (SQLite, whose file is one process's; see `held`).
    Held(Arc<Mutex<Held>>),
}

impl Claims {
    /// Writes `finish` of `ops`' claims (sorted by key), committed (a completion synced): for
    /// each, whether it was written (`false`: its lease was lost).
    async fn finish(&self, session: &mut Session, finish: Finish, ops: &[FinishOp]) -> Result<Vec<bool>, ::sqlx::Error> {
        match (self, finish) {
            // The completion's statement syncs its own commit (`finish_sql`).
            (Claims::Stored, _) => write_finish(session.quick().await?, finish, ops).await,
            (Claims::Held(held), Finish::Complete) => local::finish(session.durable().await?, held, finish, ops).await,
            (Claims::Held(held), Finish::Release) => local::finish(session.quick().await?, held, finish, ops).await,
        }
    }

    /// Deletes the deliveries completed or given up at or before `horizon`, committed; how many.
    async fn purge(&self, link: &mut Link, horizon: i64) -> Result<u64, ::sqlx::Error> {
        match self {
            Claims::Stored => Ok(on_database!(link, connection => {
                let mut purged = 0;
                for sql in [super::sql::PURGE, super::sql::PURGE_GIVEN_UP] {
                    purged += ::sqlx::query(sql).bind(horizon).execute(&mut *connection).await?.rows_affected();
                }
                purged
            })),
            // Each deletion changes where the rows are, which claims held in memory rely on.
            Claims::Held(held) => local::purge(link, held, horizon).await,
        }
    }
}

/// The handle requests send their writes through; cloned freely.
#[derive(Clone, Debug)]
pub(crate) struct Writer {
    ops: mpsc::Sender<Op>,
    /// Where claims go when a task of their own reads them (claims held in memory).
    claims: Option<mpsc::Sender<Op>>,
    kept: Claims,
}

impl Writer {
    /// Starts the writer task on `backend` (it ends when every handle is dropped); with claims
    /// held in memory, the claims' task too, which reads while the writer writes.
    pub(crate) fn start(backend: Backend, kept: Claims) -> Writer {
        let (ops, queue) = mpsc::channel(4 * MAX_BATCH);
        let (claims, claim_queue) = match &kept {
            Claims::Stored => (None, None),
            Claims::Held(_) => {
                let (claims, queue) = mpsc::channel(4 * MAX_BATCH);
                (Some(claims), Some(queue))
            }
        };
        let writer = Writer { ops, claims, kept: kept.clone() };
        ::tokio::spawn(async move {
            let mut open: Option<Session> = None;
            if let (Claims::Held(held), Some(queue)) = (&kept, claim_queue) {
                // Claims wait until it is known where the rows are (claims without it would not
                // know which deliveries are done); a database that cannot be read is tried again.
                let mut pause = Duration::from_millis(100);
                while let Err(e) = retried!(&backend, &mut open, session => async { local::load(session.quick().await?, held).await }) {
                    ::tracing::error!(reason = %e, "cannot read the deliveries kept; claims wait, trying again in {pause:?}");
                    ::tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(30));
                }
                ::tokio::spawn(run_claims(backend.clone(), Arc::clone(held), queue));
            }
            run(backend, kept, open, queue).await;
        });
        writer
    }

    pub(crate) async fn claim(&self, key: DeliveryKey<'_>, lease: Duration, retention: Duration) -> Result<Claim, StoreError> {
        if let Claims::Held(held) = &self.kept {
            if let Some(claim) = local::claim_at_once(held, key, lease) {
                return Ok(claim);
            }
        }
        let (provider, delivery_id) = (key.provider.to_owned(), key.delivery_id.to_owned());
        let queue = self.claims.as_ref().unwrap_or(&self.ops);
        ask(queue, "reach the store's writer", |reply| Op::Claim(ClaimOp { provider, delivery_id, lease, retention, reply })).await?
    }

    pub(crate) async fn complete(&self, lease: &Lease) -> Result<(), StoreError> {
        self.finish(Finish::Complete, lease).await
    }

    pub(crate) async fn release(&self, lease: &Lease) -> Result<(), StoreError> {
        self.finish(Finish::Release, lease).await
    }

    async fn finish(&self, finish: Finish, lease: &Lease) -> Result<(), StoreError> {
        let lease = lease.clone();
        self.ask(|reply| Op::Finish(finish, FinishOp { lease, reply })).await?
    }

    /// Purges the deliveries completed or given up at or before `horizon`; how many.
    pub(crate) async fn purge(&self, horizon: i64) -> Result<u64, StoreError> {
        self.ask(|reply| Op::Purge(PurgeOp { horizon, reply })).await?
    }

    async fn ask<T>(&self, op: impl FnOnce(oneshot::Sender<T>) -> Op) -> Result<T, StoreError> {
        ask(&self.ops, "reach the store's writer", op).await
    }
}

/// The writes waiting for the writer, by kind.
#[derive(Default)]
struct Waiting {
    claims: Vec<ClaimOp>,
    releases: Vec<FinishOp>,
    completions: Vec<FinishOp>,
    purges: Vec<PurgeOp>,
}

impl Gather for Waiting {
    type Op = Op;

    fn len(&self) -> usize {
        self.claims.len() + self.releases.len() + self.completions.len() + self.purges.len()
    }

    fn push(&mut self, op: Op) {
        match op {
            Op::Claim(op) => self.claims.push(op),
            Op::Finish(Finish::Release, op) => self.releases.push(op),
            Op::Finish(Finish::Complete, op) => self.completions.push(op),
            Op::Purge(op) => self.purges.push(op),
        }
    }
}

/// The writer task, a round at a time: the claims that wait are written and answered (only
/// claims kept in the database come here; those held in memory go to `run_claims`); their
/// handlers run (most finish at once, so the writer yields to them and takes what they write);
/// then the releases and completions that wait are written and answered. A claim that arrives
/// meanwhile waits for the next round.
async fn run(backend: Backend, kept: Claims, mut open: Option<Session>, mut queue: mpsc::Receiver<Op>) {
    let open = &mut open;
    let mut waiting = Waiting::default();
    while gather(&mut waiting, &mut queue, MAX_BATCH).await {
        // Every statement touches rows in key order, so two instances' statements cannot
        // deadlock.
        let mut claims = ::std::mem::take(&mut waiting.claims);
        if !claims.is_empty() {
            claims.sort_by(|a, b| (&a.provider, &a.delivery_id).cmp(&(&b.provider, &b.delivery_id)));
            let won = retried!(&backend, open, session => async { claim(session.quick().await?, &claims).await });
            answer_claims(claims, won);
            ::tokio::task::yield_now().await;
            gather(&mut waiting, &mut queue, MAX_BATCH).await;
        }
        let releases = ::std::mem::take(&mut waiting.releases);
        let completions = ::std::mem::take(&mut waiting.completions);
        for (finish, mut ops) in [(Finish::Release, releases), (Finish::Complete, completions)] {
            if ops.is_empty() {
                continue;
            }
            ops.sort_by(|a, b| (&a.lease.provider, &a.lease.delivery_id).cmp(&(&b.lease.provider, &b.lease.delivery_id)));
            let written = retried!(&backend, open, session => async { kept.finish(session, finish, &ops).await });
            answer_finishes(finish, ops, written);
        }
        // A purge needs no sync: a deletion lost in a crash leaves rows the next purge deletes.
        for purge in ::std::mem::take(&mut waiting.purges) {
            let purged = retried!(&backend, open, session => async { kept.purge(session.quick().await?, purge.horizon).await });
            drop(purge.reply.send(purged.map_err(|e| StoreError::new("purge deliveries", e))));
        }
    }
}

/// The claims' task, for claims held in memory: a batch of whatever claims wait, read and
/// answered, at a time. The writer's task does the writing meanwhile.
async fn run_claims(backend: Backend, held: Arc<Mutex<Held>>, mut queue: mpsc::Receiver<Op>) {
    let mut open: Option<Session> = None;
    let open = &mut open;
    let mut waiting = Waiting::default();
    while gather(&mut waiting, &mut queue, MAX_BATCH).await {
        let mut claims = ::std::mem::take(&mut waiting.claims);
        claims.sort_by(|a, b| a.key().cmp(&b.key()));
        let won = retried!(&backend, open, session => async { local::claim(session.quick().await?, &held, &claims).await });
        answer_claims(claims, won);
    }
}

/// Answers `claims` with what their statement found.
fn answer_claims(claims: Vec<ClaimOp>, answers: Result<Vec<Claim>, ::sqlx::Error>) {
    match answers {
        Ok(answers) => claims.into_iter().zip(answers).for_each(|(op, claim)| drop(op.reply.send(Ok(claim)))),
        Err(e) => {
            ::tracing::error!(reason = %e, "a batch of claims failed");
            let failed = || StoreError::new("commit a claim", "the statement failed; see the log");
            claims.into_iter().for_each(|op| drop(op.reply.send(Err(failed()))));
        }
    }
}

fn answer_finishes(finish: Finish, ops: Vec<FinishOp>, written: Result<Vec<bool>, ::sqlx::Error>) {
    match written {
        Ok(written) => ops
            .into_iter()
            .zip(written)
            .for_each(|(op, written)| drop(op.reply.send(if written { Ok(()) } else { Err(StoreError::new(finish.action(), LeaseLost)) }))),
        Err(e) => {
            ::tracing::error!(reason = %e, "a batch of writes failed: {}", finish.action());
            let failed = || StoreError::new(finish.action(), "the statement failed; see the log");
            ops.into_iter().for_each(|op| drop(op.reply.send(Err(failed()))));
        }
    }
}

/// A delivery's row, as [`rows_sql`] reads it (its columns by name).
#[derive(::sqlx::FromRow)]
pub(super) struct Stored {
    pub(super) state: String,
    pub(super) holder: String,
    pub(super) lease_until: i64,
    pub(super) updated_at: i64,
    pub(super) runs: i64,
}

/// The rows of `keys`, by key.
pub(super) async fn read_rows(link: &mut Link, keys: &[(&str, &str)]) -> Result<HashMap<(String, String), Stored>, ::sqlx::Error> {
    let sql = rows_sql(keys.len());
    let mut rows = HashMap::with_capacity(keys.len());
    on_database!(link, connection => {
        let mut query = ::sqlx::query(&sql);
        for (provider, delivery_id) in keys {
            query = query.bind(*provider).bind(*delivery_id);
        }
        for row in query.fetch_all(&mut *connection).await? {
            rows.insert((row.try_get(0)?, row.try_get(1)?), Stored::from_row(&row)?);
        }
    });
    Ok(rows)
}

/// Claims `claims` (sorted by key), each committed: each one's answer, in order.
///
/// One upsert for the first claim of each key (a second claim of a key in the same batch
/// answers as the first's loser would); when it did not write every row, one read of them tells
/// which it won (the row holds the claim's fresh holder) and what the others are.
async fn claim(link: &mut Link, claims: &[ClaimOp]) -> Result<Vec<Claim>, ::sqlx::Error> {
    let now = unix_ms(SystemTime::now());
    let key = |i: usize| claims[i].key();
    let (firsts, first_of) = firsts(claims);
    let firsts: Vec<(usize, String)> = firsts.into_iter().map(|i| (i, ::uuid::Uuid::new_v4().to_string())).collect();
    // One statement per retention (a store has one; clones may differ).
    let mut retentions: Vec<Duration> = firsts.iter().map(|(i, _)| claims[*i].retention).collect();
    retentions.sort();
    retentions.dedup();
    let mut written = 0;
    for retention in retentions {
        let group: Vec<&(usize, String)> = firsts.iter().filter(|(i, _)| claims[*i].retention == retention).collect();
        let sql = claims_sql(group.len());
        written += on_database!(link, connection => {
            let mut query = ::sqlx::query(&sql).bind(now).bind(now.saturating_sub(ms(retention)));
            for (i, holder) in &group {
                let op = &claims[*i];
                query = query.bind(&op.provider).bind(&op.delivery_id).bind(holder).bind(now.saturating_add(ms(op.lease)));
            }
            query.execute(&mut *connection).await?.rows_affected()
        });
    }
    let rows = match usize::try_from(written).is_ok_and(|n| n == firsts.len()) {
        true => None,
        false => Some(read_rows(link, &firsts.iter().map(|(i, _)| key(*i)).collect::<Vec<_>>()).await?),
    };
    let holders: HashMap<usize, &String> = firsts.iter().map(|(i, h)| (*i, h)).collect();
    let answer = |i: usize| -> Claim {
        let (p, d) = key(i);
        let row = rows.as_ref().map(|rows| rows.get(&(p.to_owned(), d.to_owned())));
        match row {
            // Every row was written: every claim won.
            None => {}
            Some(Some(row)) if row.holder == *holders[&i] && row.state == "running" => {}
            Some(Some(row)) if row.state == "done" => return Claim::Completed,
            // Running under another holder, or gone already (purged): the provider retries.
            Some(_) => return Claim::Running,
        }
        Claim::Acquired(Lease { provider: p.to_owned(), delivery_id: d.to_owned(), holder: holders[&i].clone() })
    };
    Ok(each_claim(&first_of, answer))
}

/// The first claim of each key in `claims` (sorted by key), and for each claim, the first of its
/// key.
pub(super) fn firsts(claims: &[ClaimOp]) -> (Vec<usize>, Vec<usize>) {
    let mut firsts: Vec<usize> = Vec::new();
    let mut first_of: Vec<usize> = Vec::with_capacity(claims.len());
    for i in 0..claims.len() {
        match firsts.last() {
            Some(&j) if claims[j].key() == claims[i].key() => first_of.push(j),
            _ => {
                firsts.push(i);
                first_of.push(i);
            }
        }
    }
    (firsts, first_of)
}

/// Each claim's answer, from `answer` of the first claim of its key: a second claim of a key in
/// one batch answers as the first one's loser.
pub(super) fn each_claim(first_of: &[usize], mut answer: impl FnMut(usize) -> Claim) -> Vec<Claim> {
    let mut answers: HashMap<usize, Claim> = HashMap::new();
    (0..first_of.len())
        .map(|i| {
            let first = answers.entry(first_of[i]).or_insert_with(|| answer(first_of[i])).clone();
            match first {
                Claim::Acquired(_) if first_of[i] != i => Claim::Running,
                other => other,
            }
        })
        .collect()
}

/// Writes `finish` of `ops`' claims (sorted by key), committed: for each, whether it was written
/// (`false`: its lease was lost). When the statement did not write every row, one read of them
/// tells which it wrote: those that now show the write under their holder.
async fn write_finish(link: &mut Link, finish: Finish, ops: &[FinishOp]) -> Result<Vec<bool>, ::sqlx::Error> {
    let now = unix_ms(SystemTime::now());
    let sql = finish_sql(finish, ops.len());
    let written = on_database!(link, connection => {
        let mut query = ::sqlx::query(&sql).bind(now);
        for op in ops {
            query = query.bind(&op.lease.provider).bind(&op.lease.delivery_id).bind(&op.lease.holder);
        }
        query.execute(&mut *connection).await?.rows_affected()
    });
    if usize::try_from(written).is_ok_and(|n| n == ops.len()) {
        return Ok(vec![true; ops.len()]);
    }
    let keys: Vec<(&str, &str)> = ops.iter().map(|op| (op.lease.provider.as_str(), op.lease.delivery_id.as_str())).collect();
    let rows = read_rows(link, &keys).await?;
    Ok(ops
        .iter()
        .map(|op| {
            let row = rows.get(&(op.lease.provider.clone(), op.lease.delivery_id.clone()));
            row.is_some_and(|row| {
                row.holder == op.lease.holder
                    && match finish {
                        Finish::Complete => row.state == "done",
                        Finish::Release => row.state == "running" && row.lease_until == 0,
                    }
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::sqlite_plan;

    /// Whether `held` holds where each row of `delivery_log` is, and nothing else: each row's id
    /// is among those of its key, and there are as many ids as rows (ids are unique).
    async fn holds_the_table(backend: &Backend, held: &Mutex<Held>) -> Result<(), String> {
        let Backend::Sqlite(pool) = backend else { unreachable!() };
        let table: Vec<(i64, String, String)> =
            ::sqlx::query_as("SELECT id, provider, delivery_id FROM delivery_log").fetch_all(pool).await.unwrap();
        let held = local::lock(held);
        let rows = held.rows().ok_or("not loaded")?;
        if let Some((id, p, d)) = table.iter().find(|(id, p, d)| !rows.of(p, d).contains(id)) {
            return Err(format!("row {id} ({p}, {d}) is not held"));
        }
        match rows.len() == table.len() {
            true => Ok(()),
            false => Err(format!("{} ids held for {} rows", rows.len(), table.len())),
        }
    }

    /// A claim held in memory is taken without a read when memory says its delivery has no row,
    /// and rows are found by the ids held, so those must be the table's exactly, whatever the
    /// writes: any mix of claims (leases running and over), completions and releases (of leases
    /// held, lost or ended), purges, and the store opened anew. Checked after every write of
    /// seeded random mixes.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_rows_held_in_memory_are_the_tables_whatever_the_writes() {
        let dir = ::tempfile::tempdir().unwrap();
        let backend = Backend::open(&format!("sqlite://{}", dir.path().join("store.db").display())).await.unwrap();
        let retention = Duration::from_secs(3600);
        for seed in [1_u64, 0x9e37_79b9_7f4a_7c15, 0xdead_beef] {
            let mut next = crate::seeded(seed);
            let mut held = Arc::new(Mutex::new(Held::default()));
            let mut writer = Writer::start(backend.clone(), Claims::Held(Arc::clone(&held)));
            let mut leases: Vec<Lease> = Vec::new();
            for step in 0..300 {
                let id = format!("{seed}-{}", next(12));
                let key = DeliveryKey { provider: "p", delivery_id: &id };
                let action = next(10);
                match action {
                    0..=3 => {
                        // A lease over at once lets the next claim take the delivery over.
                        let lease = if next(3) == 0 { Duration::ZERO } else { Duration::from_secs(60) };
                        if let Claim::Acquired(lease) = writer.claim(key, lease, retention).await.unwrap() {
                            leases.push(lease);
                        }
                    }
                    4..=6 if !leases.is_empty() => {
                        let lease = leases.remove(usize::try_from(next(leases.len() as u64)).unwrap());
                        drop(writer.complete(&lease).await);
                    }
                    7 if !leases.is_empty() => {
                        let lease = leases.remove(usize::try_from(next(leases.len() as u64)).unwrap());
                        drop(writer.release(&lease).await);
                    }
                    8 => drop(writer.purge(unix_ms(SystemTime::now()).saturating_add(1000)).await.unwrap()),
                    9 => {
                        // Opened anew: the claims held die with the old store.
                        drop(writer);
                        held = Arc::new(Mutex::new(Held::default()));
                        writer = Writer::start(backend.clone(), Claims::Held(Arc::clone(&held)));
                        leases.clear();
                        // The first claim waits for the rows to be read.
                        drop(writer.claim(DeliveryKey { provider: "p", delivery_id: "warm-up" }, Duration::ZERO, retention).await);
                    }
                    _ => continue,
                }
                if let Err(e) = holds_the_table(&backend, &held).await {
                    panic!("seed {seed}, step {step}, action {action}: {e}");
                }
            }
        }
    }

    /// A new database on the PostgreSQL server the tests use (`WEBHOOK_TEST_POSTGRES_URL`):
    /// required under `CI`, as the integration tests require it; elsewhere its absence is said,
    /// loudly.
    async fn fresh_postgres() -> Option<String> {
        use ::sqlx::Executor;
        let server = match ::std::env::var("WEBHOOK_TEST_POSTGRES_URL") {
            Ok(url) if !url.is_empty() => url,
            _ if ::std::env::var_os("CI").is_some() => panic!("WEBHOOK_TEST_POSTGRES_URL is not set: required under CI=true"),
            _ => {
                let said = "\n*** SKIPPED: a PostgreSQL unit test (WEBHOOK_TEST_POSTGRES_URL is not set) ***\n";
                let _ = ::std::io::Write::write_all(&mut ::std::io::stderr(), said.as_bytes());
                return None;
            }
        };
        let name = format!("unit_{}", ::uuid::Uuid::new_v4().simple());
        let admin = ::sqlx::PgPool::connect(&server).await.unwrap();
        admin.execute(format!("CREATE DATABASE {name}").as_str()).await.unwrap();
        admin.close().await;
        Some(format!("{}/{name}", server.rsplit_once('/').expect("a URL ending in its database").0))
    }

    /// On PostgreSQL a completion's statement makes its own transaction's commit synced, and only
    /// its own: the writer's connection stays at quick commits, for claims and releases.
    #[tokio::test]
    async fn a_completion_on_postgresql_syncs_its_own_commit_and_no_other() {
        use ::sqlx::Connection;
        let Some(url) = fresh_postgres().await else { return };
        let backend = Backend::open(&url).await.unwrap();
        let mut session = Session::open(&backend).await.unwrap();
        let Link::Postgres(connection) = session.quick().await.unwrap() else { unreachable!() };
        let provider = "p";
        let setting = "SELECT current_setting('synchronous_commit')";
        ::sqlx::query(
            "INSERT INTO deliveries (provider, delivery_id, state, holder, lease_until, updated_at, runs) \
             VALUES ($1, 'd', 'running', 'h', 1, 0, 1), ($1, 'e', 'running', 'h', 1, 0, 1)",
        )
        .bind(provider)
        .execute(&mut *connection)
        .await
        .unwrap();
        for (finish, id, synced) in [(Finish::Release, "e", "off"), (Finish::Complete, "d", "on")] {
            let mut transaction = connection.begin().await.unwrap();
            let sql = finish_sql(finish, 1);
            let query = ::sqlx::query(&sql).bind(1_i64).bind(provider).bind(id).bind("h");
            assert_eq!(query.execute(&mut *transaction).await.unwrap().rows_affected(), 1, "{finish:?}");
            let during: String = ::sqlx::query_scalar(setting).fetch_one(&mut *transaction).await.unwrap();
            assert_eq!(during, synced, "{finish:?}");
            transaction.commit().await.unwrap();
            let after: String = ::sqlx::query_scalar(setting).fetch_one(&mut *connection).await.unwrap();
            assert_eq!(after, "off", "{finish:?}: the session's setting is left as it was");
        }
    }

    /// No statement a batch runs reads `deliveries` or `delivery_log` whole: each key is a lookup, so a batch costs
    /// the same however many deliveries the retention keeps; nor does the purge.
    #[tokio::test]
    async fn lookups_use_the_primary_key() {
        for rows in 1..=3 {
            let purge = super::super::sql::PURGE.to_owned();
            let given_up = super::super::sql::PURGE_GIVEN_UP.to_owned();
            let finishes = [plain_finish_sql(Finish::Complete, rows), plain_finish_sql(Finish::Release, rows)];
            // SQLite's own: by the ids held in memory, and the purge down its index.
            let local = [local::rows_sql(rows), local::replaced_sql(rows, rows), local::PURGE.to_owned()];
            for sql in [claims_sql(rows), rows_sql(rows), purge, given_up].into_iter().chain(finishes).chain(local) {
                let plan = sqlite_plan(&sql).await;
                let whole = |step: &String| step.starts_with("SCAN deliveries") || step.starts_with("SCAN delivery_log");
                assert!(!plan.iter().any(whole), "{sql}\nreads the table whole:\n{plan:#?}");
            }
        }
    }
}
