//! Configuration from the environment (and `.env`, loaded by `main`).

use rand::RngCore;
use std::{
    fmt,
    io::Write,
    net::SocketAddr,
    path::{Path, PathBuf},
};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name} is not valid: {reason}")]
    Invalid { name: &'static str, reason: String },
    #[error("cannot read or write the secret key file {path}: {source}")]
    SecretFile {
        path: PathBuf,
        source: std::io::Error,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// The server secret (signs tokens and links). Its `Debug` is redacted so it
/// can never end up in a log line.
#[derive(Clone)]
pub struct SecretKey(Vec<u8>);

impl SecretKey {
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub db_max_connections: u32,
    pub addr: SocketAddr,
    pub data_dir: PathBuf,
    pub secret_key: SecretKey,
    pub log_level: String,
    pub log_format: LogFormat,
    /// Where the built site (`pkg/` with JS, WASM and CSS) is served from.
    pub site_root: PathBuf,
    /// Guest writes (bookings, cancellations, quotes) allowed per client
    /// address per minute, and the burst allowed at once.
    pub public_rate_per_minute: u32,
    pub public_burst: u32,
    /// Token lifetimes and lockout rules for staff sign-in.
    pub auth: app::server::auth::AuthSettings,
    /// The studio is served over https: staff cookies get `Secure`.
    pub secure_cookies: bool,
}

impl Config {
    /// Reads the configuration; `STUDIO_SECRET_KEY` falls back to a key
    /// stored in `STUDIO_DATA_DIR/secret.key`, generated on first run.
    pub fn from_env() -> Result<Config, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let get = |name: &str| get(name).filter(|v| !v.trim().is_empty());
        let data_dir = PathBuf::from(get("STUDIO_DATA_DIR").unwrap_or_else(|| "./data".into()));
        let database_url = get("DATABASE_URL")
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("studio.db").display()));
        let addr = get("STUDIO_ADDR")
            .unwrap_or_else(|| "127.0.0.1:3000".into())
            .parse()
            .map_err(|e: std::net::AddrParseError| ConfigError::Invalid {
                name: "STUDIO_ADDR",
                reason: e.to_string(),
            })?;
        let positive = |name: &'static str, default: u32| -> Result<u32, ConfigError> {
            match get(name) {
                None => Ok(default),
                Some(v) => v
                    .parse()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or(ConfigError::Invalid {
                        name,
                        reason: "expected a positive whole number".into(),
                    }),
            }
        };
        let public_rate_per_minute = positive("STUDIO_PUBLIC_RATE_PER_MINUTE", 20)?;
        let public_burst = positive("STUDIO_PUBLIC_BURST", 10)?;
        let db_max_connections = positive("STUDIO_DB_MAX_CONNECTIONS", 10)?;
        let d = app::server::auth::AuthSettings::default();
        let secs = |name, default: i64| {
            positive(name, u32::try_from(default).unwrap_or(u32::MAX)).map(i64::from)
        };
        let auth = app::server::auth::AuthSettings {
            access_ttl_secs: secs("STUDIO_ACCESS_TOKEN_TTL", d.access_ttl_secs)?,
            idle_timeout_secs: secs("STUDIO_SESSION_IDLE_TIMEOUT", d.idle_timeout_secs)?,
            absolute_lifetime_secs: secs("STUDIO_SESSION_LIFETIME", d.absolute_lifetime_secs)?,
            lockout_threshold: i32::try_from(positive("STUDIO_LOCKOUT_THRESHOLD", 5)?).unwrap_or(5),
            lockout_window_secs: secs("STUDIO_LOCKOUT_WINDOW", d.lockout_window_secs)?,
            lockout_duration_secs: secs("STUDIO_LOCKOUT_DURATION", d.lockout_duration_secs)?,
        };
        let log_format = match get("STUDIO_LOG_FORMAT").as_deref() {
            None | Some("pretty") => LogFormat::Pretty,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    name: "STUDIO_LOG_FORMAT",
                    reason: format!("expected pretty or json, got {other}"),
                })
            }
        };
        let secret_key = match get("STUDIO_SECRET_KEY") {
            Some(key) if key.len() >= 32 => SecretKey(key.into_bytes()),
            Some(_) => {
                return Err(ConfigError::Invalid {
                    name: "STUDIO_SECRET_KEY",
                    reason: "must be at least 32 characters".into(),
                })
            }
            None => load_or_create_secret(&data_dir)?,
        };
        Ok(Config {
            database_url,
            db_max_connections,
            addr,
            secret_key,
            log_level: get("STUDIO_LOG").unwrap_or_else(|| "info".into()),
            log_format,
            site_root: PathBuf::from(
                get("LEPTOS_SITE_ROOT").unwrap_or_else(|| "target/site".into()),
            ),
            data_dir,
            public_rate_per_minute,
            public_burst,
            auth,
            secure_cookies: matches!(
                get("STUDIO_SECURE_COOKIES").as_deref(),
                Some("true" | "1" | "yes")
            ),
        })
    }
}

