//! Business rules and permission checks, independent of HTTP shapes.

pub mod access_tokens;
pub mod actions;
pub mod audits;
pub mod authz;
pub mod bots;
pub mod channels;
pub mod commands;
pub mod config;
pub mod credentials;
pub mod email;
pub mod i18n;
pub mod integration_posts;
pub mod jobs;
pub mod login;
pub mod outgoing;
pub mod posts;
pub mod reactions;
pub mod roles;
pub mod scoped_authz;
pub mod secrets;
pub mod sessions;
pub mod signing;
pub mod status;
pub mod teams;
pub mod users;
pub mod webhooks;
