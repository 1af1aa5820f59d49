//! The delivery stores' conformance suite: every case runs against SQLite (a file in a fresh
//! directory) and PostgreSQL (`WEBHOOK_TEST_POSTGRES_URL`, which `.ci/run` sets; required under
//! `CI=true`, and a loud skip otherwise).

mod common;

use std::sync::Arc;
use std::time::Duration;

use webhook_receiver::store::{Claim, DeliveryKey, DeliveryStore, Lease, SqlStore, DEFAULT_LEASE};

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_whose_holder_died_expires_after_its_lease() {
    each_store(None, |store, p| async move {
        let dead = acquired(store.claim(key(&p, "a"), Duration::from_millis(200)).await.unwrap());
        assert_eq!(store.claim(key(&p, "a"), DEFAULT_LEASE).await.unwrap(), Claim::Running);
        tokio::time::sleep(Duration::from_millis(300)).await;
        let next = acquired(store.claim(key(&p, "a"), DEFAULT_LEASE).await.unwrap());
        // The holder that lost its lease cannot complete over the new one.
        assert!(store.complete(&dead).await.is_err(), "{}", store.kind());
        store.complete(&next).await.unwrap();
        assert_eq!(store.runs(key(&p, "a")).await.unwrap(), Some(2));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_completed_delivery_is_forgotten_after_the_retention() {
    each_store(Some(Duration::from_millis(300)), |store, p| async move {
        let lease = acquired(store.claim(key(&p, "old"), DEFAULT_LEASE).await.unwrap());
        store.complete(&lease).await.unwrap();
        assert_eq!(store.claim(key(&p, "old"), DEFAULT_LEASE).await.unwrap(), Claim::Completed);
        tokio::time::sleep(Duration::from_millis(400)).await;
        let recent = acquired(store.claim(key(&p, "recent"), DEFAULT_LEASE).await.unwrap());
        store.complete(&recent).await.unwrap();
        assert!(store.purge().await.unwrap() >= 1, "{}", store.kind());
        assert_eq!(store.runs(key(&p, "old")).await.unwrap(), None, "purged");
        assert_eq!(store.claim(key(&p, "recent"), DEFAULT_LEASE).await.unwrap(), Claim::Completed);
        acquired(store.claim(key(&p, "old"), DEFAULT_LEASE).await.unwrap());
    })
    .await;
}

#[tokio::test]
async fn a_url_of_neither_database_is_refused_with_a_reason() {
    let error = SqlStore::open("mysql://localhost/db").await.unwrap_err();
    assert!(error.to_string().contains("neither a `sqlite:` nor a `postgres://` URL"), "{error}");
}
