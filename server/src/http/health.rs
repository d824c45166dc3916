//! Operations endpoints: liveness, database and cache health, metrics.

use app::{
    error::{ErrorBody, ErrorDetail},
    server::AppState,
};
use axum::{
    extract::State,
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde::Serialize;
use std::time::{Duration, Instant};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct Liveness {
    /// Always `ok` while the process serves requests.
    pub status: &'static str,
    /// Present when scheduled backups are configured (`STUDIO_BACKUP_DIR`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backup: Option<BackupHealth>,
}

#[derive(Serialize, ToSchema)]
pub struct BackupHealth {
    /// When the newest scheduled backup was written (Unix seconds); absent
    /// when there is none yet.
    pub latest_at: Option<i64>,
    pub age_seconds: Option<i64>,
    /// No backup, or the newest is older than two intervals.
    pub overdue: bool,
}

#[derive(Serialize, ToSchema)]
pub struct DbHealth {
    pub status: &'static str,
    /// `sqlite` or `postgres`.
    pub backend: &'static str,
    /// Round-trip time of a trivial query.
    pub latency_ms: f64,
}

#[derive(Serialize, ToSchema)]
pub struct CacheHealth {
    /// `ok`, or `degraded` while a configured Redis does not answer (each
    /// instance then uses its own limits and cache lifetimes).
    pub status: &'static str,
    /// Where cached data lives.
    pub kind: &'static str,
    /// What the instances share: `redis`, or `local` without it.
    pub shared: &'static str,
    pub entries: u64,
}

/// The process is up.
#[utoipa::path(get, path = "/health", tag = "operations",
    responses((status = 200, description = "The server is alive", body = Liveness)))]
pub async fn live(State(state): State<AppState>) -> Json<Liveness> {
    let backup = state.backups.as_ref().map(|plan| {
        let latest_at = app::server::backup::latest(&plan.dir)
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .and_then(|d| i64::try_from(d.as_secs()).ok());
        let age_seconds = latest_at.map(|at| (app::server::now_epoch() - at).max(0));
        let limit = i64::try_from(plan.every.as_secs()).unwrap_or(i64::MAX / 2) * 2;
        BackupHealth {
            latest_at,
            age_seconds,
            overdue: age_seconds.is_none_or(|age| age > limit),
        }
    });
    Json(Liveness {
        status: "ok",
        backup,
    })
}

/// The database answers a query within two seconds.
#[utoipa::path(get, path = "/health/db", tag = "operations", responses(
    (status = 200, description = "The database answers", body = DbHealth),
    (status = 503, description = "The database does not answer", body = ErrorBody)))]
pub async fn db(State(state): State<AppState>) -> Response {
    let backend = state.store.backend().name();
    let started = Instant::now();
    match tokio::time::timeout(Duration::from_secs(2), state.store.ping()).await {
        Ok(Ok(())) => Json(DbHealth {
            status: "ok",
            backend,
            latency_ms: started.elapsed().as_secs_f64() * 1000.0,
        })
        .into_response(),
        outcome => {
            let reason = if outcome.is_err() {
                "timed out"
            } else {
                "failed"
            };
            tracing::warn!(backend, reason, "database health check failed");
            let body = ErrorBody {
                error: ErrorDetail {
                    code: "database_unavailable".into(),
                    message: format!("The {backend} database is not answering ({reason})."),
                    fields: Default::default(),
                    details: Some(serde_json::json!({ "backend": backend })),
                },
            };
            (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
        }
    }
}

/// The in-process cache is available.
#[utoipa::path(get, path = "/health/cache", tag = "operations",
    responses((status = 200, description = "The cache works", body = CacheHealth)))]
pub async fn cache(State(state): State<AppState>) -> Json<CacheHealth> {
    use app::server::shared::SharedHealth;
    let health = state.shared.health();
    Json(CacheHealth {
        status: if health == SharedHealth::Down {
            "degraded"
        } else {
            "ok"
        },
        kind: "in-process",
        shared: if health == SharedHealth::Local {
            "local"
        } else {
            "redis"
        },
        entries: state.catalog_cache.entry_count().await,
    })
}

/// Prometheus text exposition of request counts and latency histograms;
/// behind `STUDIO_METRICS_TOKEN` when it is set.
pub async fn metrics(
    state: AppState,
    headers: HeaderMap,
    token: Option<std::sync::Arc<[u8]>>,
) -> Response {
    if let Some(expected) = token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .unwrap_or("");
        if !app::server::tokens::constant_time_eq(given.as_bytes(), &expected) {
            let mut res = app::error::AppError::Unauthorized {
                code: "metrics_token_required".into(),
                message: "Send the metrics token as a bearer token.".into(),
            }
            .into_response();
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer realm=\"metrics\""),
            );
            return res;
        }
    }
    // Figures read at scrape time: whether the database answers, the
    // outbox's backlog (one indexed
    // query, bounded by the two-second guard) and the newest backup.
    let db_up = matches!(
        tokio::time::timeout(Duration::from_secs(2), state.store.ping()).await,
        Ok(Ok(()))
    );
    metrics::gauge!("studio_database_up").set(if db_up { 1.0 } else { 0.0 });
    if let Ok(Ok(b)) = tokio::time::timeout(
        Duration::from_secs(2),
        app::server::outbox::backlog(&state.store),
    )
    .await
    {
        metrics::gauge!("studio_outbox_backlog").set(b.backlog as f64);
        metrics::gauge!("studio_outbox_oldest_due_age_seconds")
            .set(b.oldest_due_age_seconds as f64);
        metrics::gauge!("studio_outbox_dead").set(b.dead as f64);
    }
    if let Some(plan) = &state.backups {
        if let Some(age) = app::server::backup::latest(&plan.dir).and_then(|t| t.elapsed().ok()) {
            metrics::gauge!("studio_backup_age_seconds").set(age.as_secs_f64());
        }
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        super::metrics_handle().render(),
    )
        .into_response()
}

/// The outbox: how many messages wait, how long the oldest due one has
/// waited, how many are dead. 503 once the oldest due message is older
/// than `STUDIO_OUTBOX_ALERT_AGE` seconds (deliveries are stuck).
#[utoipa::path(get, path = "/health/outbox", tag = "operations", responses(
    (status = 200, description = "Deliveries keep up", body = app::server::outbox::Backlog),
    (status = 503, description = "The oldest due message waits too long", body = app::server::outbox::Backlog)))]
pub async fn outbox(State(state): State<AppState>) -> Response {
    match app::server::outbox::backlog(&state.store).await {
        Ok(b) => {
            let status = if b.oldest_due_age_seconds > state.notifier.alert_after_secs {
                StatusCode::SERVICE_UNAVAILABLE
            } else {
                StatusCode::OK
            };
            (status, Json(b)).into_response()
        }
        Err(e) => e.into_response(),
    }
}
