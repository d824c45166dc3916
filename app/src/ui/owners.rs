//! Futures that load or render part of a page on the server keep the page's
//! reactive owners alive until they finish.
//!
//! Why: reactive_graph (0.2.16) looks a context up (`use_context`, which
//! every translated string does through [`super::locale::t`]) by walking
//! from the current owner to its parents. The walk holds the current
//! owner's read lock while it upgrades each parent's weak handle. If the
//! page is dropped on another thread meanwhile — a guest closes the
//! connection while the server is still rendering — the upgraded handle
//! can be the parent's last one: dropping it cleans up the parent's
//! children, the owner this thread holds locked among them, and the Tokio
//! worker waits on itself for ever (seen after a load test: a worker stuck
//! in `OwnerInner::drop` under `locale::current` inside a `Suspend`, and a
//! server that no longer stopped). Upstream has no fix yet.
//!
//! A future that holds a strong handle to every owner above the place it
//! was made cannot be where the last one goes: the page's owners are
//! released with the future, never in the middle of a look-up. In the
//! browser there is one thread and no such race; there the future is
//! returned as it is, so the WASM does not change.

use leptos::prelude::*;
use std::future::Future;

/// `Suspend::new` for a future that keeps the page's owners alive while it
/// runs. Every `Suspend` of the UI is made with this.
pub fn suspend<F>(fut: F) -> Suspend<F::Output>
where
    F: Future + Send + 'static,
{
    #[allow(clippy::disallowed_methods)] // the one place it is made
    Suspend::new(held(fut))
}

/// A resource's (or any page future's) work, keeping the owners above the
/// current one alive until it finishes.
#[cfg(feature = "ssr")]
pub fn held<F: Future>(fut: F) -> impl Future<Output = F::Output> {
    let owners = ancestry();
    async move {
        let out = fut.await;
        // Released here, by the future, with no owner's lock held.
        drop(owners);
        out
    }
}

#[cfg(not(feature = "ssr"))]
pub fn held<F: Future>(fut: F) -> F {
    fut
}

/// The current owner and all its ancestors, as strong handles. Each
/// `parent()` upgrades under the child's lock but hands the handle out, so
/// nothing is dropped while a lock is held.
#[cfg(feature = "ssr")]
fn ancestry() -> Vec<Owner> {
    let mut owners = Vec::new();
    let mut next = Owner::current();
    while let Some(owner) = next {
        next = owner.parent();
        owners.push(owner);
    }
    owners
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;
    use futures_util::FutureExt;

    #[derive(Clone, Debug, PartialEq)]
    struct Marker(u32);

    /// The condition for the deadlock is an ancestor whose last handle
    /// goes while a future below it still runs. With `held`, the page's
    /// context is still there for the future after the page let go.
    #[test]
    fn a_held_future_keeps_the_page_owners_until_it_finishes() {
        let page = Owner::new();
        page.with(|| provide_context(Marker(7)));
        let part = page.child();
        let fut = part.with(|| held(async { use_context::<Marker>() }));
        drop(page);
        let found = part.with(|| fut.now_or_never());
        assert_eq!(found, Some(Some(Marker(7))));
    }

    /// The same steps without `held` lose the page's context, so the test
    /// above is not true by construction.
    #[test]
    fn without_holding_the_page_owner_is_gone() {
        let page = Owner::new();
        page.with(|| provide_context(Marker(7)));
        let part = page.child();
        let fut = part.with(|| async { use_context::<Marker>() });
        drop(page);
        let found = part.with(|| fut.now_or_never());
        assert_eq!(found, Some(None));
    }
}
