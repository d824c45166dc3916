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
    pub auth: app::server::credentials::AuthSettings,
    /// The studio is served over https: staff cookies get `Secure`.
    pub secure_cookies: bool,
    /// Reverse proxies whose `Forwarded`/`X-Forwarded-For` are believed.
    pub trusted_proxies: crate::http::TrustedProxies,
    /// When set, `/metrics` answers only to `Authorization: Bearer <token>`.
    pub metrics_token: Option<SecretKey>,
    /// The studio's external base URL (`STUDIO_PUBLIC_URL`); without it,
    /// links are made from the address the server listens on.
    pub public_url: Option<String>,
    pub telegram: Option<app::server::notify::Telegram>,
    pub smtp: Option<app::server::notify::Smtp>,
    pub retry: app::server::outbox::RetryPolicy,
    pub outbox_alert_age_secs: i64,
    pub jobs: app::server::jobs::Schedule,
    /// Redis shared by the instances (`STUDIO_REDIS_URL`).
    pub shared: app::server::shared::Shared,
    /// Scheduled backups (`STUDIO_BACKUP_DIR`), off when unset.
    pub backups: Option<app::server::backup::Plan>,
    /// The data key of guests' personal data (`STUDIO_DATA_KEY`); derived
    /// from the server secret when unset.
    pub data_key: Option<DataKeys>,
}

/// `STUDIO_DATA_KEY` and the older keys still accepted for reading
/// (`STUDIO_DATA_KEY_PREVIOUS`, comma-separated), while
/// `server rotate-data-key` re-seals. Its `Debug` is redacted.
#[derive(Clone)]
pub struct DataKeys {
    pub current: Option<[u8; 32]>,
    pub previous: Vec<[u8; 32]>,
}

impl fmt::Debug for DataKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKeys(<redacted>)")
    }
}

