//! Saved credentials, like n8n's Mattermost credential (base URL, access token, "Ignore SSL
//! Issues"): several named entries in one JSON file readable only by its owner (0600).

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// One saved credential.
#[derive(Clone, Serialize, Deserialize)]
pub struct Credential {
    pub url: String,
    pub token: String,
    #[serde(default)]
    pub insecure: bool,
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential")
            .field("url", &self.url)
            .field("token", &"<redacted>")
            .field("insecure", &self.insecure)
            .finish()
    }
}

/// The whole file: the entries and which one is used by default.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Store {
    #[serde(default)]
    pub current: Option<String>,
    #[serde(default)]
    pub credentials: BTreeMap<String, Credential>,
}

/// `$RUSTMOST_CONFIG_DIR/credentials.json`, else `~/.config/rustmost/credentials.json`
/// (`$XDG_CONFIG_HOME` honoured).
pub fn path() -> anyhow::Result<PathBuf> {
    if let Some(d) = std::env::var_os("RUSTMOST_CONFIG_DIR").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(d).join("credentials.json"));
    }
    let base = match std::env::var_os("XDG_CONFIG_HOME").filter(|d| !d.is_empty()) {
        Some(x) => PathBuf::from(x),
        None => PathBuf::from(
            std::env::var_os("HOME").context("neither RUSTMOST_CONFIG_DIR nor HOME is set")?,
        )
        .join(".config"),
    };
    Ok(base.join("rustmost").join("credentials.json"))
}

impl Store {
    pub fn load() -> anyhow::Result<Self> {
        let p = path()?;
        match std::fs::read(&p) {
            Ok(b) => serde_json::from_slice(&b).with_context(|| format!("reading {}", p.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Store::default()),
            Err(e) => Err(e).with_context(|| format!("reading {}", p.display())),
        }
    }

    /// Writes the file with mode 0600 from the first byte (created that way, then renamed over
    /// the old file), so the token is never readable by others, even briefly.
    pub fn save(&self) -> anyhow::Result<()> {
        let p = path()?;
        let dir = p.parent().context("credential path has no folder")?;
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let tmp = dir.join(".credentials.json.tmp");
        let _ = std::fs::remove_file(&tmp);
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts
            .open(&tmp)
            .with_context(|| format!("writing {}", tmp.display()))?;
        use std::io::Write;
        f.write_all(&serde_json::to_vec_pretty(self)?)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, &p).with_context(|| format!("writing {}", p.display()))?;
        Ok(())
    }

    /// The named entry, or the current one.
    pub fn get(&self, name: Option<&str>) -> anyhow::Result<Option<(&str, &Credential)>> {
        let name = match name.or(self.current.as_deref()) {
            Some(n) => n,
            None => return Ok(None),
        };
        match self.credentials.get_key_value(name) {
            Some((k, c)) => Ok(Some((k.as_str(), c))),
            None => bail!("no saved credential named {name:?} (see `rustmost auth list`)"),
        }
    }
}
