//! Store contract tests: every `Store` method, written once against `&dyn Store` and run on
//! SQLite (always) and on PostgreSQL (when `RUSTMOST_TEST_DATASOURCE` names a server), so a
//! backend change or a dialect difference is caught below the HTTP layer. Each test is
//! `on_each_backend(async |s| { ... })` over a fresh, empty database per backend.

mod common;

mod access_tokens;
mod audits;
mod bots;
mod channels;
mod commands;
mod feed;
mod open;
mod post_batches;
mod posts;
mod roles;
mod sessions;
mod teams;
mod users;
mod webhooks;
mod write_batches;
