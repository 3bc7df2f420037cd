//! Mattermost-layout configuration: defaults, the persisted document (`config.json`, or the
//! database when `MM_CONFIG` is a database URL, as upstream), `MM_*` environment overrides
//! (which always win and are never persisted), sanitizing, and the client config.

use parking_lot::RwLock;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

/// What Mattermost shows in place of a secret setting.
pub const FAKE_SETTING: &str = "********************************";

/// Settings whose values are secrets, as upstream's `Config.Sanitize` lists them: masked on
/// every read, restored when a client writes the placeholder back (`desanitize`). `always`
/// masks the value even when empty; otherwise an empty value shows as empty. A path the config
/// does not have is skipped.
struct Secret {
    path: &'static str,
    always: bool,
}

const SECRETS: &[Secret] = &[
    Secret {
        path: "/SqlSettings/DataSource",
        always: true,
    },
    Secret {
        path: "/SqlSettings/AtRestEncryptKey",
        always: true,
    },
    Secret {
        path: "/FileSettings/PublicLinkSalt",
        always: true,
    },
    Secret {
        path: "/FileSettings/AmazonS3SecretAccessKey",
        always: false,
    },
    Secret {
        path: "/EmailSettings/SMTPPassword",
        always: false,
    },
    Secret {
        path: "/LdapSettings/BindPassword",
        always: false,
    },
    Secret {
        path: "/GitLabSettings/Secret",
        always: false,
    },
    Secret {
        path: "/GoogleSettings/Secret",
        always: false,
    },
    Secret {
        path: "/Office365Settings/Secret",
        always: false,
    },
    Secret {
        path: "/OpenIdSettings/Secret",
        always: false,
    },
    Secret {
        path: "/ElasticsearchSettings/Password",
        always: true,
    },
    Secret {
        path: "/MessageExportSettings/GlobalRelaySettings/SMTPPassword",
        always: false,
    },
    Secret {
        path: "/ServiceSettings/SplitKey",
        always: true,
    },
    Secret {
        path: "/CacheSettings/RedisPassword",
        always: true,
    },
];

/// Lists of secrets: every string element is masked.
const SECRET_LISTS: &[&str] = &[
    "/SqlSettings/DataSourceReplicas",
    "/SqlSettings/DataSourceSearchReplicas",
];

/// Lists of objects whose `DataSource` is a secret (`SqlSettings.ReplicaLagSettings`).
const SECRET_DATASOURCE_LISTS: &[&str] = &["/SqlSettings/ReplicaLagSettings"];

/// Every masked slot of `v` as a JSON pointer, with whether it is masked even when empty.
fn secret_slots(v: &Value) -> Vec<(String, bool)> {
    let mut out: Vec<(String, bool)> = SECRETS
        .iter()
        .filter(|s| v.pointer(s.path).is_some())
        .map(|s| (s.path.to_string(), s.always))
        .collect();
    for list in SECRET_LISTS {
        if let Some(Value::Array(a)) = v.pointer(list) {
            out.extend((0..a.len()).map(|i| (format!("{list}/{i}"), true)));
        }
    }
    for list in SECRET_DATASOURCE_LISTS {
        if let Some(Value::Array(a)) = v.pointer(list) {
            out.extend((0..a.len()).map(|i| (format!("{list}/{i}/DataSource"), true)));
        }
    }
    out
}

fn defaults() -> Value {
    serde_json::from_str(include_str!("../data/default_config.json"))
        .expect("embedded default config is valid JSON")
}

/// Why a config could not be applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// The body does not fit the config's shape (a type mismatch): 400 invalid body param.
    Shape(String),
    /// `IsValid` refused a value: the Mattermost error id and its template parameters.
    Invalid { id: &'static str, detail: String },
    /// The file or database could not be read or written.
    Io(String),
}

/// Where the persisted document lives.
enum Backing {
    /// Nowhere: tests and tools that keep it in memory.
    Memory,
    File(PathBuf),
    /// The `configurations` table; every node on the database shares it.
    Database(rustmost_store_sql::ConfigDb),
}

/// One immutable snapshot of the configuration in effect.
#[derive(Debug, Clone)]
pub struct Config {
    /// What the server runs with: persisted values with environment overrides on top.
    pub effective: Value,
    /// What `config.json` holds (no environment values).
    pub persisted: Value,
}

impl Config {
    /// The value at a JSON pointer such as `/ServiceSettings/EnableDeveloper`.
    pub fn get(&self, ptr: &str) -> Option<&Value> {
        // Settings are read on every request: walk the objects without the allocations of
        // `Value::pointer`, which unescapes each token. Escapes and arrays take the slow road.
        if ptr.contains('~') {
            return self.effective.pointer(ptr);
        }
        let Some(rest) = ptr.strip_prefix('/') else {
            return self.effective.pointer(ptr);
        };
        let mut v = &self.effective;
        for token in rest.split('/') {
            v = match v {
                Value::Object(m) => m.get(token)?,
                _ => return self.effective.pointer(ptr),
            };
        }
        Some(v)
    }
    pub fn bool(&self, ptr: &str) -> bool {
        self.get(ptr).and_then(Value::as_bool).unwrap_or(false)
    }
    pub fn i64(&self, ptr: &str) -> i64 {
        self.get(ptr).and_then(Value::as_i64).unwrap_or(0)
    }
    pub fn str(&self, ptr: &str) -> &str {
        self.get(ptr).and_then(Value::as_str).unwrap_or("")
    }

