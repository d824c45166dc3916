//! What several instances share through Redis when `STUDIO_REDIS_URL` is
//! set: the per-address rate limits (one budget for the whole chain, kept
//! by a GCRA script on Redis's own clock) and cache invalidations (a
//! settings change on one instance empties every instance's caches at
//! once). Without Redis, or while it is down, each instance falls back to
//! its own limits and cache lifetimes and says so on `/health/cache`: a
//! Redis outage never fails a request.

use std::{
    net::IpAddr,
    sync::{
        atomic::{AtomicBool, AtomicI64, Ordering},
        Arc,
    },
    time::Duration,
};
use tokio::sync::Mutex;

/// How long a request waits for Redis before it uses the local fallback.
const OP_TIMEOUT: Duration = Duration::from_millis(250);
/// How often a lost connection is tried again (at most).
const RECONNECT_EVERY_MS: i64 = 2_000;
/// The channel cache invalidations travel on.
const CHANNEL: &str = "studio:invalidate";

/// GCRA (the rule tower_governor applies locally): `burst` requests at
/// once, then one per `interval` ms; answers 0 (admitted) or the
/// milliseconds to wait. The time is Redis's, so instances with skewed
/// clocks still share one budget.
const GCRA: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local tau = interval * (tonumber(ARGV[2]) - 1)
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
if tat - now > tau then
  return tat - now - tau
end
local new = tat + interval
redis.call('SET', KEYS[1], new, 'PX', new - now + 1000)
return 0
";

/// The link to Redis (or its absence). Cheap to clone.
#[derive(Clone, Default)]
pub struct Shared {
    redis: Option<Arc<Link>>,
}

impl std::fmt::Debug for Shared {
    /// The URL may carry a password: only whether Redis is configured.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("redis", &self.redis.is_some())
            .finish()
    }
}

struct Link {
    client: redis::Client,
    conn: Mutex<Option<redis::aio::ConnectionManager>>,
    /// The last attempt to connect (Unix ms), so a dead Redis is not
    /// dialled on every request.
    tried_at: AtomicI64,
    healthy: AtomicBool,
    script: redis::Script,
    /// Tells this instance's own invalidations apart from the others'.
    instance: String,
}

/// What `/health/cache` says of the shared part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SharedHealth {
    /// No Redis configured: every instance keeps its own.
    Local,
    Up,
    /// Configured but not answering: local fallbacks in use.
    Down,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

impl Shared {
    /// Redis at `url` (checked now; connected on first use, so a studio
    /// starts even while Redis is down).
    pub fn redis(url: &str) -> Result<Shared, String> {
        let client = redis::Client::open(url).map_err(|e| e.to_string())?;
        Ok(Shared {
            redis: Some(Arc::new(Link {
                client,
                conn: Mutex::new(None),
                tried_at: AtomicI64::new(0),
                healthy: AtomicBool::new(true),
                script: redis::Script::new(GCRA),
                instance: uuid::Uuid::new_v4().simple().to_string(),
            })),
        })
    }

    pub fn is_configured(&self) -> bool {
        self.redis.is_some()
    }

    pub fn health(&self) -> SharedHealth {
        match &self.redis {
            None => SharedHealth::Local,
            Some(l) if l.healthy.load(Ordering::Relaxed) => SharedHealth::Up,
            Some(_) => SharedHealth::Down,
        }
    }

