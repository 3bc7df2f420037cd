//! Starting the binary as a server, for the tests of how it refuses a bad configuration
//! (`binary.rs`, `cli.rs`); included with `#[path]`, since each file in `tests/` is a crate.

/// Runs the binary with `args` in an empty folder, listening on port 0, with `env` added;
/// asserts that it refuses to start and returns its stderr.
pub fn refused_start(args: &[&str], env: &[(&str, &str)]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rustmost"))
        .args(args)
        .current_dir(dir.path())
        .env("MM_SERVICESETTINGS_LISTENADDRESS", "127.0.0.1:0")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert!(!out.status.success());
    String::from_utf8_lossy(&out.stderr).into_owned()
}
