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
        // Payloads PostgreSQL would refuse (8000 bytes and up) are spilled into a table and
        // arrive whole, in order with the small ones; so does one that looks like a spill
        // reference.
        let sent = [
            "x".repeat(7899),
            "y".repeat(8000),
            "small".to_string(),
            "z".repeat(200_000),
            "#spill:1".to_string(),
        ];
        for p in &sent {
            a.notify(p).await.unwrap();
        }
        for s in [&mut sa, &mut sb] {
            for p in &sent {
                assert_eq!(next(s).await, FeedEvent::Message(p.clone()));
            }
        }
        assert!(a.notify(&"w".repeat(a.max_payload() + 1)).await.is_err());

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

/// Was flaky (about one run in two under load): sqlx's listener reconnected by itself inside
/// `try_recv`, waiting on its one-connection pool while the dead connection closed in the
/// background, so the loss went unreported for up to the pool's 30 s acquire timeout. The feed
/// now turns that off and reconnects itself.
#[tokio::test]
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

/// Every connection slot taken (PostgreSQL's `too_many_connections`, as when a whole test
/// suite or a busy cluster uses them all) while the listening connection is cut: the loss is
/// still reported at once, and the subscription is back soon after a slot frees. This was the
/// flaky test above: sqlx's listener reconnected by itself inside `try_recv`, and its pool
/// retries `too_many_connections` until its acquire timeout, so nothing was reported meanwhile.
/// A connection limit on the database stands for the full server here; superusers ignore it, so
/// the feed connects as a role of its own.
#[tokio::test]
async fn a_lost_connection_is_reported_at_once_while_every_connection_slot_is_taken() {
    let ran = on_postgres(async |url| {
        let Some((head, tail)) = url.split_once("://").and_then(|(scheme, rest)| {
            rest.split_once('@')
                .map(|(_, host)| (format!("{scheme}://"), host.to_string()))
        }) else {
            eprintln!("connection slots: skipped, the test URL names no user");
            return;
        };
        let admin = sqlx::PgPool::connect(url).await.unwrap();
        let role = format!(
            "rustmost_feed_{}_{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos()
        );
        let db: String = sqlx::query_scalar("SELECT current_database()::text")
            .fetch_one(&admin)
            .await
            .unwrap();
        for q in [
            format!("CREATE ROLE {role} LOGIN"),
            format!("GRANT ALL ON SCHEMA public TO {role}"),
        ] {
            sqlx::query(&q).execute(&admin).await.unwrap();
        }
        let feed_url = format!("{head}{role}@{tail}");
        let a = PgChangeFeed::connect(&feed_url).await.expect("feed");
        let mut sa = a.subscribe().await.unwrap();
        sqlx::query(&format!("ALTER DATABASE {db} CONNECTION LIMIT 0"))
            .execute(&admin)
            .await
            .unwrap();
        let cut: Vec<bool> = sqlx::query_scalar(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND application_name = $1",
        )
        .bind(LISTENER_APPLICATION_NAME)
        .fetch_all(&admin)
        .await
        .unwrap();
        assert_eq!(cut, [true]);
        let lost = tokio::time::timeout(Duration::from_secs(1), sa.next()).await;
        let back = async {
            sqlx::query(&format!("ALTER DATABASE {db} CONNECTION LIMIT -1"))
                .execute(&admin)
                .await
                .unwrap();
        };
        if !matches!(lost, Ok(Some(FeedEvent::Lost(_)))) {
            back.await;
            panic!("the loss is reported within 1 s: {lost:?}");
        }
        // Still no slot: nothing more to report yet.
        let early = tokio::time::timeout(Duration::from_millis(500), sa.next()).await;
        back.await;
        assert!(early.is_err(), "{early:?}");
        let came_back = tokio::time::timeout(Duration::from_secs(5), sa.next()).await;
        assert!(
            matches!(came_back, Ok(Some(FeedEvent::Back))),
            "back within 5 s: {came_back:?}"
        );
        a.notify("after").await.unwrap();
        assert_eq!(next(&mut sa).await, FeedEvent::Message("after".into()));
        drop(sa);
        drop(a);
        // The role goes with what it owns (the database itself goes after the test).
        for q in [
            format!("REASSIGN OWNED BY {role} TO CURRENT_USER"),
            format!("DROP OWNED BY {role}"),
        ] {
            let _ = sqlx::query(&q).execute(&admin).await;
        }
        admin.close().await;
        let base = sqlx::PgPool::connect(&crate::common::pg_base_url().unwrap())
            .await
            .unwrap();
        let _ = sqlx::query(&format!("DROP ROLE {role}"))
            .execute(&base)
            .await;
        base.close().await;
    })
    .await;
    let _ = ran;
}
