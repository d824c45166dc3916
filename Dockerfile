# syntax=docker/dockerfile:1
# Studio CRM: build the site and the server with cargo-leptos, then run the
# single binary as a non-root user with its data on a volume.

FROM rust:1.95-bookworm AS build
# wasm-opt from npm's binaryen: Debian's (108) mis-exports the externref
# table that wasm-bindgen relies on.
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm \
 && rm -rf /var/lib/apt/lists/* \
 && npm install -g --no-audit --no-fund binaryen@132.0.0
# cargo-leptos 0.3.11 with --locked needs a newer rustc than 1.95.
RUN rustup target add wasm32-unknown-unknown \
 && rustup toolchain install nightly --profile minimal \
 && cargo +nightly install cargo-leptos --version 0.3.11 --locked --features no_downloads
WORKDIR /src
COPY Cargo.lock ./
# The wasm-bindgen CLI must match the library version in Cargo.lock.
RUN cargo install wasm-bindgen-cli --version "$(sed -n '/^name = "wasm-bindgen"$/{n;s/^version = "\(.*\)"/\1/p;}' Cargo.lock)"
COPY . .
RUN cargo leptos build --release --split --precompress

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin studio \
 && mkdir -p /data /backups && chown studio:studio /data /backups
COPY --from=build /src/target/release/server /app/server
# The hashed names of the built site: read from beside the binary.
COPY --from=build /src/target/release/hash.txt /app/hash.txt
COPY --from=build /src/target/site /app/site
ENV STUDIO_ADDR=0.0.0.0:3000 \
    STUDIO_DATA_DIR=/data \
    LEPTOS_SITE_ROOT=/app/site \
    STUDIO_LOG=info \
    STUDIO_LOG_FORMAT=json
# /backups: where compose.yaml points STUDIO_BACKUP_DIR (owned by the
# app's user, so a fresh named volume mounted there is writable).
VOLUME ["/data"]
USER studio
WORKDIR /data
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD curl -fsS http://127.0.0.1:3000/health || exit 1
ENTRYPOINT ["/app/server"]
CMD ["serve"]
