//! One value kept in memory for a short while (moka): the studio's rules
//! and its public catalog are read on every guest request and change
//! rarely; writers invalidate, and the time to live bounds how stale another
//! instance's copy can be.

use crate::error::AppError;
use axum::body::Bytes;
use moka::future::Cache;
use std::{
    collections::HashMap,
    future::Future,
    sync::{Arc, OnceLock, RwLock},
    time::{Duration, Instant},
};

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
///
/// A map behind a read-write lock rather than moka: every answer is
/// checked against its generation and age on the way out anyway, and a
/// hit must cost as little as possible (it is most of a guest's requests).
/// moka records each read for its eviction policy (a channel send, a
/// frequency sketch, housekeeping run by readers): a few percent of a
/// cached answer's whole cost. Here a hit is a shared lock, a hash and a
/// clock read; at capacity, a new answer first drops the expired ones,
/// then the oldest.
#[derive(Clone)]
pub struct Generational<T: Send + Sync + 'static> {
    inner: Arc<RwLock<HashMap<String, Entry<T>>>>,
    capacity: usize,
    ttl: Duration,
}

struct Entry<T> {
    generation: u64,
    at: Instant,
    value: Arc<Kept<T>>,
}

/// A kept answer with its JSON, written the first time it is asked for:
/// the REST API sends the same bytes to every client that asks while the
/// answer is kept instead of serialising it again for each.
pub struct Kept<T> {
    value: T,
    json: OnceLock<Bytes>,
}

impl<T> Kept<T> {
    pub fn new(value: T) -> Self {
        Kept {
            value,
            json: OnceLock::new(),
        }
    }

    pub fn into_inner(self) -> T {
        self.value
    }
}

impl<T> std::ops::Deref for Kept<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: serde::Serialize> Kept<T> {
    /// The answer as JSON (a cheap clone of bytes written once).
    pub fn json(&self) -> Result<Bytes, AppError> {
        if let Some(bytes) = self.json.get() {
            return Ok(bytes.clone());
        }
        let bytes = Bytes::from(serde_json::to_vec(&self.value).map_err(|e| {
            tracing::error!(error = %e, "cannot write a kept answer as JSON");
            AppError::Internal
        })?);
        Ok(self.json.get_or_init(|| bytes).clone())
    }
}

