# Multi-stage build of the Mandi server and its site (JS, WASM, CSS, public files).
# Build:  docker build -t mandi .
# Run:    docker run -e DATABASE_URL=postgres://… -p 8080:8080 mandi

# Tailwind 4 needs Node.js 20+, newer than Debian 12's; take it from the official image.
FROM node:22-bookworm-slim AS node
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

FROM rust:1.95-bookworm AS build
ENV CARGO_TERM_COLOR=never
COPY --from=node /usr/local/bin/node /usr/local/bin/node
RUN apt-get update \
 && apt-get install -y --no-install-recommends pkg-config \
 && rm -rf /var/lib/apt/lists/*
RUN rustup target add wasm32-unknown-unknown
# The same tools as scripts/lib.sh: cargo-leptos from tools/cargo-leptos (0.3.10 with
# the newer lazy-island splitter; no_downloads makes a missing tool an error instead of
# a download).
COPY tools/cargo-leptos /tools/cargo-leptos
RUN CARGO_PROFILE_RELEASE_LTO=false cargo install --locked --path /tools/cargo-leptos \
 && cargo install wasm-bindgen-cli --version 0.2.130
WORKDIR /src
COPY . .
# cargo-leptos finds tailwindcss and wasm-opt in node_modules/.bin.
COPY --from=node /src/node_modules ./node_modules
RUN cargo leptos build --release --split && node scripts/precompress.mjs target/site

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --no-create-home mandi \
 && mkdir -p /var/lib/mandi && chown mandi /var/lib/mandi
WORKDIR /app
COPY --from=build /src/target/release/server /app/server
# The site's content-hashed file names: Leptos reads them from beside the binary.
COPY --from=build /src/target/release/hash.txt /app/hash.txt
COPY --from=build /src/target/site /app/site
COPY --from=build /src/Leptos.toml /app/Leptos.toml
# Migrations are embedded in the binary. DATABASE_URL, MANDI_JWT_PRIVATE_KEY_FILE (an
# RSA private key in PEM, e.g. a mounted secret) and the notification providers
# (MANDI_WHATSAPP_PHONE_NUMBER_ID, _TOKEN, _APP_SECRET, MANDI_SMS_API_URL,
# MANDI_EMAIL_API_URL, MANDI_MESSAGING_API_TOKEN) must be supplied at run time, and
# MANDI_PUBLIC_BASE_URL: the address shoppers reach the shop at (the payment gateway
# sends them back there; 0.0.0.0:8080 reaches nobody).
ENV MANDI_CONFIG=/app/Leptos.toml \
    LEPTOS_SITE_ROOT=/app/site \
    LEPTOS_SITE_ADDR=0.0.0.0:8080 \
    LEPTOS_ENV=PROD \
    MANDI_ENV=production \
    MANDI_DEMO_AUTOLOAD=false \
    MANDI_NOTIFY_PROVIDER=cloud \
    MANDI_LOG_FORMAT=json \
    MANDI_DATA_DIR=/var/lib/mandi
# Uploads being received, and photos when MANDI_OBJECT_STORE_URL names no bucket.
VOLUME /var/lib/mandi
USER mandi
EXPOSE 8080
# Orchestrators probe /healthz (liveness) and /readyz (readiness); SIGTERM drains.
STOPSIGNAL SIGTERM
CMD ["/app/server"]
