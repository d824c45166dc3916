//! Photos of the spaces and the studio's logo. An upload (JPEG, PNG or
//! WebP, at most [`MAX_UPLOAD_BYTES`]) is decoded, turned upright by its
//! EXIF orientation, and stored in the widths pages ask for as WebP and
//! JPEG (never wider than the upload); the original is not kept. Files are
//! in the database (`image_files`), so backups and a second instance have
//! them too, and are served under `/media/{id}/{width}.webp|jpg` with a
//! year-long immutable cache: an image's id changes with its content.

use super::{
    credentials::{Origin, Principal},
    now_epoch,
    settings::{invalidate, record, require_admin},
    store::{with_pool, with_tx, Store},
    AppState,
};
use crate::{
    domain::studio::{Localized, Photo, IMAGE_WIDTHS, LOGO_WIDTHS},
    error::{AppError, FieldError},
};
use serde_json::json;
use std::collections::{BTreeMap, HashMap};

/// Largest upload accepted, in bytes (a phone's full-size photo fits).
pub const MAX_UPLOAD_BYTES: usize = 20 * 1024 * 1024;
/// Largest side of an upload, in pixels: larger ones are refused before
/// they are decoded (a small file can declare a huge image).
const MAX_SIDE: u32 = 12_000;
/// Longest alt text, per language.
const ALT_MAX: usize = 300;
const JPEG_QUALITY: u8 = 82;
const WEBP_QUALITY: f32 = 78.0;

/// What an upload is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageTarget {
    /// A photo of the space with this id, added to its gallery.
    Space(String),
    /// The studio's logo, replacing the one before.
    Logo,
}

/// One stored size.
struct File {
    width: u32,
    format: &'static str,
    bytes: Vec<u8>,
}

/// An upload ready to store: its sizes and the largest one's dimensions.
struct Prepared {
    width: u32,
    height: u32,
    files: Vec<File>,
}

fn not_an_image() -> AppError {
    AppError::field(
        "file",
        FieldError::new("invalid_image", "A JPEG, PNG or WebP image."),
    )
}

/// The widths to store for an image `original` pixels wide: those of
/// `widths` it can fill, and the original width in their place when it is
/// narrower than the next one (an image is never enlarged).
fn targets(original: u32, widths: &[u32]) -> Vec<u32> {
    let mut out: Vec<u32> = widths.iter().copied().filter(|w| *w <= original).collect();
    let largest = widths.iter().copied().max().unwrap_or(original);
    if original < largest && !out.contains(&original) {
        out.push(original);
    }
    out.sort_unstable();
    out
}