    pub fn enable_developer(&self) -> bool {
        self.bool("/ServiceSettings/EnableDeveloper")
    }
    pub fn enable_user_access_tokens(&self) -> bool {
        self.bool("/ServiceSettings/EnableUserAccessTokens")
    }

    /// The config as `GET /api/v4/config` shows it: secrets replaced by the placeholder.
    pub fn sanitized(&self) -> Value {
        let mut v = self.effective.clone();
        for (p, always) in secret_slots(&self.effective) {
            if let Some(slot) = v.pointer_mut(&p)
                && (always || slot.as_str().is_some_and(|s| !s.is_empty()))
            {
                *slot = Value::String(FAKE_SETTING.into());
            }
        }
        v
    }

    /// `GET /config/client?format=old`: the flat string map web and mobile clients read.
    /// `full` is for logged-in users; anonymous callers get the limited subset.
    pub fn client_config(&self, full: bool, version: &str) -> BTreeMap<String, String> {
        let mut m = BTreeMap::new();
        let b = |p: &str| self.bool(p).to_string();
        m.insert("Version".into(), version.to_string());
        m.insert("BuildNumber".into(), crate::BUILD_NUMBER.into());
        m.insert("BuildDate".into(), String::new());
        m.insert("BuildHash".into(), crate::BUILD_HASH.into());
        m.insert("BuildEnterpriseReady".into(), "false".into());
        m.insert(
            "SiteURL".into(),
            self.str("/ServiceSettings/SiteURL").into(),
        );
        m.insert("SiteName".into(), self.str("/TeamSettings/SiteName").into());
        m.insert("DiagnosticsEnabled".into(), "false".into());
        m.insert("TelemetryId".into(), String::new());
        m.insert(
            "EnableSignUpWithEmail".into(),
            b("/EmailSettings/EnableSignUpWithEmail"),
        );
        m.insert(
            "EnableSignInWithEmail".into(),
            b("/EmailSettings/EnableSignInWithEmail"),
        );
        m.insert(
            "EnableSignInWithUsername".into(),
            b("/EmailSettings/EnableSignInWithUsername"),
        );
        m.insert(
            "EnableUserCreation".into(),
            b("/TeamSettings/EnableUserCreation"),
        );
        m.insert(
            "EnableOpenServer".into(),
            b("/TeamSettings/EnableOpenServer"),
        );
        m.insert(
            "EnableBotAccountCreation".into(),
            b("/ServiceSettings/EnableBotAccountCreation"),
        );
        m.insert(
            "PasswordMinimumLength".into(),
            self.i64("/PasswordSettings/MinimumLength").to_string(),
        );
        m.insert(
            "PasswordRequireLowercase".into(),
            b("/PasswordSettings/Lowercase"),
        );
        m.insert(
            "PasswordRequireUppercase".into(),
            b("/PasswordSettings/Uppercase"),
        );
        m.insert(
            "PasswordRequireNumber".into(),
            b("/PasswordSettings/Number"),
        );
        m.insert(
            "PasswordRequireSymbol".into(),
            b("/PasswordSettings/Symbol"),
        );
        m.insert("EnableMultifactorAuthentication".into(), "false".into());
        m.insert("EnforceMultifactorAuthentication".into(), "false".into());
        m.insert(
            "EnableCustomBrand".into(),
            b("/TeamSettings/EnableCustomBrand"),
        );
        m.insert(
            "CustomBrandText".into(),
            self.str("/TeamSettings/CustomBrandText").into(),
        );
        m.insert(
            "CustomDescriptionText".into(),
            self.str("/TeamSettings/CustomDescriptionText").into(),
        );
        m.insert(
            "DefaultClientLocale".into(),
            self.str("/LocalizationSettings/DefaultClientLocale").into(),
        );
        m.insert(
            "AvailableLocales".into(),
            self.str("/LocalizationSettings/AvailableLocales").into(),
        );
        m.insert(
            "TermsOfServiceLink".into(),
            self.str("/SupportSettings/TermsOfServiceLink").into(),
        );
        m.insert(
            "PrivacyPolicyLink".into(),
            self.str("/SupportSettings/PrivacyPolicyLink").into(),
        );
        m.insert(
            "AboutLink".into(),
            self.str("/SupportSettings/AboutLink").into(),
        );
        m.insert(
            "HelpLink".into(),
            self.str("/SupportSettings/HelpLink").into(),
        );
        m.insert(
            "SupportEmail".into(),
            self.str("/SupportSettings/SupportEmail").into(),
        );
        m.insert(
            "EnableGuestAccounts".into(),
            b("/GuestAccountsSettings/Enable"),
        );
        m.insert(
            "AndroidLatestVersion".into(),
            self.str("/ClientRequirements/AndroidLatestVersion").into(),
        );
        m.insert(
            "AndroidMinVersion".into(),
            self.str("/ClientRequirements/AndroidMinVersion").into(),
        );
        m.insert(
            "IosLatestVersion".into(),
            self.str("/ClientRequirements/IosLatestVersion").into(),
        );
        m.insert(
            "IosMinVersion".into(),
            self.str("/ClientRequirements/IosMinVersion").into(),
        );
        if full {
            m.insert(
                "EnableUserAccessTokens".into(),
                b("/ServiceSettings/EnableUserAccessTokens"),
            );
            m.insert(
                "MaximumPersonalAccessTokenLifetimeDays".into(),
                self.i64("/ServiceSettings/MaximumPersonalAccessTokenLifetimeDays")
                    .to_string(),
            );
            m.insert(
                "EnableDeveloper".into(),
                b("/ServiceSettings/EnableDeveloper"),
            );
            m.insert("EnableTesting".into(), b("/ServiceSettings/EnableTesting"));
            m.insert(
                "EnableIncomingWebhooks".into(),
                b("/ServiceSettings/EnableIncomingWebhooks"),
            );
            m.insert(
                "EnableOutgoingWebhooks".into(),
                b("/ServiceSettings/EnableOutgoingWebhooks"),
            );
            m.insert(
                "EnableCommands".into(),
                b("/ServiceSettings/EnableCommands"),
            );
            m.insert(
                "EnablePostUsernameOverride".into(),
                b("/ServiceSettings/EnablePostUsernameOverride"),
            );
            m.insert(
                "EnablePostIconOverride".into(),
                b("/ServiceSettings/EnablePostIconOverride"),
            );
            m.insert(
                "EnableUserDeactivation".into(),
                b("/TeamSettings/EnableUserDeactivation"),
            );
            m.insert(
                "DisableBotsWhenOwnerIsDeactivated".into(),
                b("/ServiceSettings/DisableBotsWhenOwnerIsDeactivated"),
            );
            m.insert(
                "ShowEmailAddress".into(),
                b("/PrivacySettings/ShowEmailAddress"),
            );
            m.insert("ShowFullName".into(), b("/PrivacySettings/ShowFullName"));
            m.insert(
                "TeammateNameDisplay".into(),
                self.str("/TeamSettings/TeammateNameDisplay").into(),
            );
            m.insert(
                "RestrictDirectMessage".into(),
                self.str("/TeamSettings/RestrictDirectMessage").into(),
            );
            m.insert(
                "SendEmailNotifications".into(),
                b("/EmailSettings/SendEmailNotifications"),
            );
            m.insert(
                "EnableCustomEmoji".into(),
                b("/ServiceSettings/EnableCustomEmoji"),
            );
            m.insert(
                "EnableEmojiPicker".into(),
                b("/ServiceSettings/EnableEmojiPicker"),
            );
            m.insert(
                "EnableFileAttachments".into(),
                b("/FileSettings/EnableFileAttachments"),
            );
            m.insert(
                "MaxFileSize".into(),
                self.i64("/FileSettings/MaxFileSize").to_string(),
            );
            m.insert(
                "ExperimentalViewArchivedChannels".into(),
                b("/TeamSettings/ExperimentalViewArchivedChannels"),
            );
        }
        m
    }
}

