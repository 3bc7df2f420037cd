//! Audit records (Mattermost's `LogAudit`): who did what through which path, from where. A
//! failure to record is logged, never shown to the client. The client address comes from the
//! HTTP layer (`auth::client_ip`).

use crate::app::authz;
use crate::error::{ApiResult, StoreResultExt};
use crate::state::{AppState, Session};
use rustmost_model::audit::Audit;
use rustmost_model::new_id;
use rustmost_store::Page;

/// One record to write.
pub struct Entry<'a> {
    /// The acting user (Mattermost records the session's user).
    pub user_id: &'a str,
    /// The request path, or an event name for records not tied to a request.
    pub action: &'a str,
    pub extra_info: &'a str,
    pub ip: &'a str,
    pub session_id: &'a str,
}

/// A record of something the server did about a token outside any request (no address, no
/// session), naming the token in upstream's `token_id=` form.
pub async fn record_token_event(state: &AppState, user_id: &str, action: &str, token_id: &str) {
    let extra_info = format!("token_id={token_id}");
    let e = Entry {
        user_id,
        action,
        extra_info: &extra_info,
        ip: "",
        session_id: "",
    };
    record(state, e).await;
}

pub async fn record(state: &AppState, e: Entry<'_>) {
    let a = Audit {
        id: new_id(),
        create_at: state.clock.now_ms(),
        user_id: e.user_id.to_string(),
        action: e.action.to_string(),
        extra_info: e.extra_info.to_string(),
        ip_address: e.ip.to_string(),
        session_id: e.session_id.to_string(),
    };
    if let Err(err) = state.store.insert_audit(&a).await {
        tracing::error!(error = %err, id = "app.audit.save.saving.app_error", "could not save audit record");
    }
}

/// A user's audit records, newest first: oneself or `edit_other_users` (records belong to the
/// acting user, as in Mattermost).
pub async fn get_user_audits(
    state: &AppState,
    s: &Session,
    user_id: &str,
    page: Page,
) -> ApiResult<Vec<Audit>> {
    authz::require_permission_to_user(state, s, user_id).await?;
    state
        .store
        .list_audits_for_user(user_id, page)
        .await
        .or_internal("app.audit.get.finding.app_error")
}
