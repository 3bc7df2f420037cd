//! Reading and changing the server config on behalf of a session: the sysconsole permission
//! checks and upstream's rules on which keys a request may change.

use crate::app::authz;
use crate::config::ConfigError;
use crate::error::{ApiError, ApiResult};
use crate::state::{AppState, Session};
use rustmost_model::Permission;
use serde_json::Value;

fn map_config_error(e: ConfigError) -> ApiError {
    match e {
        ConfigError::Shape(d) => ApiError::invalid_param("config").detail(d),
        ConfigError::Invalid { id, detail } => ApiError::bad_request(id).detail(detail),
        ConfigError::Io(d) => ApiError::internal("app.save_config.app_error", d),
    }
}

/// The whole config with secrets sanitized; needs a `sysconsole_read_*` permission.
pub fn get_sanitized(state: &AppState, s: &Session) -> ApiResult<Value> {
    authz::require_sysconsole_read(state, s)?;
    Ok(state.config.get().sanitized())
}

/// Replaces the config with `v` (an object); returns the new config sanitized. Environment-set
/// keys and placeholder secrets keep their values, SiteURL cannot be cleared, and plugin uploads
/// stay as the file sets them (upstream silently keeps them).
pub async fn update(state: &AppState, s: &Session, mut v: Value) -> ApiResult<Value> {
    authz::require_sysconsole_write(state, s)?;
    let old = state.config.get();
    let new_site = v
        .pointer("/ServiceSettings/SiteURL")
        .and_then(Value::as_str)
        .unwrap_or("");
    if !old.str("/ServiceSettings/SiteURL").is_empty() && new_site.is_empty() {
        return Err(ApiError::bad_request(
            "api.config.update_config.clear_siteurl.app_error",
        ));
    }
    if let (Some(slot), Some(cur)) = (
        v.pointer_mut("/PluginSettings/EnableUploads"),
        old.get("/PluginSettings/EnableUploads"),
    ) {
        *slot = cur.clone();
    }
    let cfg = state.config.replace(&v).await.map_err(map_config_error)?;
    crate::realtime::events::config_changed(state);
    Ok(cfg.sanitized())
}

/// Merges the partial config `v` (an object; absent and `null` fields untouched); returns the new
/// config sanitized. Unlike a full update, trying to change plugin uploads is refused.
pub async fn patch(state: &AppState, s: &Session, v: Value) -> ApiResult<Value> {
    authz::require_sysconsole_write(state, s)?;
    let old = state.config.get();
    if let Some(Value::String(site)) = v.pointer("/ServiceSettings/SiteURL")
        && site.is_empty()
        && !old.str("/ServiceSettings/SiteURL").is_empty()
    {
        return Err(ApiError::bad_request(
            "api.config.update_config.clear_siteurl.app_error",
        ));
    }
    if let Some(up) = v.pointer("/PluginSettings/EnableUploads")
        && !up.is_null()
        && Some(up) != old.get("/PluginSettings/EnableUploads")
    {
        return Err(
            ApiError::forbidden("api.config.update_config.not_allowed_security.app_error")
                .param("Name", "PluginSettings.EnableUploads"),
        );
    }
    let cfg = state.config.patch(&v).await.map_err(map_config_error)?;
    crate::realtime::events::config_changed(state);
    Ok(cfg.sanitized())
}

/// Re-reads `config.json`; needs `reload_config` (here: `manage_system`).
pub async fn reload(state: &AppState, s: &Session) -> ApiResult<()> {
    authz::require_any(
        state,
        s,
        &[Permission::ReloadConfig, Permission::ManageSystem],
    )?;
    state
        .config
        .reload()
        .await
        .map_err(|e| ApiError::internal("api.config.reload_config.app_error", format!("{e:?}")))?;
    crate::realtime::events::config_changed(state);
    Ok(())
}

/// Which keys the environment sets (`true` at each leaf). Callers without a `sysconsole_read_*`
/// permission get `{}`, as upstream's read filter leaves them nothing.
pub fn environment(state: &AppState, s: &Session) -> Value {
    if authz::require_sysconsole_read(state, s).is_err() {
        return serde_json::json!({});
    }
    state.config.environment()
}