/// The live configuration: a snapshot readers clone cheaply, replaced atomically on change.
pub struct ConfigService {
    backing: Backing,
    /// Environment overrides as a partial tree of typed values.
    env: Value,
    current: RwLock<Arc<Config>>,
    write: tokio::sync::Mutex<()>,
}

/// Reads a persisted document (file or database), merged over the defaults; `None` when there
/// is none yet.
async fn read_source(source: &str) -> Result<Option<Value>, ConfigError> {
    let text = if rustmost_store_sql::is_database_url(source) {
        let db = rustmost_store_sql::ConfigDb::connect(source)
            .await
            .map_err(|e| ConfigError::Io(e.to_string()))?;
        let text = db.load().await;
        db.close().await;
        text.map_err(|e| ConfigError::Io(e.to_string()))?
    } else {
        match std::fs::read_to_string(source) {
            Ok(t) => Some(t),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(ConfigError::Io(format!("{source}: {e}"))),
        }
    };
    let Some(text) = text else { return Ok(None) };
    let doc: Value = serde_json::from_str(&text)
        .map_err(|e| ConfigError::Shape(format!("{}: {e}", redact(source))))?;
    merge_known(&defaults(), &doc, false).map(Some)
}

/// A config source fit for messages: a database URL loses its password.
fn redact(source: &str) -> String {
    match (source.find("://"), source.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://…{}", &source[..s], &source[at..]),
        _ => source.to_string(),
    }
}

