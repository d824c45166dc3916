//! Staff accounts. For now: creating the first owner (CLI `create-owner`);
//! the staff-accounts issue adds login, sessions and management.

use super::{
    credentials::hash_password,
    events::{self, NewEvent},
    now_epoch,
    store::{is_unique_violation, with_pool, with_tx, Store},
};
use crate::{
    domain::{employee::EmployeeProfile, Email, FullName, Password, Role, Username},
    error::{AppError, FieldError},
};
use std::collections::BTreeMap;

/// Input for a new employee, as typed.
pub struct NewEmployeeInput<'a> {
    pub username: &'a str,
    pub email: &'a str,
    pub full_name: &'a str,
    pub password: &'a str,
}

/// The employee's own profile.
pub async fn profile(store: &Store, employee_id: &str) -> Result<EmployeeProfile, AppError> {
    type Row = (String, String, String, String, String, bool, bool, bool);
    let row: Option<Row> = with_pool!(store, p => sqlx::query_as(
        "SELECT e.id, e.username, e.full_name, e.email, e.role, e.mfa_enabled, e.must_change_password, s.require_mfa \
         FROM employees e CROSS JOIN studio_settings s WHERE e.id = $1 AND s.id = 1"
    )
    .bind(employee_id)
    .fetch_optional(p)
    .await)?;
    let (id, username, full_name, email, role, mfa_enabled, must_change_password, require_mfa) =
        row.ok_or_else(|| AppError::not_found("employee"))?;
    Ok(EmployeeProfile {
        id,
        username,
        full_name,
        email,
        role: Role::parse(&role).ok_or(AppError::Internal)?,
        mfa_enabled,
        must_change_password,
        must_enrol_mfa: require_mfa && !mfa_enabled,
    })
}

/// Creates the studio's first owner. Refused once an active owner exists:
/// further staff are added by an owner from the staff UI.
#[tracing::instrument(skip_all)]
pub async fn create_owner(store: &Store, input: NewEmployeeInput<'_>) -> Result<String, AppError> {
    create_owner_via(store, input, BTreeMap::new(), Via::CommandLine).await
}

/// Where the first owner was created, for the audit log and the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Via {
    CommandLine,
    SetupPage,
}

/// [`create_owner`], with field errors the caller found already (they are
/// answered together with the input's own).
pub(crate) async fn create_owner_via(
    store: &Store,
    input: NewEmployeeInput<'_>,
    mut fields: BTreeMap<String, FieldError>,
    via: Via,
) -> Result<String, AppError> {
    let (actor_name, via_tag) = match via {
        Via::CommandLine => ("command line", "cli"),
        Via::SetupPage => ("setup page", "setup"),
    };
    let username = Username::parse(input.username)
        .map_err(|e| fields.insert("username".into(), e))
        .ok();
    let email = Email::parse(input.email)
        .map_err(|e| fields.insert("email".into(), e))
        .ok();
    let full_name = FullName::parse(input.full_name)
        .map_err(|e| fields.insert("full_name".into(), e))
        .ok();
    let password = Password::parse(input.password, input.username)
        .map_err(|e| fields.insert("password".into(), FieldError::new(e.code(), e.message())))
        .ok();
    let (Some(username), Some(email), Some(full_name), Some(password)) =
        (username, email, full_name, password)
    else {
        return Err(AppError::Validation { fields });
    };
    if !fields.is_empty() {
        return Err(AppError::Validation { fields });
    }
    let hash = hash_password(&password).await?;

    let mut tx = store.begin().await?;
    let owners: i64 = with_tx!(tx, c => sqlx::query_scalar(
        "SELECT COUNT(*) FROM employees WHERE role = 'owner' AND active = TRUE"
    )
    .fetch_one(&mut **c)
    .await)?;
    if owners > 0 {
        return Err(AppError::Conflict {
            code: "owner_exists".into(),
            message: "The studio already has an owner; add staff from the employees page.".into(),
            details: None,
        });
    }
    let id = uuid::Uuid::new_v4().to_string();
    let now = now_epoch();
    let inserted = with_tx!(tx, c => sqlx::query(
        "INSERT INTO employees (id, username, email, full_name, role, active, password_hash, \
         password_changed_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, TRUE, $6, $7, $7, $7)"
    )
    .bind(&id)
    .bind(username.as_str())
    .bind(email.as_str())
    .bind(full_name.as_str())
    .bind(Role::Owner.as_str())
    .bind(&hash)
    .bind(now)
    .execute(&mut **c)
    .await
    .map(|r| r.rows_affected()));
    match inserted {
        Ok(_) => {}
        Err(e) if is_unique_violation(&e) => {
            return Err(AppError::field(
                "username",
                FieldError::new("username_taken", "This username is already taken."),
            ))
        }
        Err(e) => return Err(e.into()),
    }
    super::audit::append(
        &mut tx,
        &super::audit::Actor { name: actor_name.into(), ..Default::default() },
        super::audit::Entry {
            action: "employee_created",
            target_type: "employee",
            target_id: &id,
            details: serde_json::json!({ "after": { "username": username.as_str(), "role": Role::Owner.as_str() } }),
        },
    )
    .await?;
    events::record(
        &mut tx,
        NewEvent {
            event_type: "EmployeeCreated",
            aggregate_type: "employee",
            aggregate_id: &id,
            payload: &serde_json::json!({ "role": Role::Owner.as_str(), "via": via_tag }),
            actor: None,
        },
    )
    .await?;
    tx.commit().await?;
    tracing::info!(employee_id = %id, "owner account created");
    Ok(id)
}

