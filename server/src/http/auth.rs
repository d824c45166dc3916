//! Staff sign-in over the REST API, and the extractor that every staff
//! endpoint uses to know who is asking.

use super::{extract::ApiJson, public::request_meta};
use app::{
    domain::employee::EmployeeProfile,
    error::{AppError, ErrorBody},
    server::{
        auth::{self, SessionInfo, TokenPair},
        credentials::{Origin, Principal},
        employees,
        mfa::{self, BackupCodes, MfaSetup},
        AppState,
    },
};
use axum::{
    extract::{ConnectInfo, FromRequestParts, Path, State},
    http::{header, request::Parts, HeaderMap, StatusCode},
    Json,
};
use serde::Deserialize;
use std::net::SocketAddr;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    /// Case-insensitive; surrounding spaces are ignored.
    pub username: String,
    pub password: String,
    /// The current authenticator code (six digits) or an unused backup
    /// code, once MFA is on.
    #[serde(default)]
    pub mfa_code: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

pub(crate) fn origin(addr: SocketAddr, headers: &HeaderMap) -> Origin {
    let meta = request_meta(addr, headers);
    Origin {
        ip: meta.ip,
        user_agent: meta.user_agent,
    }
}

/// Signs in with username and password.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest, responses(
    (status = 200, description = "Signed in", body = TokenPair),
    (status = 401, description = "`invalid_credentials` (the same for an unknown user and a wrong password)", body = ErrorBody),
    (status = 423, description = "`account_locked` after repeated failures; see Retry-After", body = ErrorBody),
    (status = 429, description = "Too many attempts from this address", body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Json<TokenPair>, AppError> {
    Ok(Json(
        auth::login(
            &state,
            &req.username,
            &req.password,
            req.mfa_code.as_deref(),
            &origin(addr, &headers),
        )
        .await?,
    ))
}

/// Exchanges a refresh token for a new pair; the old one is spent.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", request_body = RefreshRequest, responses(
    (status = 200, description = "New tokens", body = TokenPair),
    (status = 401, description = "`invalid_token`, `session_expired`, or `token_reused` (the whole session is ended)", body = ErrorBody)))]
pub async fn refresh(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<RefreshRequest>,
) -> Result<Json<TokenPair>, AppError> {
    Ok(Json(
        auth::refresh(&state, &req.refresh_token, &origin(addr, &headers)).await?,
    ))
}

/// Ends the session of a refresh token.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", request_body = RefreshRequest, responses(
    (status = 204, description = "Signed out")))]
pub async fn logout(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<RefreshRequest>,
) -> Result<StatusCode, AppError> {
    auth::logout(&state, &req.refresh_token, &origin(addr, &headers)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in employee's own profile.
#[utoipa::path(get, path = "/api/v1/employees/profile", tag = "employees", security(("bearer" = [])), responses(
    (status = 200, description = "The profile", body = EmployeeProfile),
    (status = 401, description = "Not signed in", body = ErrorBody)))]
pub async fn profile(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
) -> Result<Json<EmployeeProfile>, AppError> {
    Ok(Json(
        employees::profile(&state.store, &me.employee_id).await?,
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct PasswordChange {
    pub current_password: String,
    /// 12 to 128 characters, different from the current one; not one of
    /// the most common passwords, not a single repeated character, and not
    /// containing the username.
    #[schema(min_length = 12, max_length = 128)]
    pub new_password: String,
}

/// Changes your own password; your other sessions end.
#[utoipa::path(post, path = "/api/v1/auth/password", tag = "auth", security(("bearer" = [])), request_body = PasswordChange, responses(
    (status = 204, description = "Changed"),
    (status = 401, description = "Not signed in", body = ErrorBody),
    (status = 422, description = "Wrong current password or a new one the policy refuses", body = ErrorBody)))]
pub async fn change_password(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<PasswordChange>,
) -> Result<StatusCode, AppError> {
    auth::change_password(
        &state,
        &me,
        &req.current_password,
        &req.new_password,
        &origin(addr, &headers),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Your signed-in devices.
#[utoipa::path(get, path = "/api/v1/auth/sessions", tag = "auth", security(("bearer" = [])), responses(
    (status = 200, description = "Live sessions, newest first", body = [SessionInfo])))]
pub async fn sessions(
    State(state): State<AppState>,
    Staff(me): Staff,
) -> Result<Json<Vec<SessionInfo>>, AppError> {
    Ok(Json(
        auth::sessions(&state.store, &me.employee_id, &me.session_family).await?,
    ))
}

/// Ends one of your sessions.
#[utoipa::path(delete, path = "/api/v1/auth/sessions/{id}", tag = "auth", security(("bearer" = [])),
    params(("id" = String, Path, description = "Session id")), responses((status = 204, description = "Ended")))]
pub async fn revoke_session(
    State(state): State<AppState>,
    Staff(me): Staff,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    let who = app::server::credentials::actor_of(&me, &origin(addr, &headers));
    auth::revoke_sessions(&state.store, &who, &me.employee_id, Some(&id), None).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Ends all your sessions but this one.
#[utoipa::path(post, path = "/api/v1/auth/sessions/revoke-others", tag = "auth", security(("bearer" = [])),
    responses((status = 204, description = "Ended")))]
