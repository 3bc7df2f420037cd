//! Business rules and permission checks, independent of HTTP shapes.

pub mod access_tokens;
pub mod audits;
pub mod authz;
pub mod bots;
pub mod roles;
pub mod sessions;
pub mod users;