/// `rustmost config migrate <from> <to>` (upstream's `mmctl config migrate`): copies the
/// persisted document from one source to another, each a `config.json` path or a database URL.
/// Environment overrides play no part. Returns nothing to say on success.
pub async fn migrate(from: &str, to: &str) -> Result<(), ConfigError> {
    let doc = read_source(from)
        .await?
        .ok_or_else(|| ConfigError::Io(format!("{}: no configuration there", redact(from))))?;
    validate(&doc)?;
    if rustmost_store_sql::is_database_url(to) {
        let db = rustmost_store_sql::ConfigDb::connect(to)
            .await
            .map_err(|e| ConfigError::Io(e.to_string()))?;
        let text = serde_json::to_string_pretty(&doc).map_err(|e| ConfigError::Io(e.to_string()));
        let saved = match text {
            Ok(t) => db
                .save(&t)
                .await
                .map_err(|e| ConfigError::Io(e.to_string())),
            Err(e) => Err(e),
        };
        db.close().await;
        saved
    } else {
        write_atomically(std::path::Path::new(to), &doc)
    }
}

impl ConfigService {
    /// Loads `path` (created from defaults if missing; `None` keeps the config in memory only),
    /// and applies the `MM_*` variables in `env` on top.
    pub fn load(
        path: Option<PathBuf>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let defaults = defaults();
        let env = env_overrides(&defaults, env);
        let persisted = match &path {
            Some(p) if p.exists() => {
                let text =
                    std::fs::read_to_string(p).map_err(|e| ConfigError::Io(e.to_string()))?;
                let file: Value = serde_json::from_str(&text)
                    .map_err(|e| ConfigError::Shape(format!("{}: {e}", p.display())))?;
                merge_known(&defaults, &file, false)?
            }
            _ => defaults.clone(),
        };
        let backing = match path {
            Some(p) => Backing::File(p),
            None => Backing::Memory,
        };
        Self::with(backing, env, persisted)
    }

    /// Opens `source` as `MM_CONFIG` names it: a database URL (`postgres://…`, `sqlite:…`)
    /// keeps the document in that database, anything else is a `config.json` path (see
    /// [`ConfigService::load`]). A database with no document yet gets the defaults saved.
    pub async fn open(
        source: Option<PathBuf>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let url = source
            .as_ref()
            .and_then(|p| p.to_str())
            .filter(|s| rustmost_store_sql::is_database_url(s))
            .map(str::to_string);
        let Some(url) = url else {
            let svc = Self::load(source, env)?;
            svc.ensure_file()?;
            return Ok(svc);
        };
        let env = env_overrides(&defaults(), env);
        let db = rustmost_store_sql::ConfigDb::connect(&url)
            .await
            .map_err(|e| ConfigError::Io(e.to_string()))?;
        let stored = db
            .load()
            .await
            .map_err(|e| ConfigError::Io(e.to_string()))?;
        let persisted = match &stored {
            Some(text) => {
                let doc: Value = serde_json::from_str(text)
                    .map_err(|e| ConfigError::Shape(format!("the stored configuration: {e}")))?;
                merge_known(&defaults(), &doc, false)?
            }
            None => {
                // A first document kept in a database points the data at that database too, so
                // `MM_CONFIG` alone is enough to start a node.
                let mut d = defaults();
                let (driver, source) = match url.strip_prefix("sqlite:") {
                    Some(p) => ("sqlite", p.strip_prefix("//").unwrap_or(p).to_string()),
                    None => ("postgres", url.clone()),
                };
                d["SqlSettings"]["DriverName"] = Value::from(driver);
                d["SqlSettings"]["DataSource"] = Value::from(source);
                d
            }
        };
        let svc = Self::with(Backing::Database(db), env, persisted)?;
        if stored.is_none() {
            svc.save(&svc.get().persisted).await?;
        }
        Ok(svc)
    }

    fn with(backing: Backing, env: Value, persisted: Value) -> Result<Self, ConfigError> {
        let svc = Self {
            backing,
            env,
            current: RwLock::new(Arc::new(Config {
                effective: Value::Null,
                persisted: Value::Null,
            })),
            write: tokio::sync::Mutex::new(()),
        };
        svc.install(persisted)?;
        Ok(svc)
    }

    /// The shared document's change notifications, when the config lives in a database that
    /// several nodes can share (PostgreSQL).
    pub async fn subscribe(
        &self,
    ) -> Result<Option<Box<dyn rustmost_store::feed::Subscription>>, ConfigError> {
        match &self.backing {
            Backing::Database(db) => db
                .subscribe()
                .await
                .map_err(|e| ConfigError::Io(e.to_string())),
            _ => Ok(None),
        }
    }