/// Decodes, turns upright and resizes an upload; CPU-bound, run on the
/// blocking pool.
fn prepare(bytes: &[u8], widths: &[u32]) -> Result<Prepared, AppError> {
    use image::{
        codecs::jpeg::JpegEncoder, imageops::FilterType, DynamicImage, ImageDecoder, ImageFormat,
        ImageReader, Limits,
    };
    let reader = ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| not_an_image())?;
    if !matches!(
        reader.format(),
        Some(ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP)
    ) {
        return Err(not_an_image());
    }
    let (w, h) = reader.into_dimensions().map_err(|_| not_an_image())?;
    if w > MAX_SIDE || h > MAX_SIDE {
        return Err(AppError::field(
            "file",
            FieldError::new(
                "image_too_large",
                format!("At most {MAX_SIDE} pixels on a side."),
            ),
        ));
    }
    let mut reader = ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| not_an_image())?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|_| not_an_image())?;
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(|_| not_an_image())?;
    img.apply_orientation(orientation);
    let alpha = img.color().has_alpha();
    let sizes = targets(img.width(), widths);
    let mut files = Vec::with_capacity(sizes.len() * 2);
    let (mut width, mut height) = (img.width(), img.height());
    // Largest first, each smaller size from the one before: quicker than
    // every size from the full upload, and as sharp at these ratios.
    let mut source = img;
    for &target in sizes.iter().rev() {
        let (sw, sh) = (u64::from(source.width().max(1)), u64::from(source.height()));
        let target_h = u32::try_from((u64::from(target) * sh + sw / 2) / sw)
            .unwrap_or(1)
            .max(1);
        let sized = if target == source.width() {
            source.clone()
        } else {
            source.resize_exact(target, target_h, FilterType::CatmullRom)
        };
        if target == *sizes.last().unwrap_or(&target) {
            (width, height) = (sized.width(), sized.height());
        }
        // JPEG has no transparency: a transparent logo is laid on white.
        let rgb = if alpha {
            let rgba = sized.to_rgba8();
            let mut flat = image::RgbImage::new(rgba.width(), rgba.height());
            for (out, px) in flat.pixels_mut().zip(rgba.pixels()) {
                let a = u16::from(px[3]);
                for c in 0..3 {
                    let v = (u16::from(px[c]) * a + 255 * (255 - a)) / 255;
                    out[c] = u8::try_from(v).unwrap_or(255);
                }
            }
            flat
        } else {
            sized.to_rgb8()
        };
        let mut jpeg = Vec::new();
        JpegEncoder::new_with_quality(&mut jpeg, JPEG_QUALITY)
            .encode_image(&rgb)
            .map_err(|e| {
                tracing::error!(error = %e, "a JPEG could not be written");
                AppError::Internal
            })?;
        let webp = if alpha {
            let rgba = sized.to_rgba8();
            webp::Encoder::from_rgba(&rgba, rgba.width(), rgba.height())
                .encode_simple(false, WEBP_QUALITY)
                .map(|m| m.to_vec())
        } else {
            webp::Encoder::from_rgb(&rgb, rgb.width(), rgb.height())
                .encode_simple(false, WEBP_QUALITY)
                .map(|m| m.to_vec())
        }
        .map_err(|e| {
            tracing::error!(error = ?e, "a WebP could not be written");
            AppError::Internal
        })?;
        files.push(File {
            width: target,
            format: "jpeg",
            bytes: jpeg,
        });
        files.push(File {
            width: target,
            format: "webp",
            bytes: webp,
        });
        source = sized;
    }
    Ok(Prepared {
        width,
        height,
        files,
    })
}

fn alt_checked(alt: &Localized) -> Result<Localized, AppError> {
    let mut errors = BTreeMap::new();
    let alt = alt.checked("alt", ALT_MAX, &mut errors);
    if errors.is_empty() {
        Ok(alt)
    } else {
        Err(AppError::Validation { fields: errors })
    }
}

