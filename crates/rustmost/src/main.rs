//! The `rustmost` binary: with no arguments (or `serve`) it runs the server; the other
//! subcommands are the command-line client (see cli.rs).

mod cli;
mod credentials;

use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "rustmost",
    version,
    about = "A Mattermost API v4 compatible team-chat server"
)]
struct Cli {
    /// Path of config.json (default: $MM_CONFIG, else ./data/config.json).
    #[arg(long, env = "MM_CONFIG")]
    config: Option<PathBuf>,
    #[command(flatten)]
    conn: cli::Conn,
    #[command(subcommand)]
    command: Option<Top>,
}

#[derive(Subcommand)]
enum Top {
    /// Runs the server (the same as no subcommand).
    #[command(after_help = "Example:\n  MM_CONFIG=/etc/rustmost/config.json rustmost serve")]
    Serve,
    /// Prints a shell completion script.
    #[command(
        after_help = "Example:\n  rustmost completion bash > /etc/bash_completion.d/rustmost\n  rustmost completion zsh > \"${fpath[1]}/_rustmost\"\n  rustmost completion fish > ~/.config/fish/completions/rustmost.fish"
    )]
    Completion {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Prints the man page (roff), generated from these very definitions.
    #[command(after_help = "Example:\n  rustmost man > /usr/local/share/man/man1/rustmost.1")]
    Man,
    #[command(flatten)]
    Client(Box<cli::Command>),
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse_from(cli::mmctl_args(std::env::args_os()));
    match cli.command {
        None | Some(Top::Serve) => match serve(cli.config).await {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("Error: {e:#}");
                std::process::ExitCode::FAILURE
            }
        },
        Some(Top::Completion { shell }) => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cmd, "rustmost", &mut std::io::stdout());
            std::process::ExitCode::SUCCESS
        }
        Some(Top::Man) => {
            let cmd = <Cli as clap::CommandFactory>::command();
            match clap_mangen::Man::new(cmd).render(&mut std::io::stdout()) {
                Ok(()) => std::process::ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("Error: {e}");
                    std::process::ExitCode::FAILURE
                }
            }
        }
        Some(Top::Client(cmd)) => match cli::run(*cmd, cli.conn).await {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("Error: {e:#}");
                std::process::ExitCode::FAILURE
            }
        },
    }
}

async fn serve(config: Option<PathBuf>) -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("RUSTMOST_LOG")
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .init();
    let opts = rustmost_server::ServerOptions {
        config_path: Some(config.unwrap_or_else(|| PathBuf::from("./data/config.json"))),
        env: std::env::vars().collect(),
    };
    let state = rustmost_server::build_state(&opts).await?;
    let addr =
        rustmost_server::listen_address(state.config.get().str("/ServiceSettings/ListenAddress"));
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    tracing::info!(address = %listener.local_addr()?, backend = state.store.backend(), "rustmost is listening");
    rustmost_server::serve_with_listener(state, listener, shutdown_signal()).await?;
    tracing::info!("rustmost stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every command a person can type shows an example line in its `--help`.
    #[test]
    fn every_command_has_an_example() {
        fn walk(c: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for sub in c.get_subcommands().filter(|s| s.get_name() != "help") {
                let p = format!("{path} {}", sub.get_name());
                let has = sub
                    .get_after_help()
                    .is_some_and(|h| h.to_string().contains("Example:\n  rustmost "))
                    || p.ends_with(" serve")
                        && sub
                            .get_after_help()
                            .is_some_and(|h| h.to_string().contains("rustmost serve"));
                if !has {
                    missing.push(p.clone());
                }
                walk(sub, &p, missing);
            }
        }
        let mut missing = Vec::new();
        walk(
            &<Cli as clap::CommandFactory>::command(),
            "rustmost",
            &mut missing,
        );
        assert!(missing.is_empty(), "no example line: {missing:?}");
    }
}