impl Config {
    /// The keys of personal data this configuration names.
    pub fn vault(&self) -> app::server::pii::Vault {
        let (current, previous) = match &self.data_key {
            Some(k) => (k.current, k.previous.as_slice()),
            None => (None, &[][..]),
        };
        app::server::pii::Vault::new(self.secret_key.bytes(), current, previous)
    }
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
        let d = app::server::credentials::AuthSettings::default();
        let secs = |name, default: i64| {
            positive(name, u32::try_from(default).unwrap_or(u32::MAX)).map(i64::from)
        };
        let auth = app::server::credentials::AuthSettings {
            access_ttl_secs: secs("STUDIO_ACCESS_TOKEN_TTL", d.access_ttl_secs)?,
            idle_timeout_secs: secs("STUDIO_SESSION_IDLE_TIMEOUT", d.idle_timeout_secs)?,
            absolute_lifetime_secs: secs("STUDIO_SESSION_LIFETIME", d.absolute_lifetime_secs)?,
            lockout_threshold: i32::try_from(positive("STUDIO_LOCKOUT_THRESHOLD", 5)?).unwrap_or(5),
            lockout_window_secs: secs("STUDIO_LOCKOUT_WINDOW", d.lockout_window_secs)?,
            lockout_duration_secs: secs("STUDIO_LOCKOUT_DURATION", d.lockout_duration_secs)?,
            temporary_password_ttl_secs: secs(
                "STUDIO_TEMP_PASSWORD_TTL",
                d.temporary_password_ttl_secs,
            )?,
            refresh_reuse_grace_secs: d.refresh_reuse_grace_secs,
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
            Some(key) => checked_secret(&key, "STUDIO_SECRET_KEY")?,
            None => load_or_create_secret(&data_dir)?,
        };
        let data_key = {
            let key = |name: &'static str, raw: &str| {
                app::server::pii::parse_data_key(raw)
                    .map_err(|reason| ConfigError::Invalid { name, reason })
            };
            let current = get("STUDIO_DATA_KEY")
                .map(|raw| key("STUDIO_DATA_KEY", &raw))
                .transpose()?;
            let previous = get("STUDIO_DATA_KEY_PREVIOUS")
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|k| !k.is_empty())
                .map(|raw| key("STUDIO_DATA_KEY_PREVIOUS", raw))
                .collect::<Result<Vec<_>, _>>()?;
            (current.is_some() || !previous.is_empty()).then_some(DataKeys { current, previous })
        };
        let trusted_proxies =
            crate::http::TrustedProxies::parse(&get("STUDIO_TRUSTED_PROXIES").unwrap_or_default())
                .map_err(|reason| ConfigError::Invalid {
                    name: "STUDIO_TRUSTED_PROXIES",
                    reason,
                })?;
        let metrics_token = match get("STUDIO_METRICS_TOKEN") {
            Some(t) if t.trim().len() >= 16 => Some(SecretKey(t.trim().as_bytes().to_vec())),
            Some(_) => {
                return Err(ConfigError::Invalid {
                    name: "STUDIO_METRICS_TOKEN",
                    reason: "must be at least 16 characters".into(),
                })
            }
            None => None,
        };
        let public_url = match get("STUDIO_PUBLIC_URL") {
            None => None,
            Some(raw) => {
                let trimmed = raw.trim().trim_end_matches('/').to_owned();
                let ok = reqwest_like_url(&trimmed);
                if !ok {
                    return Err(ConfigError::Invalid {
                        name: "STUDIO_PUBLIC_URL",
                        reason: "expected an http:// or https:// address such as https://studio.example.com".into(),
                    });
                }
                Some(trimmed)
            }
        };
        let telegram = match (
            get("STUDIO_TELEGRAM_BOT_TOKEN"),
            get("STUDIO_TELEGRAM_CHAT_ID"),
        ) {
            (None, None) => None,
            (Some(_), None) => {
                return Err(ConfigError::Invalid {
                    name: "STUDIO_TELEGRAM_CHAT_ID",
                    reason: "is required when STUDIO_TELEGRAM_BOT_TOKEN is set".into(),
                })
            }
            (None, Some(_)) => {
                return Err(ConfigError::Invalid {
                    name: "STUDIO_TELEGRAM_BOT_TOKEN",
                    reason: "is required when STUDIO_TELEGRAM_CHAT_ID is set".into(),
                })
            }
            (Some(token), Some(chat_id)) => {
                let token = token.trim().to_owned();
                // Bot tokens look like `123456:ABC-def_…`.
                if !token.contains(':')
                    || !token
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '-' | '_'))
                {
                    return Err(ConfigError::Invalid {
                        name: "STUDIO_TELEGRAM_BOT_TOKEN",
                        reason: "expected a bot token such as 123456:ABC-def (from @BotFather)"
                            .into(),
                    });
                }
                let chat_id = chat_id.trim().to_owned();
                let numeric = chat_id.strip_prefix('-').unwrap_or(&chat_id);
                if !(numeric.chars().all(|c| c.is_ascii_digit()) && !numeric.is_empty()
                    || chat_id.starts_with('@') && chat_id.len() > 1)
                {
                    return Err(ConfigError::Invalid {
                        name: "STUDIO_TELEGRAM_CHAT_ID",
                        reason: "expected a chat id such as -1001234567890 or @channel".into(),
                    });
                }
                let api_url = get("STUDIO_TELEGRAM_API_URL")
                    .map(|u| u.trim().trim_end_matches('/').to_owned())
                    .unwrap_or_else(|| "https://api.telegram.org".into());
                if !reqwest_like_url(&api_url) {
                    return Err(ConfigError::Invalid {
                        name: "STUDIO_TELEGRAM_API_URL",
                        reason: "expected an http:// or https:// address".into(),
                    });
                }
                Some(app::server::notify::Telegram {
                    api_url,
                    token,
                    chat_id,
                })
            }
        };
        let smtp = match get("STUDIO_SMTP_URL") {
            None => None,
            Some(url) => {
                let from = get("STUDIO_MAIL_FROM").ok_or(ConfigError::Invalid {
                    name: "STUDIO_MAIL_FROM",
                    reason:
                        "is required when STUDIO_SMTP_URL is set (e.g. Studio <studio@example.com>)"
                            .into(),
                })?;
                Some(
                    app::server::notify::Smtp::parse(&url, &from)
                        .map_err(|(name, reason)| ConfigError::Invalid { name, reason })?,
                )
            }
        };
        let d = app::server::outbox::RetryPolicy::default();
        let retry =
            app::server::outbox::RetryPolicy {
                base_secs: match get("STUDIO_OUTBOX_RETRY_BASE") {
                    // 0 is allowed: tests retry at once.
                    Some(v) => v.trim().parse::<u32>().map(i64::from).map_err(|_| {
                        ConfigError::Invalid {
                            name: "STUDIO_OUTBOX_RETRY_BASE",
                            reason: "expected seconds (a whole number)".into(),
                        }
                    })?,
                    None => d.base_secs,
                },
                max_attempts: i32::try_from(positive(
                    "STUDIO_OUTBOX_MAX_ATTEMPTS",
                    u32::try_from(d.max_attempts).unwrap_or(13),
                )?)
                .unwrap_or(d.max_attempts),
                cap_secs: d.cap_secs,
            };
        let outbox_alert_age_secs = i64::from(positive("STUDIO_OUTBOX_ALERT_AGE", 900)?);
        let jd = app::server::jobs::Schedule::default();
        let jobs = app::server::jobs::Schedule {
            outbox_poll: std::time::Duration::from_millis(u64::from(positive(
                "STUDIO_OUTBOX_POLL_MS",
                u32::try_from(jd.outbox_poll.as_millis()).unwrap_or(2000),
            )?)),
            jobs_every: std::time::Duration::from_secs(u64::from(positive(
                "STUDIO_JOBS_INTERVAL",
                u32::try_from(jd.jobs_every.as_secs()).unwrap_or(60),
            )?)),
            lease_secs: i64::from(positive(
                "STUDIO_OUTBOX_LEASE",
                u32::try_from(jd.lease_secs).unwrap_or(120),
            )?),
            ..jd
        };
        let backups = match get("STUDIO_BACKUP_DIR").filter(|d| !d.trim().is_empty()) {
            None => None,
            Some(dir) => Some(app::server::backup::Plan {
                dir: PathBuf::from(dir),
                every: std::time::Duration::from_secs(
                    3600 * u64::from(positive("STUDIO_BACKUP_INTERVAL_HOURS", 24)?),
                ),
                keep: positive("STUDIO_BACKUP_KEEP", 14)? as usize,
            }),
        };
        let shared = match get("STUDIO_REDIS_URL").filter(|u| !u.trim().is_empty()) {
            None => app::server::shared::Shared::default(),
            Some(url) => app::server::shared::Shared::redis(url.trim()).map_err(|e| {
                ConfigError::Invalid {
                    name: "STUDIO_REDIS_URL",
                    reason: format!("is not a Redis URL (redis://host:6379/0): {e}"),
                }
            })?,
        };
        Ok(Config {
            shared,
            backups,
            public_url,
            telegram,
            smtp,
            retry,
            outbox_alert_age_secs,
            jobs,
            database_url,
            db_max_connections,
            addr,
            secret_key,
            data_key,
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
            trusted_proxies,
            metrics_token,
        })
    }
}