pub async fn revoke_other_sessions(
    State(state): State<AppState>,
    Staff(me): Staff,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Result<StatusCode, AppError> {
    let who = app::server::credentials::actor_of(&me, &origin(addr, &headers));
    auth::revoke_sessions(
        &state.store,
        &who,
        &me.employee_id,
        None,
        Some(&me.session_family),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The authenticated employee of a request (`Authorization: Bearer`), who
/// has a password of their own: a temporary one allows only changing it.
pub struct Staff(pub Principal);

impl FromRequestParts<AppState> for Staff {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Enrolling(me) = Enrolling::from_request_parts(parts, state).await?;
        if me.must_enrol_mfa {
            return Err(AppError::Conflict {
                code: "mfa_enrolment_required".into(),
                message: "The studio requires two-factor sign-in: set it up first.".into(),
                details: None,
            });
        }
        Ok(Staff(me))
    }
}

/// A signed-in employee with a password of their own, who may still have
/// to set up two-factor sign-in (for the set-up itself).
pub struct Enrolling(pub Principal);

impl FromRequestParts<AppState> for Enrolling {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let SignedIn(me) = SignedIn::from_request_parts(parts, state).await?;
        if me.must_change_password {
            return Err(AppError::Conflict {
                code: "password_change_required".into(),
                message: "Change the temporary password first.".into(),
                details: None,
            });
        }
        Ok(Enrolling(me))
    }
}

/// Any signed-in employee, even one who still has to change a temporary
/// password (for the profile and the password change itself).
pub struct SignedIn(pub Principal);

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty());
        if let Some(token) = bearer {
            return auth::authenticate(state, token).await.map(SignedIn);
        }
        // Links of the staff UI (such as the CSV export) carry the cookie
        // session; only for reads, so a cross-site form cannot use it.
        if parts.method == axum::http::Method::GET {
            if let Ok(me) = app::server::web_session::principal(state, parts).await {
                return Ok(SignedIn(me));
            }
        }
        Err(AppError::Unauthorized {
            code: "not_authenticated".into(),
            message: "Sign in to continue.".into(),
        })
    }
}

#[derive(Deserialize, ToSchema)]
pub struct MfaSetupRequest {
    /// The current password: changing MFA needs a fresh proof.
    pub password: String,
}

#[derive(Deserialize, ToSchema)]
pub struct MfaEnableRequest {
    /// The six-digit code the authenticator app shows now (surrounding
    /// spaces are ignored).
    #[schema(pattern = "^[0-9]{6}$")]
    pub code: String,
}

#[derive(Deserialize, ToSchema)]
pub struct MfaDisableRequest {
    /// The current password.
    pub password: String,
    /// The current authenticator code (six digits) or an unused backup
    /// code.
    pub code: String,
}

/// Starts two-factor enrolment: a secret, its otpauth URL and QR code.
#[utoipa::path(post, path = "/api/v1/auth/mfa/setup", tag = "auth", security(("bearer" = [])), request_body = MfaSetupRequest, responses(
    (status = 200, description = "Scan the QR code, then confirm a code", body = MfaSetup),
    (status = 409, description = "Already on", body = ErrorBody),
    (status = 422, description = "Wrong password", body = ErrorBody)))]
pub async fn mfa_setup(
    State(state): State<AppState>,
    Enrolling(me): Enrolling,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<MfaSetupRequest>,
) -> Result<Json<MfaSetup>, AppError> {
    Ok(Json(
        mfa::setup(&state, &me, &req.password, &origin(addr, &headers)).await?,
    ))
}

/// Confirms enrolment with a code; answers with ten single-use backup codes.
#[utoipa::path(post, path = "/api/v1/auth/mfa/enable", tag = "auth", security(("bearer" = [])), request_body = MfaEnableRequest, responses(
    (status = 200, description = "On; keep the backup codes safe", body = BackupCodes),
    (status = 422, description = "The code does not match", body = ErrorBody)))]
pub async fn mfa_enable(
    State(state): State<AppState>,
    Enrolling(me): Enrolling,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<MfaEnableRequest>,
) -> Result<Json<BackupCodes>, AppError> {
    Ok(Json(
        mfa::enable(&state, &me, &req.code, &origin(addr, &headers)).await?,
    ))
}

/// Switches two-factor sign-in off (password and a current code).
#[utoipa::path(post, path = "/api/v1/auth/mfa/disable", tag = "auth", security(("bearer" = [])), request_body = MfaDisableRequest, responses(
    (status = 204, description = "Off"),
    (status = 422, description = "Wrong password or code", body = ErrorBody)))]
pub async fn mfa_disable(
    State(state): State<AppState>,
    Staff(me): Staff,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<MfaDisableRequest>,
) -> Result<StatusCode, AppError> {
    mfa::disable(
        &state,
        &me,
        &req.password,
        &req.code,
        &origin(addr, &headers),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