// ---------- management by owners and admins ----------

use super::{
    audit::{Actor, Entry},
    credentials::{actor_of, Origin, Principal},
};
use crate::domain::employee::{EmployeeSummary, EmployeeUpdate, NewEmployee, TemporaryPassword};

#[derive(sqlx::FromRow)]
struct SummaryRow {
    id: String,
    username: String,
    full_name: String,
    email: String,
    phone: Option<String>,
    position: Option<String>,
    department: Option<String>,
    role: String,
    active: bool,
    last_login_at: Option<i64>,
}

impl SummaryRow {
    fn into_summary(self) -> Result<EmployeeSummary, AppError> {
        Ok(EmployeeSummary {
            role: Role::parse(&self.role).ok_or(AppError::Internal)?,
            id: self.id,
            username: self.username,
            full_name: self.full_name,
            email: self.email,
            phone: self.phone,
            position: self.position,
            department: self.department,
            active: self.active,
            last_login_at: self.last_login_at,
        })
    }
}

const SUMMARY_COLUMNS: &str =
    "id, username, full_name, email, phone, position, department, role, active, last_login_at";

/// Refuses, and records the refusal in the audit log.
async fn deny(store: &Store, who: &Actor, action: &str, target_id: &str) -> AppError {
    let entry = Entry {
        action: "permission_denied",
        target_type: "employee",
        target_id,
        details: serde_json::json!({ "attempted": action }),
    };
    if let Err(e) = super::audit::record(store, who, entry).await {
        return e;
    }
    AppError::Forbidden
}

async fn summary(store: &Store, id: &str) -> Result<Option<EmployeeSummary>, AppError> {
    let sql = format!("SELECT {SUMMARY_COLUMNS} FROM employees WHERE id = $1");
    let row: Option<SummaryRow> =
        with_pool!(store, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await)?;
    row.map(SummaryRow::into_summary).transpose()
}

/// Every employee, for owners and admins.
pub async fn list(
    store: &Store,
    me: &Principal,
    origin: &Origin,
) -> Result<Vec<EmployeeSummary>, AppError> {
    if !me.role.manages_staff() {
        return Err(deny(store, &actor_of(me, origin), "list_employees", "").await);
    }
    let sql = format!("SELECT {SUMMARY_COLUMNS} FROM employees ORDER BY active DESC, full_name");
    let rows: Vec<SummaryRow> = with_pool!(store, p => sqlx::query_as(&sql).fetch_all(p).await)?;
    rows.into_iter().map(SummaryRow::into_summary).collect()
}

/// One employee: yourself, or someone your role may manage.
pub async fn get(
    store: &Store,
    me: &Principal,
    id: &str,
    origin: &Origin,
) -> Result<EmployeeSummary, AppError> {
    if id != me.employee_id && !me.role.manages_staff() {
        return Err(deny(store, &actor_of(me, origin), "view_employee", id).await);
    }
    let target = summary(store, id)
        .await?
        .ok_or_else(|| AppError::not_found("employee"))?;
    if id != me.employee_id && !me.role.can_manage(target.role) {
        return Err(deny(store, &actor_of(me, origin), "view_employee", id).await);
    }
    Ok(target)
}

/// A password of 16 characters from an alphabet without look-alikes, to be
/// handed over once and changed at the first sign-in.
fn temporary_password() -> Result<Password, AppError> {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    let raw: String = (0..16)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect();
    Password::parse(&raw, "").map_err(|_| AppError::Internal)
}

async fn revoke_sessions(tx: &mut super::store::Tx, employee_id: &str) -> Result<(), AppError> {
    with_tx!(tx, t => sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE employee_id = $2 AND revoked_at IS NULL")
        .bind(now_epoch())
        .bind(employee_id)
        .execute(&mut **t)
        .await
        .map(|r| r.rows_affected()))?;
    events::access_changed(tx, employee_id, "sessions_revoked").await?;
    Ok(())
}