/// The shortest secret accepted: 32 bytes, whether given in the
/// environment or read from `secret.key`.
/// An absolute http(s) URL with a host (what links and API calls need).
fn reqwest_like_url(raw: &str) -> bool {
    let Some((scheme, rest)) = raw.split_once("://") else {
        return false;
    };
    matches!(scheme, "http" | "https")
        && !rest.is_empty()
        && !rest.starts_with('/')
        && !raw.chars().any(|c| c.is_whitespace() || c.is_control())
}

const MIN_SECRET_BYTES: usize = 32;

fn checked_secret(raw: &str, source: &'static str) -> Result<SecretKey, ConfigError> {
    let key = raw.trim();
    if key.len() < MIN_SECRET_BYTES {
        return Err(ConfigError::Invalid {
            name: source,
            reason: format!("must be at least {MIN_SECRET_BYTES} bytes"),
        });
    }
    Ok(SecretKey(key.as_bytes().to_vec()))
}

/// Reads `secret.key` from the data directory, or creates it (mode 0600)
/// with 256 random bits. The file appears complete or not at all: it is
/// written under a temporary name and linked into place, and the link
/// fails if another first start got there first (then its key is used).
fn load_or_create_secret(data_dir: &Path) -> Result<SecretKey, ConfigError> {
    let path = data_dir.join("secret.key");
    let err = |source| ConfigError::SecretFile {
        path: path.clone(),
        source,
    };
    match std::fs::read_to_string(&path) {
        Ok(existing) => return checked_secret(&existing, "secret.key"),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(err(e)),
    }
    std::fs::create_dir_all(data_dir).map_err(err)?;
    let mut raw = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut raw);
    let hex: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    let temp = data_dir.join(format!(".secret.key.{}", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options.open(&temp).and_then(|mut file| {
        file.write_all(hex.as_bytes())?;
        file.sync_all()
    });
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(err(e));
    }
    let linked = std::fs::hard_link(&temp, &path);
    let _ = std::fs::remove_file(&temp);
    match linked {
        Ok(()) => Ok(SecretKey(hex.into_bytes())),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let existing = std::fs::read_to_string(&path).map_err(err)?;
            checked_secret(&existing, "secret.key")
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
    fn a_short_secret_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("secret.key"), "too-short-a-key\n").unwrap();
        let e = config(&[("STUDIO_DATA_DIR", dir.path().to_str().unwrap())]).unwrap_err();
        assert!(e.to_string().contains("secret.key"), "{e}");
        assert!(e.to_string().contains("32 bytes"), "{e}");
    }

    #[test]
    fn creating_the_secret_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        config(&[("STUDIO_DATA_DIR", dir.path().to_str().unwrap())]).unwrap();
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, vec!["secret.key".to_owned()]);
    }

    #[test]
    fn trusted_proxies_and_the_metrics_token_are_checked() {
        let key = "k".repeat(40);
        let e = config(&[
            ("STUDIO_SECRET_KEY", &key),
            ("STUDIO_TRUSTED_PROXIES", "10.0.0.0/33"),
        ])
        .unwrap_err();
        assert!(e.to_string().contains("STUDIO_TRUSTED_PROXIES"), "{e}");
        let e = config(&[
            ("STUDIO_SECRET_KEY", &key),
            ("STUDIO_METRICS_TOKEN", "short"),
        ])
        .unwrap_err();
        assert!(e.to_string().contains("STUDIO_METRICS_TOKEN"), "{e}");
        let c = config(&[
            ("STUDIO_SECRET_KEY", &key),
            ("STUDIO_TRUSTED_PROXIES", "10.0.0.0/8, ::1"),
            ("STUDIO_TEMP_PASSWORD_TTL", "3600"),
        ])
        .unwrap();
        assert!(!c.trusted_proxies.is_empty());
        assert_eq!(c.auth.temporary_password_ttl_secs, 3600);
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
