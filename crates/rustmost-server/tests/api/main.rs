//! The server's API tests in one binary (one link instead of one per area): each module starts
//! real servers on random loopback ports through `crate::common::TestServer`.

mod access_tokens;
mod actions;
mod bots;
mod channel_view;
mod channels;
mod cluster;
mod commands;
mod common;
mod config;
mod dm_channels;
mod foundation;
mod guide_flow;
mod hardening_races;
mod input;
mod invite;
mod listen;
mod locks;
mod nodes;
mod path_ids;
mod post_edit;
mod posts;
mod ratelimit;
mod reactions;
mod read_path;
mod remove_member;
mod status;
mod teams;
mod token_races;
mod user_cache;
mod users_filters;
mod web;
mod webhooks;
mod websocket;
mod write_caches;
