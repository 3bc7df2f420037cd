//! Opening a fresh SQLite file: the first open creates it, switches it to WAL and migrates it,
//! and nothing else may touch the file meanwhile, so a busy machine never sees "database is locked".

use rustmost_store_sql::SqliteStore;

/// Many fresh databases opened at once on a loaded machine: each open must succeed, where a
/// second pool connection racing the first one's journal-mode switch or migrations used to fail
/// at once with SQLITE_BUSY (seen in CI as `state: ... database is locked`).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fresh_files_open_in_parallel_without_busy_errors() {
    let dir = tempfile::tempdir().unwrap();
    for round in 0..6 {
        let mut opens = tokio::task::JoinSet::new();
        for i in 0..16 {
            let path = dir.path().join(format!("r{round}-{i}.db"));
            opens.spawn(async move {
                let url = format!("sqlite:{}", path.display());
                let store = SqliteStore::connect(&url).await?;
                store.close().await;
                Ok::<_, rustmost_store::StoreError>(())
            });
        }
        while let Some(open) = opens.join_next().await {
            open.unwrap()
                .unwrap_or_else(|e| panic!("open failed: {e:?}"));
        }
    }
}