/// Stores an upload for `target`: a space's new photo (last in its
/// gallery) or the studio's logo (the old one goes). Owners and admins.
pub async fn add(
    state: &AppState,
    me: &Principal,
    origin: &Origin,
    target: &ImageTarget,
    alt: &Localized,
    bytes: Vec<u8>,
) -> Result<Photo, AppError> {
    require_admin(me)?;
    let alt = alt_checked(alt)?;
    if bytes.is_empty() {
        return Err(AppError::field(
            "file",
            FieldError::new("required", "Choose an image."),
        ));
    }
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(too_big());
    }
    if let ImageTarget::Space(space) = target {
        let exists: Option<(String,)> = with_pool!(&state.store, p => sqlx::query_as(
            "SELECT id FROM spaces WHERE id = $1"
        )
        .bind(space)
        .fetch_optional(p)
        .await)?;
        if exists.is_none() {
            return Err(AppError::not_found("space"));
        }
    }
    let widths: Vec<u32> = match target {
        ImageTarget::Space(_) => IMAGE_WIDTHS.to_vec(),
        ImageTarget::Logo => LOGO_WIDTHS.to_vec(),
    };
    let prepared = tokio::task::spawn_blocking(move || prepare(&bytes, &widths))
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "image preparation failed");
            AppError::Internal
        })??;
    let id = uuid::Uuid::new_v4().simple().to_string();
    let alt_json = serde_json::to_string(&alt).map_err(|_| AppError::Internal)?;
    let mut tx = state.store.begin().await?;
    let (kind, space_id, action) = match target {
        ImageTarget::Space(s) => ("space", Some(s.as_str()), "photo_added"),
        ImageTarget::Logo => ("logo", None, "logo_changed"),
    };
    if *target == ImageTarget::Logo {
        with_tx!(tx, t => sqlx::query(
            "DELETE FROM image_files WHERE image_id IN (SELECT id FROM images WHERE kind = 'logo')"
        )
        .execute(&mut **t)
        .await
        .map(|_| ()))?;
        with_tx!(tx, t => sqlx::query("DELETE FROM images WHERE kind = 'logo'")
            .execute(&mut **t)
            .await
            .map(|_| ()))?;
    }
    with_tx!(tx, t => sqlx::query(
        "INSERT INTO images (id, kind, space_id, alt, width, height, sort_order, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, \
                 (SELECT COALESCE(MAX(sort_order), 0) + 1 FROM images WHERE kind = $2), $7)"
    )
    .bind(&id)
    .bind(kind)
    .bind(space_id)
    .bind(&alt_json)
    .bind(i32::try_from(prepared.width).unwrap_or(i32::MAX))
    .bind(i32::try_from(prepared.height).unwrap_or(i32::MAX))
    .bind(now_epoch())
    .execute(&mut **t)
    .await
    .map(|_| ()))?;
    for f in &prepared.files {
        with_tx!(tx, t => sqlx::query(
            "INSERT INTO image_files (image_id, width, format, bytes) VALUES ($1, $2, $3, $4)"
        )
        .bind(&id)
        .bind(i32::try_from(f.width).unwrap_or(i32::MAX))
        .bind(f.format)
        .bind(&f.bytes)
        .execute(&mut **t)
        .await
        .map(|_| ()))?;
    }
    record(
        &mut tx,
        me,
        origin,
        action,
        if space_id.is_some() {
            "space"
        } else {
            "settings"
        },
        space_id.unwrap_or("logo"),
        json!({ "image": id, "width": prepared.width, "height": prepared.height }),
    )
    .await?;
    tx.commit().await?;
    invalidate(state);
    let mut widths: Vec<u32> = prepared.files.iter().map(|f| f.width).collect();
    widths.sort_unstable();
    widths.dedup();
    Ok(Photo {
        id,
        alt,
        width: prepared.width,
        height: prepared.height,
        widths,
    })
}

/// The refusal of an image over [`MAX_UPLOAD_BYTES`] (also when the HTTP
/// layer stops reading the body at that limit).
pub fn too_big() -> AppError {
    AppError::field(
        "file",
        FieldError::new(
            "file_too_large",
            format!("At most {} MB.", MAX_UPLOAD_BYTES / (1024 * 1024)),
        ),
    )
}

/// Removes a photo or the logo and its files. Owners and admins.
pub async fn remove(
    state: &AppState,
    me: &Principal,
    origin: &Origin,
    id: &str,
) -> Result<(), AppError> {
    require_admin(me)?;
    let mut tx = state.store.begin().await?;
    let found: Option<(String, Option<String>)> = with_tx!(tx, t => sqlx::query_as(
        "SELECT kind, space_id FROM images WHERE id = $1"
    )
    .bind(id)
    .fetch_optional(&mut **t)
    .await)?;
    let Some((kind, space_id)) = found else {
        return Err(AppError::not_found("image"));
    };
    with_tx!(tx, t => sqlx::query("DELETE FROM image_files WHERE image_id = $1")
        .bind(id)
        .execute(&mut **t)
        .await
        .map(|_| ()))?;
    with_tx!(tx, t => sqlx::query("DELETE FROM images WHERE id = $1")
        .bind(id)
        .execute(&mut **t)
        .await
        .map(|_| ()))?;
    let (action, target_type) = if kind == "logo" {
        ("logo_removed", "settings")
    } else {
        ("photo_deleted", "space")
    };
    record(
        &mut tx,
        me,
        origin,
        action,
        target_type,
        space_id.as_deref().unwrap_or("logo"),
        json!({ "image": id }),
    )
    .await?;
    tx.commit().await?;
    invalidate(state);
    Ok(())
}

