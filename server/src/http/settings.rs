//! Studio settings, spaces, equipment and promo codes (owners and admins;
//! the equipment list is readable by all staff).

use super::{
    auth::{origin, Staff},
    extract::{ApiBody, ApiJson, ApiQuery},
};
use app::{
    domain::settings::{
        EquipmentInput, EquipmentItem, PromoCode, PromoInput, SettingsUpdate, SpaceAdmin,
        SpaceInput, StudioSettings,
    },
    domain::studio::{Localized, Photo, StudioContacts},
    error::{AppError, ErrorBody},
    server::{
        images::{self, ImageTarget},
        settings, AppState,
    },
};
use axum::{
    extract::{ConnectInfo, Path, State},
    http::{HeaderMap, StatusCode},
    Json,
};
use std::net::SocketAddr;

/// The studio's rules: name, zone, hours, holidays, buffer, lengths, lead
/// time, horizon, cancellation window.
#[utoipa::path(get, path = "/api/v1/settings", tag = "settings", security(("bearer" = [])), responses(
    (status = 200, description = "The settings", body = StudioSettings),
    (status = 403, description = "Owners and admins only", body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Staff(me): Staff,
) -> Result<Json<StudioSettings>, AppError> {
    Ok(Json(settings::get(&state, &me).await?))
}

/// Saves the rules; availability follows at once.
#[utoipa::path(put, path = "/api/v1/settings", tag = "settings", security(("bearer" = [])),
    request_body = SettingsUpdate, responses(
    (status = 200, description = "Saved", body = StudioSettings),
    (status = 403, description = "Owners and admins only", body = ErrorBody),
    (status = 409, description = "`strands_bookings`: future bookings would fall outside the new hours; resend with `confirm`", body = ErrorBody),
    (status = 422, description = "Field errors", body = ErrorBody)))]
pub async fn put(
    State(state): State<AppState>,
    Staff(me): Staff,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<SettingsUpdate>,
) -> Result<Json<StudioSettings>, AppError> {
    Ok(Json(
        settings::update(&state, &me, &origin(addr, &headers), &req).await?,
    ))
}

/// How guests reach the studio: phone, messengers, e-mail, address and
/// directions in Russian and English, a map link.
#[utoipa::path(get, path = "/api/v1/settings/contacts", tag = "settings", security(("bearer" = [])), responses(
    (status = 200, description = "The contacts", body = StudioContacts),
    (status = 403, description = "Owners and admins only", body = ErrorBody)))]
pub async fn get_contacts(
    State(state): State<AppState>,
    Staff(me): Staff,
) -> Result<Json<StudioContacts>, AppError> {
    Ok(Json(settings::contacts(&state, &me).await?))
}

/// Saves the contacts (phones in any common spelling, stored E.164; a
/// Telegram name as `@name` or a `t.me` link); guest pages show them at once.
#[utoipa::path(put, path = "/api/v1/settings/contacts", tag = "settings", security(("bearer" = [])),
    request_body = StudioContacts, responses(
    (status = 200, description = "Saved, normalised", body = StudioContacts),
    (status = 403, description = "Owners and admins only", body = ErrorBody),
    (status = 422, description = "Field errors", body = ErrorBody)))]
pub async fn put_contacts(
    State(state): State<AppState>,
    Staff(me): Staff,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<StudioContacts>,
) -> Result<Json<StudioContacts>, AppError> {
    Ok(Json(
        settings::update_contacts(&state, &me, &origin(addr, &headers), &req).await?,
    ))
}

/// Every space, inactive ones too.
#[utoipa::path(get, path = "/api/v1/spaces", tag = "settings", security(("bearer" = [])), responses(
    (status = 200, description = "Spaces in display order", body = [SpaceAdmin]),
    (status = 403, description = "Owners and admins only", body = ErrorBody)))]
pub async fn list_spaces(
    State(state): State<AppState>,
    Staff(me): Staff,
) -> Result<Json<Vec<SpaceAdmin>>, AppError> {
    Ok(Json(settings::spaces(&state, &me).await?))
}

