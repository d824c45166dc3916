//! One value kept in memory for a short while (moka): the studio's rules
//! and its public catalog are read on every guest request and change
//! rarely; writers invalidate, and the time to live bounds how stale another
//! instance's copy can be.

use crate::error::AppError;
use moka::future::Cache;
use std::{future::Future, sync::Arc, time::Duration};

#[derive(Clone)]
pub struct Cached<T: Send + Sync + 'static> {
    inner: Cache<(), Arc<T>>,
}

impl<T: Send + Sync + 'static> Default for Cached<T> {
    fn default() -> Self {
        Cached {
            inner: Cache::builder()
                .max_capacity(1)
                .time_to_live(Duration::from_secs(30))
                .build(),
        }
    }
}

impl<T: Send + Sync + 'static> Cached<T> {
    /// The cached value, or the one `load` produces (once, however many
    /// callers wait for it). Errors are not cached.
    pub async fn get_or_load(
        &self,
        load: impl Future<Output = Result<T, AppError>>,
    ) -> Result<Arc<T>, AppError> {
        self.inner
            .try_get_with((), async { load.await.map(Arc::new) })
            .await
            .map_err(|e: Arc<AppError>| (*e).clone())
    }

    pub fn invalidate(&self) {
        self.inner.invalidate_all();
    }

    /// How many values are held now (pending bookkeeping settled first).
    pub async fn entry_count(&self) -> u64 {
        self.inner.run_pending_tasks().await;
        self.inner.entry_count()
    }
}

/// Answers computed from the calendar (a day's free starts), kept by key
/// while nothing has been committed through the store since they were
/// computed (see [`super::store::Store::generation`]) and for at most
/// `ttl`: free starts also depend on the clock (a start that passed the
/// notice period is no longer offered), and another instance's change is
/// heard through the live feed a moment after it commits.
#[derive(Clone)]
pub struct Generational<T: Send + Sync + 'static> {
    inner: Cache<String, (u64, Arc<T>)>,
}

impl<T: Send + Sync + 'static> Generational<T> {
    pub fn new(capacity: u64, ttl: Duration) -> Self {
        Generational {
            inner: Cache::builder()
                .max_capacity(capacity)
                .time_to_live(ttl)
                .build(),
        }
    }

    /// The value kept for `key` if it was computed at `generation`, or the
    /// one `load` computes now (tagged with `generation`, which the caller
    /// read before `load` read the database: a commit racing the load
    /// leaves a tag that no longer matches). Errors are not kept.
    pub async fn get_or_load(
        &self,
        key: String,
        generation: u64,
        load: impl Future<Output = Result<T, AppError>>,
    ) -> Result<Arc<T>, AppError> {
        if let Some((tag, value)) = self.inner.get(&key).await {
            if tag == generation {
                return Ok(value);
            }
        }
        let value = Arc::new(load.await?);
        self.inner.insert(key, (generation, value.clone())).await;
        Ok(value)
    }
}