/// Removes the logo, if there is one.
pub async fn remove_logo(
    state: &AppState,
    me: &Principal,
    origin: &Origin,
) -> Result<(), AppError> {
    require_admin(me)?;
    match logo(&state.store).await? {
        Some(l) => remove(state, me, origin, &l.id).await,
        None => Ok(()),
    }
}

#[derive(sqlx::FromRow)]
struct ImageRow {
    id: String,
    space_id: Option<String>,
    alt: String,
    width: i32,
    height: i32,
}

/// Images of `kind` with their stored widths, in gallery order.
async fn load(store: &Store, kind: &str) -> Result<Vec<(Option<String>, Photo)>, AppError> {
    let rows: Vec<ImageRow> = with_pool!(store, p => sqlx::query_as(
        "SELECT id, space_id, alt, width, height FROM images WHERE kind = $1 \
         ORDER BY sort_order, created_at, id"
    )
    .bind(kind)
    .fetch_all(p)
    .await)?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let sizes: Vec<(String, i32)> = with_pool!(store, p => sqlx::query_as(
        "SELECT f.image_id, f.width FROM image_files f JOIN images i ON i.id = f.image_id \
         WHERE i.kind = $1 AND f.format = 'jpeg' ORDER BY f.image_id, f.width"
    )
    .bind(kind)
    .fetch_all(p)
    .await)?;
    let mut widths: HashMap<String, Vec<u32>> = HashMap::new();
    for (image, w) in sizes {
        widths
            .entry(image)
            .or_default()
            .push(u32::try_from(w).unwrap_or(0));
    }
    Ok(rows
        .into_iter()
        .map(|r| {
            let photo = Photo {
                widths: widths.remove(&r.id).unwrap_or_default(),
                alt: serde_json::from_str(&r.alt).unwrap_or_default(),
                width: u32::try_from(r.width).unwrap_or(1),
                height: u32::try_from(r.height).unwrap_or(1),
                id: r.id,
            };
            (r.space_id, photo)
        })
        .collect())
}

/// Every space's gallery, by space id.
pub async fn galleries(store: &Store) -> Result<HashMap<String, Vec<Photo>>, AppError> {
    let mut out: HashMap<String, Vec<Photo>> = HashMap::new();
    for (space, photo) in load(store, "space").await? {
        if let Some(space) = space {
            out.entry(space).or_default().push(photo);
        }
    }
    Ok(out)
}

/// The studio's logo, if uploaded.
pub async fn logo(store: &Store) -> Result<Option<Photo>, AppError> {
    Ok(load(store, "logo")
        .await?
        .into_iter()
        .next()
        .map(|(_, p)| p))
}