/// Adds a space.
#[utoipa::path(post, path = "/api/v1/spaces", tag = "settings", security(("bearer" = [])),
    request_body = SpaceInput, responses(
    (status = 201, description = "Added", body = SpaceAdmin),
    (status = 422, description = "Field errors, or `slug_taken`", body = ErrorBody)))]
pub async fn create_space(
    State(state): State<AppState>,
    Staff(me): Staff,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<SpaceInput>,
) -> Result<(StatusCode, Json<SpaceAdmin>), AppError> {
    let space = settings::save_space(&state, &me, &origin(addr, &headers), None, &req).await?;
    Ok((StatusCode::CREATED, Json(space)))
}

/// Changes a space (prices, capacity, order, or `active: false` to
/// take it off the website).
#[utoipa::path(put, path = "/api/v1/spaces/{id}", tag = "settings", security(("bearer" = [])),
    params(("id" = String, Path, description = "Space id")), request_body = SpaceInput, responses(
    (status = 200, description = "Changed", body = SpaceAdmin),
    (status = 404, description = "No such space", body = ErrorBody),
    (status = 422, description = "Field errors, or `slug_taken`", body = ErrorBody)))]
pub async fn update_space(
    State(state): State<AppState>,
    Staff(me): Staff,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<SpaceInput>,
) -> Result<Json<SpaceAdmin>, AppError> {
    Ok(Json(
        settings::save_space(&state, &me, &origin(addr, &headers), Some(&id), &req).await?,
    ))
}

/// Alt texts of an uploaded image.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AltText {
    /// What the photo shows, in Russian (at most 300 characters).
    #[serde(default)]
    pub alt_ru: String,
    /// The same in English.
    #[serde(default)]
    pub alt_en: String,
}

impl AltText {
    fn localized(self) -> Localized {
        Localized {
            ru: self.alt_ru,
            en: self.alt_en,
        }
    }
}

/// Adds a photo to a space's gallery. The body is the image itself
/// (`Content-Type: image/jpeg`, `image/png` or `image/webp`, at most 20 MB);
/// it is stored in several widths as WebP and JPEG.
#[utoipa::path(post, path = "/api/v1/spaces/{id}/photos", tag = "settings", security(("bearer" = [])),
    params(("id" = String, Path, description = "Space id"), AltText),
    request_body(content = Vec<u8>, content_type = "image/jpeg"), responses(
    (status = 201, description = "Added", body = Photo),
    (status = 403, description = "Owners and admins only", body = ErrorBody),
    (status = 404, description = "No such space", body = ErrorBody),
    (status = 422, description = "`invalid_image`, `image_too_large`, `file_too_large` or a too long alt text", body = ErrorBody)))]
pub async fn add_photo(
    State(state): State<AppState>,
    Staff(me): Staff,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(id): Path<String>,
    ApiQuery(alt): ApiQuery<AltText>,
    ApiBody(body): ApiBody,
) -> Result<(StatusCode, Json<Photo>), AppError> {
    let photo = images::add(
        &state,
        &me,
        &origin(addr, &headers),
        &ImageTarget::Space(id),
        &alt.localized(),
        body.to_vec(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(photo)))
}

/// Deletes a photo of a space (or the logo) with all its sizes.
#[utoipa::path(delete, path = "/api/v1/photos/{id}", tag = "settings", security(("bearer" = [])),
    params(("id" = String, Path, description = "Image id")), responses(
    (status = 204, description = "Deleted"),
    (status = 403, description = "Owners and admins only", body = ErrorBody),
    (status = 404, description = "No such image", body = ErrorBody)))]
