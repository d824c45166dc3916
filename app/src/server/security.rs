//! Studio-wide security settings. For now: whether every employee must
//! use two-factor sign-in (the owner decides).

use super::{
    audit::{self, Entry},
    credentials::{actor_of, Origin, Principal},
    now_epoch,
    store::{with_pool, with_tx, Store},
};
use crate::{domain::Role, error::AppError};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SecuritySettings {
    /// Every employee must set up two-factor sign-in before anything else.
    pub require_mfa: bool,
}

pub async fn get(store: &Store) -> Result<SecuritySettings, AppError> {
    let require_mfa: bool = with_pool!(store, p => sqlx::query_scalar("SELECT require_mfa FROM studio_settings WHERE id = 1")
        .fetch_one(p)
        .await)?;
    Ok(SecuritySettings { require_mfa })
}

/// Changes the settings; the owner's decision, audited with before/after.
pub async fn set(
    store: &Store,
    me: &Principal,
    new: SecuritySettings,
    origin: &Origin,
) -> Result<SecuritySettings, AppError> {
    let who = actor_of(me, origin);
    if me.role != Role::Owner {
        let entry = Entry {
            action: "permission_denied",
            target_type: "settings",
            target_id: "security",
            details: serde_json::json!({ "attempted": "change_security_settings" }),
        };
        audit::record(store, &who, entry).await?;
        return Err(AppError::Forbidden);
    }
    let before = get(store).await?;
    let mut tx = store.begin().await?;
    with_tx!(tx, t => sqlx::query("UPDATE studio_settings SET require_mfa = $1, updated_at = $2 WHERE id = 1")
        .bind(new.require_mfa)
        .bind(now_epoch())
        .execute(&mut **t)
        .await
        .map(|r| r.rows_affected()))?;
    audit::append(
        &mut tx,
        &who,
        Entry {
            action: "settings_changed",
            target_type: "settings",
            target_id: "security",
            details: serde_json::json!({ "before": before, "after": new }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(new)
}