    /// Counts one request of `ip` against the chain's shared budget:
    /// `Some(Ok)` admitted, `Some(Err(secs))` to wait, `None` when there is
    /// no Redis to ask (then the caller's local limiter decides).
    pub async fn admit(&self, ip: IpAddr, interval_ms: u64, burst: u32) -> Option<Result<(), u64>> {
        let link = self.redis.as_ref()?;
        let mut conn = link.connection().await?;
        let key = format!("studio:rate:{ip}");
        let mut invocation = link.script.key(key);
        invocation.arg(interval_ms).arg(burst.max(1));
        let answer =
            tokio::time::timeout(OP_TIMEOUT, invocation.invoke_async::<i64>(&mut conn)).await;
        match answer {
            Ok(Ok(0)) => {
                link.up();
                Some(Ok(()))
            }
            Ok(Ok(wait_ms)) => {
                link.up();
                Some(Err(u64::try_from(wait_ms)
                    .unwrap_or(0)
                    .div_ceil(1000)
                    .max(1)))
            }
            Ok(Err(e)) => {
                link.down(&e.to_string());
                None
            }
            Err(_) => {
                link.down("timed out");
                None
            }
        }
    }

    /// Tells the other instances to drop their cached settings and
    /// catalog. In the background: the change itself is committed already.
    pub fn publish_invalidation(&self) {
        let Some(link) = self.redis.clone() else {
            return;
        };
        tokio::spawn(async move {
            let Some(mut conn) = link.connection().await else {
                return;
            };
            let sent = tokio::time::timeout(
                OP_TIMEOUT,
                redis::cmd("PUBLISH")
                    .arg(CHANNEL)
                    .arg(&link.instance)
                    .query_async::<i64>(&mut conn),
            )
            .await;
            match sent {
                Ok(Ok(_)) => link.up(),
                Ok(Err(e)) => link.down(&e.to_string()),
                Err(_) => link.down("timed out"),
            }
        });
    }

    /// Listens for the other instances' invalidations until the process
    /// ends, calling `invalidate` for each (and once after every
    /// reconnection, for what may have been missed meanwhile).
    pub async fn listen(self, invalidate: impl Fn() + Send + Sync + 'static) {
        use futures_util::StreamExt;
        let Some(link) = self.redis else {
            return;
        };
        loop {
            match link.client.get_async_pubsub().await {
                Ok(mut pubsub) => match pubsub.subscribe(CHANNEL).await {
                    Ok(()) => {
                        link.up();
                        invalidate();
                        let mut messages = pubsub.on_message();
                        while let Some(msg) = messages.next().await {
                            let from: String = msg.get_payload().unwrap_or_default();
                            if from != link.instance {
                                invalidate();
                            }
                        }
                        link.down("subscription ended");
                    }
                    Err(e) => link.down(&e.to_string()),
                },
                Err(e) => link.down(&e.to_string()),
            }
            tokio::time::sleep(Duration::from_millis(RECONNECT_EVERY_MS as u64)).await;
        }
    }
}

impl Link {
    async fn connection(&self) -> Option<redis::aio::ConnectionManager> {
        let mut slot = self.conn.lock().await;
        if let Some(c) = slot.as_ref() {
            return Some(c.clone());
        }
        let now = now_ms();
        if now - self.tried_at.load(Ordering::Relaxed) < RECONNECT_EVERY_MS {
            return None;
        }
        self.tried_at.store(now, Ordering::Relaxed);
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(OP_TIMEOUT)
            .set_response_timeout(OP_TIMEOUT)
            .set_number_of_retries(1);
        match tokio::time::timeout(
            OP_TIMEOUT * 4,
            redis::aio::ConnectionManager::new_with_config(self.client.clone(), config),
        )
        .await
        {
            Ok(Ok(c)) => {
                self.up();
                *slot = Some(c.clone());
                Some(c)
            }
            Ok(Err(e)) => {
                self.down(&e.to_string());
                None
            }
            Err(_) => {
                self.down("timed out");
                None
            }
        }
    }

    fn up(&self) {
        if !self.healthy.swap(true, Ordering::Relaxed) {
            tracing::info!("Redis answers again: limits and cache invalidations are shared");
        }
    }

    fn down(&self, why: &str) {
        if self.healthy.swap(false, Ordering::Relaxed) {
            tracing::warn!(error = %why, "Redis does not answer: local rate limits and cache lifetimes until it is back");
        }
    }
}