pub async fn delete_photo(
    State(state): State<AppState>,
    Staff(me): Staff,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    images::remove(&state, &me, &origin(addr, &headers), &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sets the studio's logo shown in the guest pages' header (the body is
/// the image, as for photos); replaces the one before.
#[utoipa::path(put, path = "/api/v1/settings/logo", tag = "settings", security(("bearer" = [])),
    params(AltText), request_body(content = Vec<u8>, content_type = "image/png"), responses(
    (status = 200, description = "Set", body = Photo),
    (status = 403, description = "Owners and admins only", body = ErrorBody),
    (status = 422, description = "Not a usable image", body = ErrorBody)))]
pub async fn put_logo(
    State(state): State<AppState>,
    Staff(me): Staff,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiQuery(alt): ApiQuery<AltText>,
    ApiBody(body): ApiBody,
) -> Result<Json<Photo>, AppError> {
    Ok(Json(
        images::add(
            &state,
            &me,
            &origin(addr, &headers),
            &ImageTarget::Logo,
            &alt.localized(),
            body.to_vec(),
        )
        .await?,
    ))
}

/// Removes the logo (the studio's name stays in the header).
#[utoipa::path(delete, path = "/api/v1/settings/logo", tag = "settings", security(("bearer" = [])), responses(
    (status = 204, description = "Removed (or there was none)"),
    (status = 403, description = "Owners and admins only", body = ErrorBody)))]
pub async fn delete_logo(
    State(state): State<AppState>,
    Staff(me): Staff,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Result<StatusCode, AppError> {
    images::remove_logo(&state, &me, &origin(addr, &headers)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The equipment catalogue with stock.
#[utoipa::path(get, path = "/api/v1/equipment", tag = "settings", security(("bearer" = [])), responses(
    (status = 200, description = "The catalogue", body = [EquipmentItem])))]
pub async fn list_equipment(
    State(state): State<AppState>,
    Staff(_me): Staff,
) -> Result<Json<Vec<EquipmentItem>>, AppError> {
    Ok(Json(settings::equipment(&state).await?))
}

/// Adds an item to the catalogue.
#[utoipa::path(post, path = "/api/v1/equipment", tag = "settings", security(("bearer" = [])),
    request_body = EquipmentInput, responses(
    (status = 201, description = "Added", body = EquipmentItem),
    (status = 403, description = "Owners and admins only", body = ErrorBody),
    (status = 422, description = "Field errors", body = ErrorBody)))]
pub async fn create_equipment(
    State(state): State<AppState>,
    Staff(me): Staff,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<EquipmentInput>,
) -> Result<(StatusCode, Json<EquipmentItem>), AppError> {
    let item = settings::save_equipment(&state, &me, &origin(addr, &headers), None, &req).await?;
    Ok((StatusCode::CREATED, Json(item)))
}

/// Changes an item (price, stock, or `active: false`).
#[utoipa::path(put, path = "/api/v1/equipment/{id}", tag = "settings", security(("bearer" = [])),
    params(("id" = String, Path, description = "Equipment id")), request_body = EquipmentInput, responses(
    (status = 200, description = "Changed", body = EquipmentItem),
    (status = 404, description = "No such item", body = ErrorBody),
    (status = 422, description = "Field errors", body = ErrorBody)))]
pub async fn update_equipment(
    State(state): State<AppState>,
    Staff(me): Staff,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<EquipmentInput>,
) -> Result<Json<EquipmentItem>, AppError> {
    Ok(Json(
        settings::save_equipment(&state, &me, &origin(addr, &headers), Some(&id), &req).await?,
    ))
}

/// Every promo code with its use count.
#[utoipa::path(get, path = "/api/v1/promo-codes", tag = "settings", security(("bearer" = [])), responses(
    (status = 200, description = "Promo codes", body = [PromoCode]),
    (status = 403, description = "Owners and admins only", body = ErrorBody)))]
pub async fn list_promos(
    State(state): State<AppState>,
    Staff(me): Staff,
) -> Result<Json<Vec<PromoCode>>, AppError> {
    Ok(Json(settings::promo_codes(&state, &me).await?))
}

/// Creates a promo code, or changes the one with the same code.
#[utoipa::path(post, path = "/api/v1/promo-codes", tag = "settings", security(("bearer" = [])),
    request_body = PromoInput, responses(
    (status = 200, description = "Saved", body = PromoCode),
    (status = 403, description = "Owners and admins only", body = ErrorBody),
    (status = 422, description = "Field errors", body = ErrorBody)))]
pub async fn save_promo(
    State(state): State<AppState>,
    Staff(me): Staff,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<PromoInput>,
) -> Result<Json<PromoCode>, AppError> {
    Ok(Json(
        settings::save_promo(&state, &me, &origin(addr, &headers), &req).await?,
    ))
}
