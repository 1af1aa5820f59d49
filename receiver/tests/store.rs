//! The delivery stores' conformance suite: every case runs against SQLite (a file in a fresh
//! directory) and PostgreSQL (`WEBHOOK_TEST_POSTGRES_URL`, which `.ci/run` sets; required under
//! `CI=true`, and a loud skip otherwise).

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use webhook_receiver::store::{Claim, DeliveryKey, DeliveryStore, Lease, LeaseLost, SqlStore, StoreError, DEFAULT_LEASE};

use common::{databases, unique};

fn key<'a>(provider: &'a str, id: &'a str) -> DeliveryKey<'a> {
    DeliveryKey { provider, delivery_id: id }
}

fn acquired(claim: Claim) -> Lease {
    match claim {
        Claim::Acquired(lease) => lease,
        other => panic!("expected the claim to be acquired, got {other:?}"),
    }
}

/// Runs `case` on a store of every database this machine has.
async fn each_store<F, Fut>(retention: Option<Duration>, case: F)
where
    F: Fn(SqlStore, String) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for db in databases().await {
        let store = SqlStore::open(&db.url).await.unwrap();
        let store = match retention {
            Some(r) => store.with_retention(r),
            None => store,
        };
        // A provider name of its own, so cases sharing a PostgreSQL database do not meet.
        case(store, unique("provider")).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_runs_once_then_is_a_duplicate() {
    each_store(None, |store, p| async move {
        let lease = acquired(store.claim(key(&p, "a"), DEFAULT_LEASE).await.unwrap());
        assert_eq!(lease.key(), key(&p, "a"));
        assert_eq!(store.claim(key(&p, "a"), DEFAULT_LEASE).await.unwrap(), Claim::Running, "{}", store.kind());
        store.complete(&lease).await.unwrap();
        assert_eq!(store.claim(key(&p, "a"), DEFAULT_LEASE).await.unwrap(), Claim::Completed, "{}", store.kind());
        assert_eq!(store.runs(key(&p, "a")).await.unwrap(), Some(1));
        // The same id from another provider is another delivery.
        let other = format!("{p}-other");
        acquired(store.claim(key(&other, "a"), DEFAULT_LEASE).await.unwrap());
        assert_eq!(store.runs(key(&p, "never")).await.unwrap(), None);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_released_delivery_runs_again_and_a_completed_lease_cannot_be_released() {
    each_store(None, |store, p| async move {
        let first = acquired(store.claim(key(&p, "a"), DEFAULT_LEASE).await.unwrap());
        store.release(&first).await.unwrap();
        let second = acquired(store.claim(key(&p, "a"), DEFAULT_LEASE).await.unwrap());
        assert_eq!(store.runs(key(&p, "a")).await.unwrap(), Some(2), "{}", store.kind());
        // The first holder's lease is gone: it can neither complete nor release.
        assert!(store.complete(&first).await.is_err());
        assert!(store.release(&first).await.is_err());
        store.complete(&second).await.unwrap();
        assert!(store.release(&second).await.is_err(), "a completed delivery is not released");
        assert_eq!(store.claim(key(&p, "a"), DEFAULT_LEASE).await.unwrap(), Claim::Completed);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_many_concurrent_claims_of_one_delivery_exactly_one_wins() {
    each_store(None, |store, p| async move {
        let store = Arc::new(store);
        for round in 0..5 {
            let id = format!("concurrent-{round}");
            let tasks: Vec<_> = (0..24)
                .map(|_| {
                    let (store, p, id) = (Arc::clone(&store), p.clone(), id.clone());
                    tokio::spawn(async move { store.claim(key(&p, &id), DEFAULT_LEASE).await.unwrap() })
                })
                .collect();
            let mut won = Vec::new();
            for task in tasks {
                match task.await.unwrap() {
                    Claim::Acquired(lease) => won.push(lease),
                    Claim::Running => {}
                    Claim::Completed => panic!("nothing completed it"),
                }
            }
            assert_eq!(won.len(), 1, "{}: round {round}", store.kind());
            store.complete(&won[0]).await.unwrap();
        }
    })
    .await;
}

/// Whether `e` is a lost lease, the one failure a holder racing others may get.
fn lost(e: &StoreError) -> bool {
    std::error::Error::source(e).is_some_and(|source| source.is::<LeaseLost>())
}

/// Holders racing over a few deliveries, with leases so short that they run out mid-handler and
/// the delivery is taken over, some releasing and most completing: whatever the interleaving, a
/// delivery is completed at most once, and a claim begun after a completion was answered does not
/// run it again. Seeded, but the interleaving is the machine's: each run tries another one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_holders_with_short_leases_complete_each_delivery_at_most_once() {
    each_store(None, |store, p| async move {
        let store = Arc::new(store);
        // When each delivery's completion was answered.
        let completed: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
        let tasks: Vec<_> = (1..=8_u64)
            .map(|seed| {
                let (store, p, completed) = (Arc::clone(&store), p.clone(), Arc::clone(&completed));
                tokio::spawn(async move {
                    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15);
                    let mut next = move |n: u64| {
                        state ^= state << 13;
                        state ^= state >> 7;
                        state ^= state << 17;
                        state % n
                    };
                    for _ in 0..40 {
                        let id = format!("d{}", next(4));
                        let began = Instant::now();
                        let Claim::Acquired(lease) = store.claim(key(&p, &id), Duration::from_millis(next(6))).await.unwrap() else {
                            continue;
                        };
                        if let Some(done) = completed.lock().unwrap().get(&id) {
                            assert!(*done > began, "{}: {id} ran again after its completion was answered", store.kind());
                        }
                        tokio::time::sleep(Duration::from_millis(next(4))).await;
                        if next(4) == 0 {
                            if let Err(e) = store.release(&lease).await {
                                assert!(lost(&e), "{}: {e}", store.kind());
                            }
                            continue;
                        }
                        match store.complete(&lease).await {
                            Ok(()) => {
                                let again = completed.lock().unwrap().insert(id.clone(), Instant::now());
                                assert!(again.is_none(), "{}: {id} completed twice", store.kind());
                            }
                            Err(e) => assert!(lost(&e), "{}: {e}", store.kind()),
                        }
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        assert!(!completed.lock().unwrap().is_empty(), "{}: the race completed nothing", store.kind());
    })
    .await;
}

/// What a delivery is before the writes sent at once, and which write it then gets.
#[derive(Clone, Copy, Debug)]
enum Case {
    /// Never claimed; claimed by several at once: exactly one wins.
    NewClaimedBySeveral(usize),
    /// Running under a lease held here; claimed again: still running.
    RunningClaimed,
    /// Running under a lease held here; completed: done.
    RunningCompleted,
    /// Running under a lease held here; released: claimed anew afterwards.
    RunningReleased,
    /// Completed; claimed again: a duplicate.
    DoneClaimed,
    /// Completed; released under its old lease: refused.
    DoneReleased,
    /// Taken over after its first lease ran out; completed under the first lease: refused.
    TakenOverCompletedByTheLoser,
    /// Taken over after its first lease ran out; completed under both leases at once: the
    /// winner's is written, the loser's refused.
    TakenOverCompletedByBoth,
}

/// A small generator of cases (xorshift), so each seed is one reproducible mix.
fn cases(mut seed: u64, n: usize) -> Vec<Case> {
    (0..n)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            match seed % 8 {
                0 => Case::NewClaimedBySeveral(1 + (seed / 8 % 3) as usize),
                1 => Case::RunningClaimed,
                2 => Case::RunningCompleted,
                3 => Case::RunningReleased,
                4 => Case::DoneClaimed,
                5 => Case::DoneReleased,
                6 => Case::TakenOverCompletedByTheLoser,
                _ => Case::TakenOverCompletedByBoth,
            }
        })
        .collect()
}

/// The store writes concurrent requests in batches, and answers a whole batch from one statement
/// per kind of write: every write sent at once must still get the answer of its own row, whatever
/// the mix of outcomes in the batch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_sent_at_once_are_each_answered_by_their_own_row() {
    each_store(None, |store, p| async move {
        let store = Arc::new(store);
        for seed in [0x9e37_79b9_7f4a_7c15, 0xdead_beef, 42, 7] {
            let cases = cases(seed, 24);
            // Set each delivery up, one write at a time: the leases its writes are sent under.
            let mut leases: Vec<Vec<Lease>> = Vec::new();
            for (n, case) in cases.iter().enumerate() {
                let id = format!("{seed}-{n}");
                let held = match case {
                    Case::NewClaimedBySeveral(_) => Vec::new(),
                    Case::RunningClaimed | Case::RunningCompleted | Case::RunningReleased => {
                        vec![acquired(store.claim(key(&p, &id), DEFAULT_LEASE).await.unwrap())]
                    }
                    Case::DoneClaimed | Case::DoneReleased => {
                        let lease = acquired(store.claim(key(&p, &id), DEFAULT_LEASE).await.unwrap());
                        store.complete(&lease).await.unwrap();
                        vec![lease]
                    }
                    Case::TakenOverCompletedByTheLoser => {
                        let loser = acquired(store.claim(key(&p, &id), Duration::ZERO).await.unwrap());
                        acquired(store.claim(key(&p, &id), DEFAULT_LEASE).await.unwrap());
                        vec![loser]
                    }
                    Case::TakenOverCompletedByBoth => {
                        let loser = acquired(store.claim(key(&p, &id), Duration::ZERO).await.unwrap());
                        vec![loser, acquired(store.claim(key(&p, &id), DEFAULT_LEASE).await.unwrap())]
                    }
                };
                leases.push(held);
            }
            // Then every write at once.
            let mut tasks = Vec::new();
            for (n, (case, held)) in cases.iter().zip(&leases).enumerate() {
                // The copies of a claim, or the leases completed or released.
                let writes: Vec<Option<Lease>> = match case {
                    Case::NewClaimedBySeveral(copies) => vec![None; *copies],
                    Case::RunningClaimed | Case::DoneClaimed => vec![None],
                    _ => held.iter().cloned().map(Some).collect(),
                };
                for lease in writes {
                    let (store, p, case) = (Arc::clone(&store), p.clone(), *case);
                    let id = format!("{seed}-{n}");
                    tasks.push(tokio::spawn(async move {
                        let answer = match case {
                            Case::NewClaimedBySeveral(_) | Case::RunningClaimed | Case::DoneClaimed => {
                                format!("{:?}", store.claim(key(&p, &id), DEFAULT_LEASE).await.unwrap())
                            }
                            Case::RunningCompleted | Case::TakenOverCompletedByTheLoser | Case::TakenOverCompletedByBoth => {
                                format!("{:?}", store.complete(&lease.unwrap()).await.map_err(|e| e.action))
                            }
                            Case::RunningReleased | Case::DoneReleased => {
                                format!("{:?}", store.release(&lease.unwrap()).await.map_err(|e| e.action))
                            }
                        };
                        (n, answer)
                    }));
                }
            }
            let mut answers: Vec<Vec<String>> = vec![Vec::new(); cases.len()];
            for task in tasks {
                let (n, answer) = task.await.unwrap();
                answers[n].push(answer);
            }
            for (n, case) in cases.iter().enumerate() {
                let got = &answers[n];
                let id = format!("{seed}-{n}");
                let context = format!("{} {id} {case:?}: {got:?}", store.kind());
                match case {
                    Case::NewClaimedBySeveral(copies) => {
                        assert_eq!(got.iter().filter(|a| a.starts_with("Acquired")).count(), 1, "{context}");
                        assert_eq!(got.iter().filter(|a| *a == "Running").count(), copies - 1, "{context}");
                    }
                    Case::RunningClaimed => assert_eq!(got, &["Running"], "{context}"),
                    Case::RunningCompleted => {
                        assert_eq!(got, &["Ok(())"], "{context}");
                        assert_eq!(store.claim(key(&p, &id), DEFAULT_LEASE).await.unwrap(), Claim::Completed, "{context}");
                    }
                    Case::RunningReleased => {
                        assert_eq!(got, &["Ok(())"], "{context}");
                        acquired(store.claim(key(&p, &id), DEFAULT_LEASE).await.unwrap());
                    }
                    Case::DoneClaimed => assert_eq!(got, &["Completed"], "{context}"),
                    Case::DoneReleased => assert_eq!(got, &["Err(\"release a delivery\")"], "{context}"),
                    Case::TakenOverCompletedByTheLoser => assert_eq!(got, &["Err(\"complete a delivery\")"], "{context}"),
                    Case::TakenOverCompletedByBoth => {
                        let mut got = got.clone();
                        got.sort();
                        assert_eq!(got, ["Err(\"complete a delivery\")", "Ok(())"], "{context}");
                        assert_eq!(store.claim(key(&p, &id), DEFAULT_LEASE).await.unwrap(), Claim::Completed, "{context}");
                    }
                }
            }
        }
    })
    .await;
}

/// A delivery as the contract says it is (the model the stores are held to).
#[derive(Clone, Copy, Debug)]
enum Model {
    Free,
    /// Held by lease `holder`: `active` while its lease runs, `released` once given up.
    Running {
        holder: usize,
        active: bool,
        released: bool,
    },
    Done {
        holder: usize,
    },
}

/// Every store answers as the contract says, one write after another, whatever the writes: claims
/// with leases that run or end at once (the next claim takes the delivery over), completions and
/// releases of leases held, lost, released or completed before. Seeded random sequences over a
/// few deliveries, so that each sees many writes; the run counts are checked at the end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_write_is_answered_as_the_contract_says() {
    each_store(None, |store, p| async move {
        for seed in [3_u64, 0x5eed_cafe, 0x9e37_79b9_7f4a_7c15] {
            let mut state = seed;
            let mut next = move |n: usize| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                usize::try_from(state % n as u64).unwrap()
            };
            let ids: Vec<String> = (0..5).map(|k| format!("{seed}-{k}")).collect();
            let mut model = vec![Model::Free; ids.len()];
            let mut runs = vec![0_i64; ids.len()];
            // Every lease acquired, with its delivery.
            let mut leases: Vec<(usize, Lease)> = Vec::new();
            for step in 0..150 {
                let context = format!("{} seed {seed} step {step}", store.kind());
                let action = next(5);
                if action < 2 || leases.is_empty() {
                    let k = next(ids.len());
                    let lease = if next(3) == 0 { Duration::ZERO } else { DEFAULT_LEASE };
                    let got = store.claim(key(&p, &ids[k]), lease).await.unwrap();
                    let expected = match model[k] {
                        Model::Running { active: true, .. } => "Running",
                        Model::Done { .. } => "Completed",
                        _ => "Acquired",
                    };
                    assert!(format!("{got:?}").starts_with(expected), "{context}: claim of {k} in {:?}: {got:?}", model[k]);
                    if let Claim::Acquired(lease_held) = got {
                        model[k] = Model::Running { holder: leases.len(), active: !lease.is_zero(), released: false };
                        runs[k] += 1;
                        leases.push((k, lease_held));
                    }
                } else {
                    let h = next(leases.len());
                    let (k, lease) = &leases[h];
                    let k = *k;
                    if action < 4 {
                        let got = store.complete(lease).await.is_ok();
                        let expected = match model[k] {
                            Model::Running { holder, released: false, .. } if holder == h => {
                                model[k] = Model::Done { holder: h };
                                true
                            }
                            Model::Done { holder } => holder == h,
                            _ => false,
                        };
                        assert_eq!(got, expected, "{context}: completion of lease {h} of {k} in {:?}", model[k]);
                    } else {
                        let got = store.release(lease).await.is_ok();
                        let expected = match model[k] {
                            Model::Running { holder, .. } if holder == h => {
                                model[k] = Model::Running { holder: h, active: false, released: true };
                                true
                            }
                            _ => false,
                        };
                        assert_eq!(got, expected, "{context}: release of lease {h} of {k} in {:?}", model[k]);
                    }
                }
            }
            for (k, id) in ids.iter().enumerate() {
                let expected = (runs[k] > 0).then_some(runs[k]);
                assert_eq!(store.runs(key(&p, id)).await.unwrap(), expected, "{} seed {seed}: runs of {k}", store.kind());
            }
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_whose_holder_died_expires_after_its_lease() {
    each_store(None, |store, p| async move {
        // As short as a test allows, for the reason `SHORT_RETENTION` says.
        let lease = Duration::from_secs(2);
        let dead = acquired(store.claim(key(&p, "a"), lease).await.unwrap());
        assert_eq!(store.claim(key(&p, "a"), DEFAULT_LEASE).await.unwrap(), Claim::Running);
        tokio::time::sleep(lease + Duration::from_millis(100)).await;
        let next = acquired(store.claim(key(&p, "a"), DEFAULT_LEASE).await.unwrap());
        // The holder that lost its lease cannot complete over the new one.
        assert!(store.complete(&dead).await.is_err(), "{}", store.kind());
        store.complete(&next).await.unwrap();
        assert_eq!(store.runs(key(&p, "a")).await.unwrap(), Some(2));
    })
    .await;
}

/// A retention short enough for a test, and long enough that a machine busy with other work does
/// not stall a test's steps past it (300 ms was not, on a CI machine compiling beside the tests).
const SHORT_RETENTION: Duration = Duration::from_secs(2);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_completed_delivery_is_forgotten_after_the_retention() {
    each_store(Some(SHORT_RETENTION), |store, p| async move {
        let lease = acquired(store.claim(key(&p, "old"), DEFAULT_LEASE).await.unwrap());
        store.complete(&lease).await.unwrap();
        assert_eq!(store.claim(key(&p, "old"), DEFAULT_LEASE).await.unwrap(), Claim::Completed);
        tokio::time::sleep(SHORT_RETENTION + Duration::from_millis(100)).await;
        let recent = acquired(store.claim(key(&p, "recent"), DEFAULT_LEASE).await.unwrap());
        store.complete(&recent).await.unwrap();
        assert!(store.purge().await.unwrap() >= 1, "{}", store.kind());
        assert_eq!(store.runs(key(&p, "old")).await.unwrap(), None, "purged");
        assert_eq!(store.claim(key(&p, "recent"), DEFAULT_LEASE).await.unwrap(), Claim::Completed);
        acquired(store.claim(key(&p, "old"), DEFAULT_LEASE).await.unwrap());
    })
    .await;
}

/// A delivery given up (its handler failed, and the provider stopped retrying) is forgotten after
/// the retention, as a completed one is, so that failures are not kept for ever; one given up
/// within the retention is kept, with its runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_given_up_is_forgotten_after_the_retention() {
    each_store(Some(SHORT_RETENTION), |store, p| async move {
        let failed = acquired(store.claim(key(&p, "failed"), DEFAULT_LEASE).await.unwrap());
        store.release(&failed).await.unwrap();
        // Its holder dies: the lease runs out and no copy comes.
        acquired(store.claim(key(&p, "dead"), Duration::from_millis(100)).await.unwrap());
        tokio::time::sleep(SHORT_RETENTION + Duration::from_millis(100)).await;
        let recent = acquired(store.claim(key(&p, "recent"), DEFAULT_LEASE).await.unwrap());
        store.release(&recent).await.unwrap();
        assert!(store.purge().await.unwrap() >= 1, "{}", store.kind());
        assert_eq!(store.runs(key(&p, "failed")).await.unwrap(), None, "{}: purged", store.kind());
        // SQLite's claims are its process's, in memory, and end with it: nothing was written.
        if store.kind() == "postgres" {
            assert_eq!(store.runs(key(&p, "dead")).await.unwrap(), None, "purged");
        }
        assert_eq!(store.runs(key(&p, "recent")).await.unwrap(), Some(1), "{}: kept", store.kind());
        let again = acquired(store.claim(key(&p, "recent"), DEFAULT_LEASE).await.unwrap());
        store.complete(&again).await.unwrap();
        assert_eq!(store.runs(key(&p, "recent")).await.unwrap(), Some(2), "{}", store.kind());
    })
    .await;
}

/// A store opened again on its database (a restart) knows what was completed; a claim that was
/// running is the old process's: SQLite's died with it (its claims are in its memory, and the
/// file is one process's), PostgreSQL's runs until its lease ends (another instance may hold it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_opened_again_knows_what_was_completed() {
    for db in databases().await {
        let p = unique("provider");
        let store = SqlStore::open(&db.url).await.unwrap();
        let kind = store.kind();
        let done = acquired(store.claim(key(&p, "done"), DEFAULT_LEASE).await.unwrap());
        store.complete(&done).await.unwrap();
        acquired(store.claim(key(&p, "running"), DEFAULT_LEASE).await.unwrap());
        drop(store);

        let store = SqlStore::open(&db.url).await.unwrap();
        assert_eq!(store.claim(key(&p, "done"), DEFAULT_LEASE).await.unwrap(), Claim::Completed, "{kind}");
        let running = store.claim(key(&p, "running"), DEFAULT_LEASE).await.unwrap();
        match kind {
            "sqlite" => assert!(matches!(running, Claim::Acquired(_)), "{running:?}"),
            _ => assert_eq!(running, Claim::Running),
        }
        acquired(store.claim(key(&p, "new"), DEFAULT_LEASE).await.unwrap());
    }
}

/// Two stores opened on one database in one process see each other's claims: on SQLite they are
/// handles to one store (its claims are in memory), on PostgreSQL two instances sharing rows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stores_opened_twice_on_one_database_share_their_claims() {
    for db in databases().await {
        let p = unique("provider");
        let (first, second) = (SqlStore::open(&db.url).await.unwrap(), SqlStore::open(&db.url).await.unwrap());
        let lease = acquired(first.claim(key(&p, "a"), DEFAULT_LEASE).await.unwrap());
        assert_eq!(second.claim(key(&p, "a"), DEFAULT_LEASE).await.unwrap(), Claim::Running, "{}", first.kind());
        second.complete(&lease).await.unwrap();
        assert_eq!(first.claim(key(&p, "a"), DEFAULT_LEASE).await.unwrap(), Claim::Completed, "{}", first.kind());
    }
}

#[tokio::test]
async fn a_url_of_neither_database_is_refused_with_a_reason() {
    let error = SqlStore::open("mysql://localhost/db").await.unwrap_err();
    assert!(error.to_string().contains("neither a `sqlite:` nor a `postgres://` URL"), "{error}");
}

/// A SQLite store made before its table of its own (migration 1001), its deliveries in
/// `deliveries`, keeps them when opened now: a completed delivery is a duplicate, a released one
/// runs again with its runs counted on, and one completed past the retention is purged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_store_made_before_its_own_table_keeps_its_deliveries() {
    use std::str::FromStr;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("old.db").display());
    let options = sqlx::sqlite::SqliteConnectOptions::from_str(&url).unwrap().create_if_missing(true);
    let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
    sqlx::migrate!("./migrations").run(&pool).await.unwrap();
    let now = i64::try_from(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis()).unwrap();
    for (id, state, updated_at, runs) in [("done", "done", now, 1), ("released", "running", now, 2), ("old", "done", 0, 1)] {
        sqlx::query(
            "INSERT INTO deliveries (provider, delivery_id, state, holder, lease_until, updated_at, runs) VALUES ('p', $1, $2, 'h', 0, $3, $4)",
        )
        .bind(id)
        .bind(state)
        .bind(updated_at)
        .bind(runs)
        .execute(&pool)
        .await
        .unwrap();
    }
    pool.close().await;

    let store = SqlStore::open(&url).await.unwrap();
    assert_eq!(store.claim(key("p", "done"), DEFAULT_LEASE).await.unwrap(), Claim::Completed);
    assert_eq!(store.runs(key("p", "done")).await.unwrap(), Some(1));
    let released = acquired(store.claim(key("p", "released"), DEFAULT_LEASE).await.unwrap());
    store.complete(&released).await.unwrap();
    assert_eq!(store.runs(key("p", "released")).await.unwrap(), Some(3));
    assert_eq!(store.claim(key("p", "released"), DEFAULT_LEASE).await.unwrap(), Claim::Completed);
    assert_eq!(store.purge().await.unwrap(), 1, "the delivery completed at the epoch");
    let completed = store.completed().await.unwrap();
    assert_eq!(completed, [("p".into(), "done".into(), 1), ("p".into(), "released".into(), 3)]);
}

/// A SQLite file whose store another process has open (its lock taken) is left as it is: a store
/// opened here is refused before it migrates anything, so a running process of an older version
/// keeps its tables as it knows them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_file_another_process_holds_is_not_migrated() {
    use std::str::FromStr;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("held.db");
    let url = format!("sqlite://{}", file.display());
    let options = sqlx::sqlite::SqliteConnectOptions::from_str(&url).unwrap().create_if_missing(true);
    let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
    sqlx::migrate!("./migrations").run(&pool).await.unwrap();
    sqlx::query("INSERT INTO deliveries (provider, delivery_id, state, holder, lease_until, updated_at, runs) VALUES ('p', 'd', 'done', 'h', 0, $1, 1)")
        .bind(i64::MAX / 2)
        .execute(&pool)
        .await
        .unwrap();
    // The other process's lock: `flock` locks belong to an open file, so this one conflicts as
    // another process's would.
    let mut lock_path = std::fs::canonicalize(&file).unwrap().into_os_string();
    lock_path.push("-lock");
    let other = std::fs::File::create(&lock_path).unwrap();
    other.try_lock().unwrap();

    let refused = SqlStore::open(&url).await.unwrap_err().to_string();
    assert!(refused.contains("another process has a store open"), "{refused}");
    let tables: Vec<String> = sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'").fetch_all(&pool).await.unwrap();
    assert!(!tables.iter().any(|t| t == "delivery_log"), "migrated under another process's store: {tables:?}");
    let kept: i64 = sqlx::query_scalar("SELECT count(*) FROM deliveries").fetch_one(&pool).await.unwrap();
    assert_eq!(kept, 1);

    drop(other);
    let store = SqlStore::open(&url).await.unwrap();
    assert_eq!(store.claim(key("p", "d"), DEFAULT_LEASE).await.unwrap(), Claim::Completed);
}