    /// Re-reads the shared document (another node saved it) and installs it if it differs;
    /// returns whether it did. Only for a database-backed config.
    pub async fn refresh(&self) -> Result<bool, ConfigError> {
        let Backing::Database(db) = &self.backing else {
            return Ok(false);
        };
        let _g = self.write.lock().await;
        let Some(text) = db
            .load()
            .await
            .map_err(|e| ConfigError::Io(e.to_string()))?
        else {
            return Ok(false);
        };
        let doc: Value = serde_json::from_str(&text)
            .map_err(|e| ConfigError::Shape(format!("the stored configuration: {e}")))?;
        let next = merge_known(&defaults(), &doc, false)?;
        if next == self.get().persisted {
            return Ok(false);
        }
        self.install(next)?;
        Ok(true)
    }

    /// Whether the document is shared through a database.
    pub fn in_database(&self) -> bool {
        matches!(self.backing, Backing::Database(_))
    }

    /// The snapshot in effect now.
    pub fn get(&self) -> Arc<Config> {
        self.current.read().clone()
    }

    /// Keys set by the environment, as a tree with `true` at each leaf.
    pub fn environment(&self) -> Value {
        fn mark(v: &Value) -> Value {
            match v {
                Value::Object(m) => {
                    Value::Object(m.iter().map(|(k, v)| (k.clone(), mark(v))).collect())
                }
                _ => Value::Bool(true),
            }
        }
        match &self.env {
            Value::Object(_) => mark(&self.env),
            _ => Value::Object(Map::new()),
        }
    }

    /// `PUT /config/patch`: absent and `null` fields are untouched.
    pub async fn patch(&self, patch: &Value) -> Result<Arc<Config>, ConfigError> {
        let _g = self.write.lock().await;
        let old = self.get();
        let mut next = merge_known(&old.persisted, patch, true)?;
        self.restore(&old.persisted, &mut next);
        self.install_and_save(next).await
    }

    /// `PUT /config`: the body is a whole config; missing fields take their defaults.
    pub async fn replace(&self, full: &Value) -> Result<Arc<Config>, ConfigError> {
        let _g = self.write.lock().await;
        let old = self.get();
        let mut next = merge_known(&defaults(), full, true)?;
        self.restore(&old.persisted, &mut next);
        self.install_and_save(next).await
    }

    /// `POST /config/reload`: re-reads the file (or the database).
    pub async fn reload(&self) -> Result<Arc<Config>, ConfigError> {
        if self.in_database() {
            self.refresh().await?;
            return Ok(self.get());
        }
        let _g = self.write.lock().await;
        let Backing::File(p) = &self.backing else {
            return Ok(self.get());
        };
        let text = std::fs::read_to_string(p).map_err(|e| ConfigError::Io(e.to_string()))?;
        let file: Value =
            serde_json::from_str(&text).map_err(|e| ConfigError::Shape(e.to_string()))?;
        let next = merge_known(&defaults(), &file, false)?;
        self.install(next)?;
        Ok(self.get())
    }

    /// Keeps what a write may not change: env-overridden keys and secrets sent back as the
    /// placeholder keep their persisted values.
    fn restore(&self, old: &Value, next: &mut Value) {
        let mut paths = Vec::new();
        leaf_paths(&self.env, String::new(), &mut paths);
        for p in &paths {
            if let (Some(o), Some(slot)) = (old.pointer(p), next.pointer_mut(p)) {
                *slot = o.clone();
            }
        }
        for (p, _) in secret_slots(next) {
            let is_fake = next.pointer(&p).and_then(Value::as_str) == Some(FAKE_SETTING);
            if is_fake && let (Some(o), Some(slot)) = (old.pointer(&p), next.pointer_mut(&p)) {
                *slot = o.clone();
            }
        }
    }

    async fn install_and_save(&self, persisted: Value) -> Result<Arc<Config>, ConfigError> {
        validate(&overlay(&persisted, &self.env))?;
        self.save(&persisted).await?;
        self.install(persisted)?;
        Ok(self.get())
    }

    /// Persists the document (never the environment's overrides) where it lives.
    async fn save(&self, persisted: &Value) -> Result<(), ConfigError> {
        match &self.backing {
            Backing::Memory => Ok(()),
            Backing::File(p) => write_atomically(p, persisted),
            Backing::Database(db) => {
                let text = serde_json::to_string_pretty(persisted)
                    .map_err(|e| ConfigError::Io(e.to_string()))?;
                db.save(&text)
                    .await
                    .map_err(|e| ConfigError::Io(e.to_string()))
            }
        }
    }

    fn install(&self, persisted: Value) -> Result<(), ConfigError> {
        let effective = overlay(&persisted, &self.env);
        validate(&effective)?;
        *self.current.write() = Arc::new(Config {
            effective,
            persisted,
        });
        Ok(())
    }

    /// Writes the file if it does not exist yet, as Mattermost does on first start.
    pub fn ensure_file(&self) -> Result<(), ConfigError> {
        if let Backing::File(p) = &self.backing
            && !p.exists()
        {
            write_atomically(p, &self.get().persisted)?;
        }
        Ok(())
    }
}

