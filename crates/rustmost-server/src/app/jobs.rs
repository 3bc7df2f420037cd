//! Background jobs the server runs while it serves: today the hourly deletion of expired
//! personal access tokens (upstream's `cleanup_expired_access_tokens`).
//!
//! With several nodes on one database each job runs on one node only: before a run a node
//! holds (or tries to take) the job's lease, a PostgreSQL advisory lock on a connection of its
//! own (`ChangeFeed::lead`). The lock ends with that connection, so when the node running a job
//! dies or loses the database, another node takes the job over at its next tick.

use crate::app::access_tokens;
use crate::state::AppState;
use rustmost_store::feed::Lease;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// How often expired tokens are deleted, as upstream.
pub const EXPIRED_TOKEN_CLEANUP_EVERY: Duration = Duration::from_secs(3600);

/// The lease name of the expired-token cleanup.
const EXPIRED_TOKEN_CLEANUP: &str = "expired_token_cleanup";

/// The running jobs; dropping it stops them (and gives up their leases).
pub struct Jobs {
    task: tokio::task::JoinHandle<()>,
    runs: Arc<AtomicU64>,
}

impl Jobs {
    /// How many runs this node has made (tests watch which node runs a job).
    pub fn runs(&self) -> u64 {
        self.runs.load(Ordering::Relaxed)
    }
}

impl Drop for Jobs {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts the expired-token cleanup: first run one `period` after start (a fresh server has
/// nothing to clean, and tests never live that long), then every `period`. A failed run is
/// logged and the next one tries again.
pub fn start(state: AppState, period: Duration) -> Jobs {
    let runs = Arc::new(AtomicU64::new(0));
    let counter = runs.clone();
    let task = tokio::spawn(async move {
        let mut every = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut lease: Option<Box<dyn Lease>> = None;
        loop {
            every.tick().await;
            if !leads(&state, &mut lease, EXPIRED_TOKEN_CLEANUP).await {
                continue;
            }
            counter.fetch_add(1, Ordering::Relaxed);
            match access_tokens::delete_expired(&state).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(count = n, "deleted expired personal access tokens"),
                Err(e) => {
                    tracing::error!(id = %e.id, detail = %e.detailed, "expired token cleanup failed")
                }
            }
        }
    });
    Jobs { task, runs }
}

/// Whether this node is the one to run `job` now: always on a single node; with several, when
/// it still holds the job's lease or can take it.
async fn leads(state: &AppState, lease: &mut Option<Box<dyn Lease>>, job: &str) -> bool {
    let Some(feed) = state.cluster.feed() else {
        return true;
    };
    if let Some(l) = lease {
        if l.held().await {
            return true;
        }
        tracing::warn!(job, "lost the lease of a background job");
        *lease = None;
    }
    match feed.lead(job).await {
        Ok(Some(l)) => {
            tracing::info!(job, "this node now runs a background job");
            *lease = Some(l);
            true
        }
        Ok(None) => false,
        Err(e) => {
            tracing::warn!(job, error = %e, "could not ask for a background job's lease");
            false
        }
    }
}
