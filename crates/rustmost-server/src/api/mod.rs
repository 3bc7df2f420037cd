//! HTTP glue: request parsing helpers and the API v4 routes.

pub mod v4;