/// Writes `v` to `p` so that a crash leaves either the old file or the new one, never a
/// truncated one: a fresh temporary file in the same directory (mode 0600, as the file holds
/// the database and SMTP passwords), flushed to disk, then renamed over `p`. On failure the
/// temporary file is removed.
fn write_atomically(p: &std::path::Path, v: &Value) -> Result<(), ConfigError> {
    use std::io::Write;
    let io = |e: std::io::Error| ConfigError::Io(e.to_string());
    let dir = match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    let text = serde_json::to_string_pretty(v).map_err(|e| ConfigError::Io(e.to_string()))?;
    // `tempfile` creates the file with mode 0600 on Unix.
    let mut tmp = tempfile::Builder::new()
        .prefix(".config.json.")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(io)?;
    tmp.write_all(text.as_bytes()).map_err(io)?;
    tmp.as_file().sync_all().map_err(io)?;
    tmp.persist(p).map_err(|e| io(e.error))?;
    // The rename itself is durable once the directory is flushed.
    #[cfg(unix)]
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

fn leaf_paths(v: &Value, prefix: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                leaf_paths(v, format!("{prefix}/{k}"), out);
            }
        }
        _ if !prefix.is_empty() => out.push(prefix),
        _ => {}
    }
}

/// `base` with every leaf of `top` written over it.
fn overlay(base: &Value, top: &Value) -> Value {
    match (base, top) {
        (Value::Object(b), Value::Object(t)) => {
            let mut out = b.clone();
            for (k, tv) in t {
                let merged = match b.get(k) {
                    Some(bv) => overlay(bv, tv),
                    None => tv.clone(),
                };
                out.insert(k.clone(), merged);
            }
            Value::Object(out)
        }
        (_, t) => t.clone(),
    }
}

fn same_kind(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Bool(_), Value::Bool(_))
        | (Value::String(_), Value::String(_))
        | (Value::Array(_), Value::Array(_))
        | (Value::Object(_), Value::Object(_)) => true,
        (Value::Number(x), Value::Number(y)) => x.is_f64() == y.is_f64() || !y.is_f64(),
        _ => false,
    }
}

/// Takes from `new` only the keys `base` knows (unknown keys are dropped, as Go's decoder does).
/// With `strict`, a value of the wrong type is an error; otherwise the base value is kept.
fn merge_known(base: &Value, new: &Value, strict: bool) -> Result<Value, ConfigError> {
    match (base, new) {
        (Value::Object(b), Value::Object(n)) => {
            let mut out = b.clone();
            for (k, bv) in b {
                let Some(nv) = n.get(k) else { continue };
                if nv.is_null() {
                    continue;
                }
                let merged = if bv.is_object() {
                    merge_known(bv, nv, strict)?
                } else if same_kind(bv, nv) {
                    nv.clone()
                } else if strict {
                    return Err(ConfigError::Shape(format!("{k}: wrong type")));
                } else {
                    bv.clone()
                };
                out.insert(k.clone(), merged);
            }
            Ok(Value::Object(out))
        }
        (_, Value::Null) => Ok(base.clone()),
        (_, n) if strict && !n.is_object() => Err(ConfigError::Shape("not an object".into())),
        _ => Ok(base.clone()),
    }
}

/// Parses `MM_SECTION_KEY=value` variables into a partial config tree, typed by the defaults.
/// Names match field names case-insensitively; values that do not parse are ignored.
fn env_overrides(defaults: &Value, env: impl IntoIterator<Item = (String, String)>) -> Value {
    let mut out = Value::Object(Map::new());
    for (k, v) in env {
        let upper = k.to_uppercase();
        let Some(rest) = upper.strip_prefix("MM_") else {
            continue;
        };
        let mut node = defaults;
        let mut path: Vec<String> = Vec::new();
        let mut ok = true;
        for part in rest.split('_') {
            let Value::Object(m) = node else {
                ok = false;
                break;
            };
            match m.iter().find(|(name, _)| name.eq_ignore_ascii_case(part)) {
                Some((name, child)) => {
                    path.push(name.clone());
                    node = child;
                }
                None => {
                    ok = false;
                    break;
                }
            }
        }
        if !ok || path.is_empty() || node.is_object() {
            continue;
        }
        let typed = match node {
            Value::Bool(_) => match v.trim().to_lowercase().as_str() {
                "1" | "t" | "true" => Value::Bool(true),
                "0" | "f" | "false" => Value::Bool(false),
                _ => continue,
            },
            Value::Number(_) => match v.trim().parse::<i64>() {
                Ok(n) => Value::from(n),
                Err(_) => continue,
            },
            Value::Array(_) => Value::Array(
                v.split_whitespace()
                    .map(|s| Value::String(s.to_string()))
                    .collect(),
            ),
            _ => Value::String(v),
        };
        let mut slot = &mut out;
        for (i, p) in path.iter().enumerate() {
            let obj = slot.as_object_mut().expect("built as objects");
            if i + 1 == path.len() {
                obj.insert(p.clone(), typed.clone());
                break;
            }
            slot = obj
                .entry(p.clone())
                .or_insert_with(|| Value::Object(Map::new()));
        }
    }
    out
}

