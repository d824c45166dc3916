//! Static files. `/pkg` is the site cargo-leptos built: the stylesheet and
//! the staff app, whose release files carry content hashes in their names
//! and come precompressed (`.br`, `.gz`), served as such and cached for a
//! year. `/assets` holds the guest pages' script, which is part of the
//! binary: compressed once at start, named by its hash, cached likewise.

use app::server::{assets, AppState};
use axum::{
    extract::Path,
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use std::{io::Write, sync::OnceLock};
use tower_http::{services::ServeDir, set_header::SetResponseHeaderLayer};

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// `/pkg/*` from the built site and `/assets/*` from the binary.
pub fn routes(site_root: &std::path::Path) -> Router<AppState> {
    let pkg = ServeDir::new(site_root.join("pkg"))
        .precompressed_br()
        .precompressed_gzip();
    // Without hashed names (a debug build) a file may change under the
    // same name: the browser must ask again.
    let caching = if assets::BuiltNames::of_this_binary().hashed() {
        IMMUTABLE
    } else {
        "no-cache"
    };
    Router::new()
        .nest_service(
            "/pkg",
            tower::ServiceBuilder::new()
                .layer(SetResponseHeaderLayer::overriding(
                    header::CACHE_CONTROL,
                    HeaderValue::from_static(caching),
                ))
                .service(pkg),
        )
        .route("/assets/{file}", get(asset))
}

/// One file in every encoding it is served in.
struct Encoded {
    identity: Vec<u8>,
    gzip: Vec<u8>,
    brotli: Vec<u8>,
}

fn guest_script() -> &'static Encoded {
    static ENCODED: OnceLock<Encoded> = OnceLock::new();
    ENCODED.get_or_init(|| {
        let body = assets::guest_script().body.as_bytes();
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let gzip = gzip
            .write_all(body)
            .and_then(|()| gzip.finish())
            .unwrap_or_default();
        let mut brotli = Vec::new();
        let params = brotli::enc::BrotliEncoderParams {
            quality: 11,
            ..Default::default()
        };
        if brotli::BrotliCompress(&mut &body[..], &mut brotli, &params).is_err() {
            brotli.clear();
        }
        Encoded {
            identity: body.to_vec(),
            gzip,
            brotli,
        }
    })
}

async fn asset(Path(file): Path<String>, headers: HeaderMap) -> Response {
    if format!("/assets/{file}") != assets::guest_script().path {
        return StatusCode::NOT_FOUND.into_response();
    }
    let accepted = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let accepts = |coding: &str| {
        accepted.split(',').any(|part| {
            let mut fields = part.split(';');
            fields.next().is_some_and(|c| c.trim() == coding)
                && fields.all(|p| p.trim().replace(' ', "") != "q=0")
        })
    };
    let encoded = guest_script();
    let (body, coding) = if accepts("br") && !encoded.brotli.is_empty() {
        (encoded.brotli.clone(), Some("br"))
    } else if accepts("gzip") && !encoded.gzip.is_empty() {
        (encoded.gzip.clone(), Some("gzip"))
    } else {
        (encoded.identity.clone(), None)
    };
    let mut res = (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, IMMUTABLE),
            (header::VARY, "accept-encoding"),
        ],
        body,
    )
        .into_response();
    if let Some(coding) = coding {
        res.headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static(coding));
    }
    res
}