/// A stored file by its public name (`480.webp`, `960.jpg`): its content
/// type and bytes; None when there is no such image or size.
pub async fn file(
    store: &Store,
    id: &str,
    name: &str,
) -> Result<Option<(&'static str, Vec<u8>)>, AppError> {
    let Some((width, ext)) = name.split_once('.') else {
        return Ok(None);
    };
    let (format, content_type) = match ext {
        "webp" => ("webp", "image/webp"),
        "jpg" => ("jpeg", "image/jpeg"),
        _ => return Ok(None),
    };
    let Ok(width) = width.parse::<i32>() else {
        return Ok(None);
    };
    if id.len() > 64 {
        return Ok(None);
    }
    let bytes: Option<(Vec<u8>,)> = with_pool!(store, p => sqlx::query_as(
        "SELECT bytes FROM image_files WHERE image_id = $1 AND width = $2 AND format = $3"
    )
    .bind(id)
    .bind(width)
    .bind(format)
    .fetch_optional(p)
    .await)?;
    Ok(bytes.map(|(b,)| (content_type, b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_image_is_never_enlarged() {
        assert_eq!(targets(4000, &IMAGE_WIDTHS), vec![480, 960, 1600]);
        assert_eq!(targets(1600, &IMAGE_WIDTHS), vec![480, 960, 1600]);
        assert_eq!(targets(1200, &IMAGE_WIDTHS), vec![480, 960, 1200]);
        assert_eq!(targets(300, &IMAGE_WIDTHS), vec![300]);
        assert_eq!(targets(200, &LOGO_WIDTHS), vec![160, 200]);
    }

    fn png(w: u32, h: u32, alpha: bool) -> Vec<u8> {
        let mut out = Vec::new();
        let img: image::DynamicImage = if alpha {
            image::RgbaImage::from_fn(w, h, |x, _| image::Rgba([200, 10, (x % 255) as u8, 0]))
                .into()
        } else {
            image::RgbImage::from_fn(w, h, |x, y| {
                image::Rgb([(x % 255) as u8, (y % 255) as u8, 90])
            })
            .into()
        };
        img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn an_upload_becomes_webp_and_jpeg_of_each_width() {
        let p = prepare(&png(2000, 1000, false), &IMAGE_WIDTHS).unwrap();
        assert_eq!((p.width, p.height), (1600, 800));
        let mut seen: Vec<(u32, &str)> = p.files.iter().map(|f| (f.width, f.format)).collect();
        seen.sort_unstable();
        assert_eq!(
            seen,
            vec![
                (480, "jpeg"),
                (480, "webp"),
                (960, "jpeg"),
                (960, "webp"),
                (1600, "jpeg"),
                (1600, "webp")
            ]
        );
        for f in &p.files {
            let decoded = image::load_from_memory(&f.bytes).unwrap();
            assert_eq!(decoded.width(), f.width, "{}", f.format);
            assert_eq!(decoded.height(), f.width / 2, "{}", f.format);
            let expected = if f.format == "webp" {
                image::ImageFormat::WebP
            } else {
                image::ImageFormat::Jpeg
            };
            assert_eq!(image::guess_format(&f.bytes).unwrap(), expected);
        }
    }

    #[test]
    fn a_transparent_logo_keeps_its_transparency_in_webp_only() {
        let p = prepare(&png(400, 100, true), &LOGO_WIDTHS).unwrap();
        let webp = p.files.iter().find(|f| f.format == "webp").unwrap();
        let jpeg = p.files.iter().find(|f| f.format == "jpeg").unwrap();
        // Fully transparent pixels: WebP keeps them, JPEG shows white.
        let w = image::load_from_memory(&webp.bytes).unwrap().to_rgba8();
        assert!(w.get_pixel(5, 5)[3] < 10);
        let j = image::load_from_memory(&jpeg.bytes).unwrap().to_rgb8();
        assert!(
            j.get_pixel(5, 5).0.iter().all(|c| *c > 240),
            "{:?}",
            j.get_pixel(5, 5)
        );
    }

    #[test]
    fn what_is_not_an_image_is_refused_by_field() {
        for bytes in [
            b"plain text, not a photo".to_vec(),
            b"GIF89a\x01\x00\x01\x00".to_vec(),
        ] {
            let e = prepare(&bytes, &IMAGE_WIDTHS).err().unwrap();
            assert_eq!(e.fields().unwrap()["file"].code, "invalid_image");
        }
        // Wider than any camera: refused before it is decoded.
        let e = prepare(&png(20_000, 1, false), &IMAGE_WIDTHS)
            .err()
            .unwrap();
        assert_eq!(e.fields().unwrap()["file"].code, "image_too_large");
    }
}