/// The subset of Mattermost's `Config.IsValid` this server's settings need.
fn validate(c: &Value) -> Result<(), ConfigError> {
    let i = |p: &str| c.pointer(p).and_then(Value::as_i64).unwrap_or(0);
    let s = |p: &str| {
        c.pointer(p)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let min = i("/PasswordSettings/MinimumLength");
    if !(5..=72).contains(&min) {
        return Err(ConfigError::Invalid {
            id: "model.config.is_valid.password_length.app_error",
            detail: format!("MinimumLength={min}"),
        });
    }
    if i("/ServiceSettings/MaximumLoginAttempts") <= 0 {
        return Err(ConfigError::Invalid {
            id: "model.config.is_valid.login_attempts.app_error",
            detail: String::new(),
        });
    }
    if s("/ServiceSettings/ListenAddress").is_empty() {
        return Err(ConfigError::Invalid {
            id: "model.config.is_valid.listen_address.app_error",
            detail: String::new(),
        });
    }
    let ports = s("/ServiceSettings/AllowedOutgoingIntegrationPorts");
    if let Err(detail) = crate::app::outgoing::parse_ports(&ports) {
        return Err(ConfigError::Invalid {
            id: "model.config.is_valid.allowed_outgoing_integration_ports.app_error",
            detail,
        });
    }
    let site = s("/ServiceSettings/SiteURL");
    if !(site.is_empty() || site.starts_with("http://") || site.starts_with("https://")) {
        return Err(ConfigError::Invalid {
            id: "model.config.is_valid.site_url.app_error",
            detail: String::new(),
        });
    }
    let days = i("/ServiceSettings/MaximumPersonalAccessTokenLifetimeDays");
    if !(0..=36500).contains(&days) {
        return Err(ConfigError::Invalid {
            id: "model.config.is_valid.maximum_personal_access_token_lifetime_days.app_error",
            detail: format!("MaximumPersonalAccessTokenLifetimeDays={days}"),
        });
    }
    for p in [
        "/ServiceSettings/SessionLengthWebInHours",
        "/ServiceSettings/SessionLengthMobileInHours",
        "/ServiceSettings/SessionLengthSSOInHours",
    ] {
        if i(p) <= 0 {
            return Err(ConfigError::Invalid {
                id: "model.config.is_valid.session_length.app_error",
                detail: p.to_string(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    /// The allocation-free walk finds exactly what a JSON pointer finds.
    #[test]
    fn settings_are_found_as_a_json_pointer_finds_them() {
        let effective = serde_json::json!({
            "A": {"B": 1, "": 2, "a/b": 3, "m~n": 4, "L": [10, {"C": 11}]},
            "S": "x"
        });
        let cfg = Config {
            effective: effective.clone(),
            persisted: Value::Null,
        };
        for p in [
            "", "/", "/A", "/A/B", "/A/", "/A/a~1b", "/A/m~0n", "/A/L", "/A/L/0", "/A/L/1/C",
            "/A/L/01", "/A/L/x", "/S", "/S/x", "/Nope", "/A/B/C", "A/B",
        ] {
            assert_eq!(cfg.get(p), effective.pointer(p), "{p:?}");
        }
    }

    #[test]
    fn env_overrides_are_typed_and_case_insensitive() {
        let c = ConfigService::load(
            None,
            env(&[
                ("MM_SERVICESETTINGS_ENABLEUSERACCESSTOKENS", "true"),
                ("mm_servicesettings_maximumloginattempts", "3"),
                ("MM_SERVICESETTINGS_ENABLEDEVELOPER", "notabool"),
                ("MM_NOSUCHSECTION_KEY", "x"),
                ("MM_SQLSETTINGS_DATASOURCEREPLICAS", "a b"),
            ]),
        )
        .unwrap();
        let cfg = c.get();
        assert!(cfg.enable_user_access_tokens());
        assert_eq!(cfg.i64("/ServiceSettings/MaximumLoginAttempts"), 3);
        assert!(!cfg.enable_developer());
        assert_eq!(
            cfg.get("/SqlSettings/DataSourceReplicas")
                .unwrap()
                .as_array()
                .unwrap()
                .len(),
            2
        );
        let e = c.environment();
        assert_eq!(
            e.pointer("/ServiceSettings/EnableUserAccessTokens"),
            Some(&Value::Bool(true))
        );
        assert!(e.pointer("/ServiceSettings/EnableDeveloper").is_none());
    }

    #[tokio::test]
    async fn writes_to_env_keys_do_not_stick_and_types_are_checked() {
        let c = ConfigService::load(
            None,
            env(&[("MM_SERVICESETTINGS_ENABLEUSERACCESSTOKENS", "true")]),
        )
        .unwrap();
        let p = serde_json::json!({"ServiceSettings":{"EnableUserAccessTokens":false,"EnableDeveloper":true}});
        let cfg = c.patch(&p).await.unwrap();
        assert!(cfg.enable_user_access_tokens());
        assert!(cfg.enable_developer());
        assert_eq!(
            cfg.persisted
                .pointer("/ServiceSettings/EnableUserAccessTokens"),
            Some(&Value::Bool(false))
        );
        let bad = serde_json::json!({"ServiceSettings":{"EnableDeveloper":"yes"}});
        assert!(matches!(c.patch(&bad).await, Err(ConfigError::Shape(_))));
        let invalid = serde_json::json!({"PasswordSettings":{"MinimumLength":2}});
        assert!(matches!(
            c.patch(&invalid).await,
            Err(ConfigError::Invalid { .. })
        ));
    }

    #[test]
    fn every_upstream_secret_is_masked_and_comes_back_from_the_placeholder() {
        let real = serde_json::json!({
            "SqlSettings": {"DataSource": "postgres://u:pw@db/x", "AtRestEncryptKey": "",
                "DataSourceReplicas": ["postgres://r1", "postgres://r2"],
                "DataSourceSearchReplicas": ["postgres://s1"],
                "ReplicaLagSettings": [{"DataSource": "postgres://lag", "QueryAbsoluteLag": "q"}]},
            "FileSettings": {"PublicLinkSalt": "", "AmazonS3SecretAccessKey": "x-s3-secret"},
            "EmailSettings": {"SMTPPassword": "x-smtp-secret", "SMTPUsername": "me"},
            "LdapSettings": {"BindPassword": "x-ldap-secret"},
            "GitLabSettings": {"Secret": "x-gl-secret"}, "GoogleSettings": {"Secret": ""},
            "Office365Settings": {"Secret": "x-o365-secret"}, "OpenIdSettings": {"Secret": "x-oid-secret"},
            "ElasticsearchSettings": {"Password": ""},
            "MessageExportSettings": {"GlobalRelaySettings": {"SMTPPassword": "x-gr-secret"}},
            "ServiceSettings": {"SplitKey": "x-split-secret"},
            "CacheSettings": {"RedisPassword": "x-redis-secret"},
        });
        let c = Config {
            effective: real.clone(),
            persisted: real.clone(),
        };
        let s = c.sanitized();
        let text = s.to_string();
        for secret in ["pw@db", "r1", "r2", "s1", "lag", "-secret"] {
            assert!(!text.contains(secret), "{secret} shown in {text}");
        }
        for p in [
            "/SqlSettings/AtRestEncryptKey",
            "/FileSettings/PublicLinkSalt",
            "/ElasticsearchSettings/Password",
            "/SqlSettings/ReplicaLagSettings/0/DataSource",
            "/SqlSettings/DataSourceSearchReplicas/0",
        ] {
            assert_eq!(s.pointer(p).unwrap(), FAKE_SETTING, "{p}");
        }
        // Empty optional secrets stay empty, as upstream; other settings are untouched.
        assert_eq!(s.pointer("/GoogleSettings/Secret").unwrap(), "");
        assert_eq!(s.pointer("/EmailSettings/SMTPUsername").unwrap(), "me");
        assert_eq!(
            s.pointer("/SqlSettings/ReplicaLagSettings/0/QueryAbsoluteLag")
                .unwrap(),
            "q"
        );
        let svc = ConfigService::load(None, Vec::new()).unwrap();
        let mut back = s.clone();
        svc.restore(&real, &mut back);
        assert_eq!(back, real);
    }

    #[test]
    fn config_file_is_private_and_replaced_whole() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub").join("config.json");
        write_atomically(&p, &serde_json::json!({"a": 1})).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
            // A file left readable by an older version is replaced by a private one.
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        // A reader holding the old file still sees it whole: the new one is a new file.
        let before = std::fs::File::open(&p).unwrap();
        write_atomically(&p, &serde_json::json!({"a": 2})).unwrap();
        let old: Value = serde_json::from_reader(before).unwrap();
        assert_eq!(old["a"], 1);
        let new: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        assert_eq!(new["a"], 2);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let names = |d: &std::path::Path| -> Vec<String> {
            std::fs::read_dir(d)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        };
        assert_eq!(names(&dir.path().join("sub")), ["config.json"]);
        // A write that cannot complete (here the target is a non-empty directory) leaves
        // nothing behind.
        let blocked = dir.path().join("blocked");
        std::fs::create_dir_all(blocked.join("config.json")).unwrap();
        std::fs::write(blocked.join("config.json").join("x"), "x").unwrap();
        let target = blocked.join("config.json");
        assert!(write_atomically(&target, &serde_json::json!({})).is_err());
        assert_eq!(names(&blocked), ["config.json"]);
    }

    #[test]
    fn secrets_are_sanitized() {
        let c = ConfigService::load(None, Vec::new()).unwrap();
        let s = c.get().sanitized();
        assert_eq!(s.pointer("/SqlSettings/DataSource").unwrap(), FAKE_SETTING);
        assert_eq!(s.pointer("/EmailSettings/SMTPPassword").unwrap(), "");
    }
}