/// Adds an employee of a role below the creator's (any role for the owner)
/// with a one-time password.
pub async fn create(
    store: &Store,
    me: &Principal,
    input: &NewEmployee,
    origin: &Origin,
) -> Result<TemporaryPassword, AppError> {
    let who = actor_of(me, origin);
    if !me.role.manages_staff()
        || !me.role.can_manage(input.role)
        || (input.role == Role::Owner && me.role != Role::Owner)
    {
        return Err(deny(store, &who, "create_employee", "").await);
    }
    let mut fields = crate::domain::employee::check_details(
        input.phone.as_deref(),
        input.position.as_deref(),
        input.department.as_deref(),
    );
    let username = Username::parse(&input.username)
        .map_err(|e| fields.insert("username".into(), e))
        .ok();
    let email = Email::parse(&input.email)
        .map_err(|e| fields.insert("email".into(), e))
        .ok();
    let full_name = FullName::parse(&input.full_name)
        .map_err(|e| fields.insert("full_name".into(), e))
        .ok();
    let (Some(username), Some(email), Some(full_name), true) =
        (username, email, full_name, fields.is_empty())
    else {
        return Err(AppError::Validation { fields });
    };
    let password = temporary_password()?;
    let hash = hash_password(&password).await?;
    let id = uuid::Uuid::new_v4().to_string();
    let now = now_epoch();
    let mut tx = store.begin().await?;
    let inserted = with_tx!(tx, t => sqlx::query(
        "INSERT INTO employees (id, username, email, full_name, phone, position, department, role, active, password_hash, \
         must_change_password, password_changed_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, TRUE, $9, TRUE, $10, $10, $10)"
    )
    .bind(&id)
    .bind(username.as_str())
    .bind(email.as_str())
    .bind(full_name.as_str())
    .bind(&input.phone)
    .bind(&input.position)
    .bind(&input.department)
    .bind(input.role.as_str())
    .bind(&hash)
    .bind(now)
    .execute(&mut **t)
    .await
    .map(|r| r.rows_affected()));
    match inserted {
        Ok(_) => {}
        Err(e) if is_unique_violation(&e) => {
            return Err(AppError::field(
                "username",
                FieldError::new("username_taken", "This username is already taken."),
            ))
        }
        Err(e) => return Err(e.into()),
    }
    let created = EmployeeSummary {
        id: id.clone(),
        username: username.as_str().to_owned(),
        full_name: full_name.as_str().to_owned(),
        email: email.as_str().to_owned(),
        phone: input.phone.clone(),
        position: input.position.clone(),
        department: input.department.clone(),
        role: input.role,
        active: true,
        last_login_at: None,
    };
    super::audit::append(
        &mut tx,
        &who,
        Entry {
            action: "employee_created",
            target_type: "employee",
            target_id: &id,
            details: serde_json::json!({ "after": created }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(TemporaryPassword {
        employee: created,
        temporary_password: password.expose().to_owned(),
    })
}

/// Edits an employee. Everyone may edit their own name and contacts; role,
/// status and work details need a role above the target's (the owner for
/// owners). The last active owner can be neither demoted nor disabled. A
/// role change or disabling ends the employee's sessions at once.
pub async fn update(
    store: &Store,
    me: &Principal,
    id: &str,
    change: &EmployeeUpdate,
    origin: &Origin,
) -> Result<EmployeeSummary, AppError> {
    let who = actor_of(me, origin);
    let privileged = change.role.is_some()
        || change.active.is_some()
        || change.position.is_some()
        || change.department.is_some();
    if id != me.employee_id && !me.role.manages_staff() {
        return Err(deny(store, &who, "update_employee", id).await);
    }
    let before = summary(store, id)
        .await?
        .ok_or_else(|| AppError::not_found("employee"))?;
    let may_manage =
        me.role.can_manage(before.role) && (id != me.employee_id || me.role == Role::Owner);
    if (id != me.employee_id || privileged) && !may_manage {
        return Err(deny(store, &who, "update_employee", id).await);
    }
    if let Some(role) = change.role {
        if (role == Role::Owner && me.role != Role::Owner) || !me.role.can_manage(role) {
            return Err(deny(store, &who, "assign_role", id).await);
        }
    }
    let mut fields = crate::domain::employee::check_details(
        change.phone.as_deref(),
        change.position.as_deref(),
        change.department.as_deref(),
    );
    let full_name = match &change.full_name {
        Some(n) => FullName::parse(n)
            .map_err(|e| fields.insert("full_name".into(), e))
            .ok()
            .map(|n| n.as_str().to_owned()),
        None => Some(before.full_name.clone()),
    };
    let email = match &change.email {
        Some(e) => Email::parse(e)
            .map_err(|e| fields.insert("email".into(), e))
            .ok()
            .map(|e| e.as_str().to_owned()),
        None => Some(before.email.clone()),
    };
    let (Some(full_name), Some(email), true) = (full_name, email, fields.is_empty()) else {
        return Err(AppError::Validation { fields });
    };
    let after = EmployeeSummary {
        full_name,
        email,
        phone: change.phone.clone().or(before.phone.clone()),
        position: change.position.clone().or(before.position.clone()),
        department: change.department.clone().or(before.department.clone()),
        role: change.role.unwrap_or(before.role),
        active: change.active.unwrap_or(before.active),
        ..before.clone()
    };
    let mut tx = store.begin().await?;
    tx.lock_employees().await?;
    // Under the lock, the actor's own role is read again: a concurrent
    // change may have demoted them since the request was authenticated.
    let current: Option<(String, bool)> = with_tx!(tx, t => sqlx::query_as(
        "SELECT role, active FROM employees WHERE id = $1"
    )
    .bind(&me.employee_id)
    .fetch_optional(&mut **t)
    .await)?;
    if current != Some((me.role.as_str().to_owned(), true)) {
        drop(tx);
        return Err(deny(store, &who, "update_employee", id).await);
    }
    let losing_owner =
        before.role == Role::Owner && before.active && (after.role != Role::Owner || !after.active);
    if losing_owner {
        let owners: i64 = with_tx!(tx, t => sqlx::query_scalar(
            "SELECT COUNT(*) FROM employees WHERE role = 'owner' AND active = TRUE"
        )
        .fetch_one(&mut **t)
        .await)?;
        if owners <= 1 {
            return Err(AppError::Conflict {
                code: "last_owner".into(),
                message: "The studio needs at least one active owner.".into(),
                details: None,
            });
        }
    }
    with_tx!(tx, t => sqlx::query(
        "UPDATE employees SET full_name = $1, email = $2, phone = $3, position = $4, department = $5, role = $6, \
         active = $7, updated_at = $8 WHERE id = $9"
    )
    .bind(&after.full_name)
    .bind(&after.email)
    .bind(&after.phone)
    .bind(&after.position)
    .bind(&after.department)
    .bind(after.role.as_str())
    .bind(after.active)
    .bind(now_epoch())
    .bind(id)
    .execute(&mut **t)
    .await
    .map(|r| r.rows_affected()))?;
    if after.role != before.role || !after.active {
        revoke_sessions(&mut tx, id).await?;
    }
    super::audit::append(
        &mut tx,
        &who,
        Entry {
            action: "employee_updated",
            target_type: "employee",
            target_id: id,
            details: serde_json::json!({ "before": before, "after": after }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Gives an employee a one-time password and ends their sessions.
pub async fn reset_password(
    store: &Store,
    me: &Principal,
    id: &str,
    origin: &Origin,
) -> Result<TemporaryPassword, AppError> {
    let who = actor_of(me, origin);
    if !me.role.manages_staff() {
        return Err(deny(store, &who, "reset_password", id).await);
    }
    let target = summary(store, id)
        .await?
        .ok_or_else(|| AppError::not_found("employee"))?;
    if !me.role.can_manage(target.role) {
        return Err(deny(store, &who, "reset_password", id).await);
    }
    let password = temporary_password()?;
    let hash = hash_password(&password).await?;
    let mut tx = store.begin().await?;
    with_tx!(tx, t => sqlx::query(
        "UPDATE employees SET password_hash = $1, must_change_password = TRUE, password_changed_at = $2, \
         failed_logins = 0, locked_until = NULL, updated_at = $2 WHERE id = $3"
    )
    .bind(&hash)
    .bind(now_epoch())
    .bind(id)
    .execute(&mut **t)
    .await
    .map(|r| r.rows_affected()))?;
    revoke_sessions(&mut tx, id).await?;
    super::audit::append(
        &mut tx,
        &who,
        Entry {
            action: "password_reset",
            target_type: "employee",
            target_id: id,
            details: serde_json::json!({}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(TemporaryPassword {
        employee: target,
        temporary_password: password.expose().to_owned(),
    })
}

/// Ends every session of an employee your role may manage.
pub async fn revoke_employee_sessions(
    store: &Store,
    me: &Principal,
    id: &str,
    origin: &Origin,
) -> Result<u64, AppError> {
    let who = actor_of(me, origin);
    if !me.role.manages_staff() {
        return Err(deny(store, &who, "revoke_sessions", id).await);
    }
    let target = summary(store, id)
        .await?
        .ok_or_else(|| AppError::not_found("employee"))?;
    if !me.role.can_manage(target.role) {
        return Err(deny(store, &who, "revoke_sessions", id).await);
    }
    super::auth::revoke_sessions(store, &who, id, None, None).await
}