/// Reads `secret.key` from the data directory, or creates it (mode 0600)
/// with 256 random bits. `create_new` makes a race between two first starts
/// end with both using the file the winner wrote.
fn load_or_create_secret(data_dir: &Path) -> Result<SecretKey, ConfigError> {
    let path = data_dir.join("secret.key");
    let err = |source| ConfigError::SecretFile {
        path: path.clone(),
        source,
    };
    if let Ok(existing) = std::fs::read_to_string(&path) {
        return Ok(SecretKey(existing.trim().as_bytes().to_vec()));
    }
    std::fs::create_dir_all(data_dir).map_err(err)?;
    let mut raw = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut raw);
    let hex: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(&path) {
        Ok(mut file) => {
            file.write_all(hex.as_bytes()).map_err(err)?;
            Ok(SecretKey(hex.into_bytes()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let existing = std::fs::read_to_string(&path).map_err(err)?;
            Ok(SecretKey(existing.trim().as_bytes().to_vec()))
        }
        Err(e) => Err(err(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_give_an_embedded_sqlite_studio_on_port_3000() {
        let dir = tempfile::tempdir().unwrap();
        let c = config(&[("STUDIO_DATA_DIR", dir.path().to_str().unwrap())]).unwrap();
        assert_eq!(c.addr.to_string(), "127.0.0.1:3000");
        assert_eq!(
            c.database_url,
            format!("sqlite://{}/studio.db", dir.path().display())
        );
        assert_eq!(c.log_format, LogFormat::Pretty);
    }

    #[test]
    fn a_generated_secret_is_stored_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let vars = [("STUDIO_DATA_DIR", dir.path().to_str().unwrap())];
        let first = config(&vars).unwrap().secret_key;
        let second = config(&vars).unwrap().secret_key;
        assert_eq!(first.bytes(), second.bytes());
        assert_eq!(first.bytes().len(), 64);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("secret.key"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn the_secret_never_appears_in_debug_output() {
        let c = config(&[(
            "STUDIO_SECRET_KEY",
            "0123456789abcdef0123456789abcdef-secret",
        )])
        .unwrap();
        assert!(!format!("{c:?}").contains("0123456789abcdef"));
    }

    #[test]
    fn bad_values_are_reported_by_name() {
        let e = config(&[
            ("STUDIO_SECRET_KEY", "short-secret-key-xx"),
            ("STUDIO_LOG_FORMAT", "json"),
        ])
        .unwrap_err();
        assert!(e.to_string().contains("STUDIO_SECRET_KEY"));
        let e = config(&[
            ("STUDIO_SECRET_KEY", &"k".repeat(40)),
            ("STUDIO_ADDR", "nowhere"),
        ])
        .unwrap_err();
        assert!(e.to_string().contains("STUDIO_ADDR"));
        let e = config(&[
            ("STUDIO_SECRET_KEY", &"k".repeat(40)),
            ("STUDIO_LOG_FORMAT", "xml"),
        ])
        .unwrap_err();
        assert!(e.to_string().contains("STUDIO_LOG_FORMAT"));
    }
}
