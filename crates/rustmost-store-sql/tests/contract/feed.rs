//! The change feed (PostgreSQL only): every subscriber hears what any publisher sends, and a
//! subscription whose connection is lost says so, reconnects by itself and says when it is back.

use crate::common::on_postgres;
use rustmost_store::feed::{ChangeFeed, FeedEvent, FeedTimings, Subscription};
use rustmost_store_sql::{LISTENER_APPLICATION_NAME, PgChangeFeed};
use std::time::Duration;

async fn next(s: &mut Box<dyn Subscription>) -> FeedEvent {
    tokio::time::timeout(Duration::from_secs(20), s.next())
        .await
        .expect("an event within the timeout")
        .expect("the feed is alive")
}

#[tokio::test]
async fn every_subscriber_hears_every_publisher_and_a_dropped_subscription_closes_its_connection() {
    let ran = on_postgres(async |url| {
        let a = PgChangeFeed::connect(url).await.expect("feed a");
        let b = PgChangeFeed::connect(url).await.expect("feed b");
        let mut sa = a.subscribe().await.unwrap();
        let mut sb = b.subscribe().await.unwrap();
        a.notify("one").await.unwrap();
        b.notify("two").await.unwrap();
        for s in [&mut sa, &mut sb] {
            assert_eq!(next(s).await, FeedEvent::Message("one".into()));
            assert_eq!(next(s).await, FeedEvent::Message("two".into()));
        }
        assert!(a.max_payload() < 8000, "PostgreSQL refuses 8000 bytes");
        let big = "x".repeat(a.max_payload() - 1);
        a.notify(&big).await.unwrap();
        for s in [&mut sa, &mut sb] {
            assert_eq!(next(s).await, FeedEvent::Message(big.clone()));
        }

        // Short pings on a healthy connection: quiet, and no false alarm.
        b.set_timings(FeedTimings {
            ping_every: Duration::from_millis(50),
            ping_timeout: Duration::from_secs(5),
        });
        assert!(
            tokio::time::timeout(Duration::from_millis(400), sb.next())
                .await
                .is_err(),
            "a healthy connection reports nothing"
        );

        // A dropped subscription closes its connection.
        drop(sa);
        drop(sb);
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        let mut left = i64::MAX;
        for _ in 0..100 {
            left = sqlx::query_scalar(
                "SELECT count(*) FROM pg_stat_activity \
                 WHERE datname = current_database() AND application_name = $1",
            )
            .bind(LISTENER_APPLICATION_NAME)
            .fetch_one(&pool)
            .await
            .unwrap();
            if left == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        pool.close().await;
        assert_eq!(left, 0, "no listening connection outlives its subscription");
    })
    .await;
    if !ran {
        eprintln!("change feed: skipped, RUSTMOST_TEST_DATASOURCE is not set");
    }
}

/// Flaky under load (about one run in two here, 2026-12-05): after `pg_terminate_backend` one
/// subscription sometimes reports nothing within 20 s, so a lost listener can go unnoticed;
/// issue 14 (outages survived) investigates. Run with `--ignored` on PostgreSQL.
#[tokio::test]
#[ignore = "flaky: a cut listener connection is sometimes not reported (issue 14)"]
async fn a_lost_connection_is_reported_and_comes_back() {
    let ran = on_postgres(async |url| {
        let a = PgChangeFeed::connect(url).await.expect("feed a");
        let b = PgChangeFeed::connect(url).await.expect("feed b");
        let mut sa = a.subscribe().await.unwrap();
        let mut sb = b.subscribe().await.unwrap();
        // Both listening connections are cut by the server.
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        let cut: Vec<bool> = sqlx::query_scalar(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND application_name = $1",
        )
        .bind(LISTENER_APPLICATION_NAME)
        .fetch_all(&pool)
        .await
        .unwrap();
        assert_eq!(cut, [true, true], "one connection per subscription");
        pool.close().await;
        for s in [&mut sa, &mut sb] {
            assert!(matches!(next(s).await, FeedEvent::Lost(_)));
            assert_eq!(next(s).await, FeedEvent::Back);
        }
        a.notify("three").await.unwrap();
        for s in [&mut sa, &mut sb] {
            assert_eq!(next(s).await, FeedEvent::Message("three".into()));
        }
    })
    .await;
    let _ = ran;
}