impl<T: Send + Sync + 'static> Generational<T> {
    pub fn new(capacity: u64, ttl: Duration) -> Self {
        Generational {
            inner: Arc::default(),
            capacity: usize::try_from(capacity).unwrap_or(usize::MAX).max(1),
            ttl,
        }
    }

    /// The value kept for `key` if it was computed at `generation`, or the
    /// one `load` computes now (tagged with `generation`, which the caller
    /// read before `load` read the database: a commit racing the load
    /// leaves a tag that no longer matches). Errors are not kept.
    ///
    /// `load` makes its future only on a miss, and that future is boxed: a
    /// load that reads the database is a future of kilobytes, and held
    /// inline it would be copied with every move of every future around
    /// this one, on each hit too (a visible share of a cached request).
    pub async fn get_or_load<F, Fut>(
        &self,
        key: String,
        generation: u64,
        load: F,
    ) -> Result<Arc<Kept<T>>, AppError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, AppError>>,
    {
        if let Some(kept) = self.fresh(&key, generation) {
            return Ok(kept);
        }
        let value = Arc::new(Kept::new(Box::pin(load()).await?));
        self.keep(key, generation, value.clone());
        Ok(value)
    }

    fn fresh(&self, key: &str, generation: u64) -> Option<Arc<Kept<T>>> {
        let map = self.inner.read().unwrap_or_else(|e| e.into_inner());
        let entry = map.get(key)?;
        (entry.generation == generation && entry.at.elapsed() < self.ttl)
            .then(|| entry.value.clone())
    }

    fn keep(&self, key: String, generation: u64, value: Arc<Kept<T>>) {
        let now = Instant::now();
        let mut map = self.inner.write().unwrap_or_else(|e| e.into_inner());
        if map.len() >= self.capacity && !map.contains_key(&key) {
            map.retain(|_, e| now.saturating_duration_since(e.at) < self.ttl);
            if map.len() >= self.capacity {
                let oldest = map.iter().min_by_key(|(_, e)| e.at).map(|(k, _)| k.clone());
                if let Some(oldest) = oldest {
                    map.remove(&oldest);
                }
            }
        }
        map.insert(
            key,
            Entry {
                generation,
                at: now,
                value,
            },
        );
    }

    /// How many answers are held now (expired ones included until a new
    /// answer needs their room).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.inner.read().unwrap_or_else(|e| e.into_inner()).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Serialize)]
    struct Answer {
        day: &'static str,
        free: Vec<u32>,
    }

    #[tokio::test]
    async fn a_kept_answer_is_written_as_json_once_and_dropped_with_its_generation() {
        let cache = Generational::<Answer>::new(10, Duration::from_secs(60));
        let load = |free: Vec<u32>| async move {
            Ok(Answer {
                day: "2027-01-05",
                free,
            })
        };
        let kept = cache
            .get_or_load("a".into(), 1, || load(vec![9, 10]))
            .await
            .unwrap();
        let first = kept.json().unwrap();
        assert_eq!(&first[..], br#"{"day":"2027-01-05","free":[9,10]}"#);
        let again = cache
            .get_or_load("a".into(), 1, || load(vec![11]))
            .await
            .unwrap();
        assert!(
            Arc::ptr_eq(&kept, &again),
            "same generation: the kept answer"
        );
        assert_eq!(
            again.json().unwrap().as_ptr(),
            first.as_ptr(),
            "the same bytes, not written again"
        );
        let newer = cache
            .get_or_load("a".into(), 2, || load(vec![11]))
            .await
            .unwrap();
        assert_eq!(newer.free, vec![11], "a commit since: loaded again");
        assert_eq!(
            &newer.json().unwrap()[..],
            br#"{"day":"2027-01-05","free":[11]}"#
        );
    }

    async fn answer(free: u32) -> Result<Answer, AppError> {
        Ok(Answer {
            day: "2027-01-05",
            free: vec![free],
        })
    }

    /// What `cache` answers for `key`, loading `free` if nothing is kept.
    async fn free(cache: &Generational<Answer>, key: &str, free: u32) -> Vec<u32> {
        let kept = cache.get_or_load(key.into(), 1, || answer(free)).await;
        kept.unwrap().free.clone()
    }

    #[tokio::test]
    async fn a_kept_answer_expires_and_a_full_cache_drops_the_oldest() {
        let cache = Generational::<Answer>::new(2, Duration::from_secs(1));
        assert_eq!(free(&cache, "a", 1).await, vec![1]);
        tokio::time::sleep(Duration::from_millis(5)).await;
        assert_eq!(free(&cache, "b", 2).await, vec![2]);
        tokio::time::sleep(Duration::from_millis(5)).await;
        assert_eq!(free(&cache, "c", 3).await, vec![3]);
        assert_eq!(cache.len(), 2, "never more than the capacity");
        assert_eq!(
            free(&cache, "b", 20).await,
            vec![2],
            "b, younger than a: kept"
        );
        assert_eq!(
            free(&cache, "a", 10).await,
            vec![10],
            "a, the oldest, made room"
        );
        tokio::time::sleep(Duration::from_millis(1100)).await;
        assert_eq!(
            free(&cache, "c", 30).await,
            vec![30],
            "past its time to live"
        );
        assert_eq!(free(&cache, "d", 4).await, vec![4]);
        assert_eq!(cache.len(), 2, "expired answers made room first");
        let failed = cache
            .get_or_load("e".into(), 1, || async { Err(AppError::Internal) })
            .await;
        assert!(failed.is_err());
        assert_eq!(free(&cache, "e", 5).await, vec![5], "an error is not kept");
    }
}
