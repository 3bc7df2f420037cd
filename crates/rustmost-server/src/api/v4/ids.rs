//! Typed path ids: `PathId<T>` takes the route's id parameter (named after its type) and answers
//! Mattermost's 400 `api.context.invalid_url_param.app_error` naming it when it is not a valid id;
//! `UserIdOrMe` also reads `me` as the session's user.

use crate::auth::AuthSession;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::request::Parts;
use rustmost_model::{
    BotId, ChannelId, CommandId, HookId, PostId, RoleId, TeamId, TokenId, UserId,
};

/// An id type and the path parameter it is read from (Mattermost's route variable names).
pub trait PathParam: Sized {
    const NAME: &'static str;
    fn parse(raw: &str) -> Option<Self>;

    /// The id, or Mattermost's 400 naming the parameter.
    fn from_param(raw: &str) -> ApiResult<Self> {
        Self::parse(raw).ok_or_else(|| ApiError::invalid_url_param(Self::NAME))
    }
}

macro_rules! path_param {
    ($($ty:ident => $name:literal),* $(,)?) => {
        $(impl PathParam for $ty {
            const NAME: &'static str = $name;
            fn parse(raw: &str) -> Option<Self> {
                $ty::parse(raw)
            }
        })*
    };
}

path_param!(
    UserId => "user_id",
    BotId => "bot_user_id",
    TeamId => "team_id",
    ChannelId => "channel_id",
    PostId => "post_id",
    TokenId => "token_id",
    RoleId => "role_id",
    HookId => "hook_id",
    CommandId => "command_id",
);

/// A path id of type `T`, validated.
pub struct PathId<T>(pub T);

/// The raw (percent-decoded) value of the path parameter `name`; a value that is not UTF-8 or
/// a route without the parameter reads as invalid.
async fn raw_param<S: Send + Sync>(parts: &mut Parts, state: &S, name: &str) -> ApiResult<String> {
    let params = RawPathParams::from_request_parts(parts, state)
        .await
        .map_err(|_| ApiError::invalid_url_param(name))?;
    params
        .iter()
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
        .ok_or_else(|| ApiError::invalid_url_param(name))
}

impl<S: Send + Sync, T: PathParam> FromRequestParts<S> for PathId<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let raw = raw_param(parts, state, T::NAME).await?;
        T::from_param(&raw).map(PathId)
    }
}

/// `{user_id}` where `me` stands for the caller: the one place `me` is resolved. Needs a
/// session (401 without one, as every route that accepts `me` requires one).
pub struct UserIdOrMe(pub UserId);

impl FromRequestParts<AppState> for UserIdOrMe {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let raw = raw_param(parts, state, UserId::NAME).await?;
        if raw == "me" {
            let s = AuthSession::from_request_parts(parts, state).await?;
            return UserId::from_param(&s.user_id).map(UserIdOrMe);
        }
        UserId::from_param(&raw).map(UserIdOrMe)
    }
}
