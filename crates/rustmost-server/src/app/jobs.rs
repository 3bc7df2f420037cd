//! Background jobs the server runs while it serves: today the hourly deletion of expired
//! personal access tokens (upstream's `cleanup_expired_access_tokens`).

use crate::app::access_tokens;
use crate::state::AppState;
use std::time::Duration;

/// How often expired tokens are deleted, as upstream.
pub const EXPIRED_TOKEN_CLEANUP_EVERY: Duration = Duration::from_secs(3600);

/// The running jobs; dropping it stops them.
pub struct Jobs(tokio::task::JoinHandle<()>);

impl Drop for Jobs {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Starts the expired-token cleanup: first run one `period` after start (a fresh server has
/// nothing to clean, and tests never live that long), then every `period`. A failed run is
/// logged and the next one tries again.
pub fn start(state: AppState, period: Duration) -> Jobs {
    Jobs(tokio::spawn(async move {
        let mut every = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            match access_tokens::delete_expired(&state).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(count = n, "deleted expired personal access tokens"),
                Err(e) => {
                    tracing::error!(id = %e.id, detail = %e.detailed, "expired token cleanup failed")
                }
            }
        }
    }))
}
