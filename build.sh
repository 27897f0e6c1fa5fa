#!/usr/bin/env bash
# eventflow build script. Installs what it needs when missing, skips what is present.
#
#   ./build.sh          build the native CLI (target/release/eventflow) and the site (www/ with www/pkg/)
#   ./build.sh site     build only the site (both wasm modules, the loader) into www/
#   ./build.sh serve    build, then serve www/ on http://127.0.0.1:8080 (the demo page) beside the runtime server
#                       on http://127.0.0.1:8081 (the page in remote mode: /?server=http://127.0.0.1:8081)
#   ./build.sh test     every check CI runs: fmt, clippy (native and wasm32), tests, engine purity, the server's
#                       tests on Redis and PostgreSQL (started here), browser tests (wasm-pack test --headless
#                       --chrome), the end-to-end tests, the size budget
#   ./build.sh size     print the bytes a page downloads until load() resolves, local and remote mode
#   ./build.sh size-profiles   build the wasm at opt-level "s" and "z" and print both sizes
#   ./build.sh bench    criterion benchmarks of the engine and the markdown parser
#   ./build.sh load     load benchmark of the runtime server: turns/s and latency per store (wrk), push delivery
#   ./build.sh test-stores   only the server's tests on Redis and PostgreSQL
set -euo pipefail
cd "$(dirname "$0")"

WASM_BINDGEN_VERSION=0.2.130   # must equal the wasm-bindgen = "=..." pin in Cargo.toml
# wasm-opt from binaryen's npm package (binaryen compiled to wasm, run by node): Debian ships binaryen 108, which
# optimises less and mis-exports wasm-bindgen's externref table when run on the bound module (docs/PERFORMANCE.md).
BINARYEN_VERSION=132.0.0
# terser minifies the loader with wasm-bindgen's generated JS glue bundled in, as any bundler would (about 2 KB gzip).
TERSER_VERSION=5.51.2
# tsc type-checks www/eventflow.d.ts (the page API's declarations, shipped beside the loader) with a usage file.
TYPESCRIPT_VERSION=5.9.3
TOOLS=target/tools
WASM_OPT="$TOOLS/node_modules/binaryen/bin/wasm-opt"
TERSER="$TOOLS/node_modules/terser/bin/terser"
TSC="$TOOLS/node_modules/typescript/bin/tsc"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

ensure_rust() {
  command -v cargo >/dev/null || { echo "cargo not found: install Rust with rustup first" >&2; exit 1; }
  local have; have=$(rustup component list --installed 2>/dev/null || true)
  grep -q '^rustfmt' <<<"$have" || rustup component add rustfmt
  grep -q '^clippy' <<<"$have" || rustup component add clippy
}

# The layers below the hosts stay pure and point one way (STYLE.md, "The shape"): src/json, src/wire, src/util.rs,
# src/client and src/engine name no browser, clock, file or network API; src/json, src/wire and src/client (the
# widget's pure rules, linked by the remote-mode module, which has no engine) name nothing of src/engine.
check_engine_purity() {
  say "layer purity"
  local pure="src/engine src/json src/wire src/client src/util.rs"
  # shellcheck disable=SC2086
  if grep -rnE 'wasm_bindgen|js_sys|web_sys|gloo|SystemTime|Instant|std::fs|std::net|std::process|std::thread|rand::' $pure; then
    echo "a pure layer names a browser, clock or I/O API (above): src/engine, src/json, src/wire and src/client stay sans-I/O" >&2
    exit 1
  fi
  if grep -rnE 'crate::engine|super::super::engine|JsValue' src/json src/wire src/client src/util.rs; then
    echo "src/json, src/wire or src/client names src/engine or JsValue (above): dependencies point json <- wire <- engine, and src/client is pure" >&2
    exit 1
  fi
}

build() {
  ensure_rust
  say "native CLI"
  cargo build --release --bin eventflow
}

run_tests() {
  ensure_rust
  say "cargo fmt --check"
  cargo fmt --all -- --check
  say "cargo clippy (native)"
  cargo clippy --all-targets -- -D warnings
  check_engine_purity
  say "cargo test"
  mkdir -p target
  cargo test 2>&1 | tee target/cargo-test.log
  count_tests target/cargo-test.log
  run_store_tests
}

# ---- Redis and PostgreSQL for the server's shared-store tests (tests/server_stores.rs) ----
# Installed from Debian when missing, started on free ports in a temporary directory, stopped afterwards.

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
pg_bin() { find /usr/lib/postgresql -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -1; }

STORES_DIR=; REDIS_PID=; PG_RUN=()
start_stores() {
  local pkgs=()
  command -v redis-server >/dev/null || pkgs+=(redis-server)
  [ -n "$(pg_bin)" ] || pkgs+=(postgresql)
  [ ${#pkgs[@]} = 0 ] || { say "installing ${pkgs[*]}"; apt_install "${pkgs[@]}"; }
  STORES_DIR=$(mktemp -d)
  trap stop_stores EXIT
  local rport pport pg i
  rport=$(free_port)
  # Redis as it should run under the server: every write in its append-only file, synced each second.
  redis-server --port "$rport" --bind 127.0.0.1 --dir "$STORES_DIR" --save '' --appendonly yes --appendfsync everysec \
    --logfile "$STORES_DIR/redis.log" &
  REDIS_PID=$!
  # PostgreSQL refuses to run as root: as root, its files and process belong to the postgres user.
  [ "$(id -u)" != 0 ] || { chown postgres "$STORES_DIR"; PG_RUN=(runuser -u postgres --); }
  pg=$(pg_bin)
  "${PG_RUN[@]}" "$pg/initdb" -D "$STORES_DIR/pg" -A trust -U postgres --no-sync >"$STORES_DIR/initdb.log"
  pport=$(free_port)
  "${PG_RUN[@]}" "$pg/pg_ctl" -D "$STORES_DIR/pg" -l "$STORES_DIR/postgres.log" -w \
    -o "-k $STORES_DIR -p $pport -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
  for i in $(seq 100); do redis-cli -p "$rport" ping >/dev/null 2>&1 && break; sleep 0.1; done
  export EVENTFLOW_TEST_REDIS="redis://127.0.0.1:$rport"
  export EVENTFLOW_TEST_POSTGRES="postgres://postgres@127.0.0.1:$pport/postgres"
  say "Redis on $EVENTFLOW_TEST_REDIS, PostgreSQL on $EVENTFLOW_TEST_POSTGRES (in $STORES_DIR)"
}

stop_stores() {
  [ -n "$STORES_DIR" ] || return 0
  [ -z "$REDIS_PID" ] || { kill "$REDIS_PID" 2>/dev/null || true; wait "$REDIS_PID" 2>/dev/null || true; }
  [ ! -d "$STORES_DIR/pg" ] || "${PG_RUN[@]}" "$(pg_bin)/pg_ctl" -D "$STORES_DIR/pg" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$STORES_DIR"
  STORES_DIR=
}

# Voiceflow's own widget (its legacy bundle from npm, unchanged) against the server in headless Chromium
# (tests/server_widget.rs). `npm pack` fetches the one file's package, without its dependencies.
VOICEFLOW_WIDGET=@voiceflow/react-chat@1.65.2
run_voiceflow_widget_test() {
  ensure_web
  local dir=$TOOLS/voiceflow-widget
  if [ ! -f "$dir/package/dist/bundle.mjs" ]; then
    say "fetching Voiceflow's widget ($VOICEFLOW_WIDGET) into $dir"
    rm -rf "$dir"; mkdir -p "$dir"
    (cd "$dir" && npm pack --silent "$VOICEFLOW_WIDGET" >/dev/null && tar xzf ./*.tgz)
  fi
  say "Voiceflow's widget against the server (headless Chromium)"
  EVENTFLOW_VOICEFLOW_BUNDLE="$PWD/$dir/package/dist/bundle.mjs" cargo test --test server_widget -- --ignored 2>&1 |
    tee target/widget-test.log
  count_tests target/widget-test.log
}

# The server under load (issue 12; figures in docs/PERFORMANCE.md): for each store, text turns of 50 users at once
# for LOAD_SECONDS (wrk, from Debian), then the delay from POST /events to delivery on 1,000 open streams.
LOAD_SECONDS=${LOAD_SECONDS:-10}
LOAD_PIDS=()
LOAD_URL=
# Start a server on STORE; sets LOAD_URL once it answers /health.
load_server() { # STORE
  LOAD_URL="http://127.0.0.1:$(free_port)"
  target/server/eventflow serve examples/agents/shop.json tests/agents/counter.json --listen "${LOAD_URL#http://}" \
    --store "$1" --api-key load-key 2>>"$STORES_DIR/server.log" &
  LOAD_PIDS+=($!)
  until curl -fs "$LOAD_URL/health" >/dev/null; do
    kill -0 "$!" || { cat "$STORES_DIR/server.log" >&2; exit 1; }
    sleep 0.1
  done
}

load() {
  build_server
  command -v wrk >/dev/null || { say "installing wrk"; apt_install wrk; }
  say "push benchmark client"
  cargo bench --profile server --bench push --no-run
  start_stores
  local store a b
  for store in embedded "$EVENTFLOW_TEST_REDIS" "$EVENTFLOW_TEST_POSTGRES"; do
    [ "$store" != embedded ] || store=$(mktemp -d "$STORES_DIR/embedded.XXXX")
    load_server "$store"; a=$LOAD_URL
    say "turns on $store: 50 users, ${LOAD_SECONDS} s (after 3 s of warm-up)"
    wrk -t2 -c50 -d3s -s tools/load-turns.lua "$a" >/dev/null
    wrk -t2 -c50 -d"${LOAD_SECONDS}s" --latency -s tools/load-turns.lua "$a"
    # Shared stores: the streams are held by a second process, so each push crosses between processes.
    b=$a
    [ -d "$store" ] || { load_server "$store"; b=$LOAD_URL; }
    say "push delivery on 1,000 streams ($store; posted to $a, streams on $b)"
    EVENTFLOW_BENCH_URL=$a EVENTFLOW_BENCH_LISTEN_URL=$b EVENTFLOW_BENCH_KEY=load-key cargo bench --profile server --bench push
    kill "${LOAD_PIDS[@]}"; wait "${LOAD_PIDS[@]}" 2>/dev/null || true
    LOAD_PIDS=()
  done
  stop_stores
}

run_store_tests() {
  start_stores
  say "server tests on Redis and PostgreSQL"
  cargo test --test server_stores -- --ignored 2>&1 | tee target/store-test.log
  count_tests target/store-test.log
  stop_stores
}

# Sum the "test result" lines of a cargo test log into the totals printed at the end.
PASSED=0; FAILED=0
count_tests() {
  local p f
  p=$(grep -Eo '[0-9]+ passed' "$1" | awk '{s+=$1} END {print s+0}')
  f=$(grep -Eo '[0-9]+ failed' "$1" | awk '{s+=$1} END {print s+0}')
  PASSED=$((PASSED + p)); FAILED=$((FAILED + f))
}

# ---- the browser widget: wasm module, site, browser tests ----

# The bytes a page downloads until load() resolves (SPEC §9.1), in each mode: the loader (with the JS glue), the
# wasm module of the mode, and the agent file of the local demo. The bars are the product's (issues 11 and 13): a
# local-mode page at most 122,000 bytes sent, a remote-mode page at most 90,000. Both pages are over their bars
# today (docs/PERFORMANCE.md, "Weight of the two modes": by how much, where the bytes went, what would bring them
# under). Until they are under, the test holds each page at its weight today, SIZE_HELD and REMOTE_SIZE_HELD:
# heavier fails; lighter passes and prints how far is left to the bar. Lower the held figures with every change
# that makes a page lighter; they never go up. EVENTFLOW_SIZE_HELD and EVENTFLOW_REMOTE_SIZE_HELD may set others.
SIZE_BAR=122000
REMOTE_SIZE_BAR=90000
SIZE_HELD=${EVENTFLOW_SIZE_HELD:-138000}
REMOTE_SIZE_HELD=${EVENTFLOW_REMOTE_SIZE_HELD:-95400}
LOCAL_FILES="eventflow.min.js pkg/local.wasm agents/shop.json"
REMOTE_FILES="eventflow.min.js pkg/remote.wasm"
SITE_FILES="eventflow.min.js pkg/local.wasm pkg/remote.wasm agents/shop.json"
# Rust's wasm32 target emits these post-MVP features; binaryen must be told it may keep them.
# --low-memory-unused: nothing lives in the first KB of linear memory (Rust puts its data at 1 MiB, and the stack
# only reaches address 0 when it overflows), so binaryen may fold constant offsets into loads and stores.
# --flatten --rereloop then -Oz again: control flow rebuilt from scratch, then shrunk (about 0.9 KB gzip).
WASM_FEATURES="--enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals
  --enable-reference-types --enable-multivalue"
WASM_OPT_FLAGS="-Oz --flatten --rereloop -Oz --low-memory-unused $WASM_FEATURES --strip-debug --strip-producers"

APT_UPDATED=
apt_install() {
  command -v apt-get >/dev/null || { echo "missing $*: install it with your package manager" >&2; exit 1; }
  local sudo=; [ "$(id -u)" = 0 ] || sudo=sudo
  [ -n "$APT_UPDATED" ] || { $sudo apt-get update -qq; APT_UPDATED=1; }
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@"
}

ensure_web() {
  ensure_rust
  rustup target list --installed | grep -q '^wasm32-unknown-unknown$' || rustup target add wasm32-unknown-unknown
  if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
    say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION"
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
  fi
  command -v wasm-pack >/dev/null || { say "installing wasm-pack"; cargo install wasm-pack; }
  local pkgs=()
  command -v chromium >/dev/null || pkgs+=(chromium)
  command -v chromedriver >/dev/null || pkgs+=(chromium-driver)
  command -v node >/dev/null || pkgs+=(nodejs)
  command -v npm >/dev/null || pkgs+=(npm)
  command -v zopfli >/dev/null || pkgs+=(zopfli)
  command -v python3 >/dev/null || pkgs+=(python3)
  [ ${#pkgs[@]} = 0 ] || { say "installing ${pkgs[*]}"; apt_install "${pkgs[@]}"; }
  if [ "$(node "$WASM_OPT" --version 2>/dev/null | awk '{print $3}')" != "${BINARYEN_VERSION%%.*}" ] ||
    [ "$(node "$TERSER" --version 2>/dev/null | awk '{print $2}')" != "$TERSER_VERSION" ] ||
    [ "$(node "$TSC" --version 2>/dev/null | awk '{print $2}')" != "$TYPESCRIPT_VERSION" ]; then
    say "installing binaryen $BINARYEN_VERSION (wasm-opt), terser $TERSER_VERSION and typescript $TYPESCRIPT_VERSION from npm into $TOOLS"
    mkdir -p "$TOOLS"
    npm install --silent --no-audit --no-fund --prefix "$TOOLS" "binaryen@$BINARYEN_VERSION" "terser@$TERSER_VERSION" \
      "typescript@$TYPESCRIPT_VERSION"
  fi
}

# One module (NAME, built with the cargo FEATURES): the release wasm, optimised by wasm-opt, bound by wasm-bindgen
# into OUT_DIR as NAME.js and NAME_bg.wasm, then optimised again (the second pass removes what binding left behind:
# about 2.8 KB gzip); build_site copies the wasm into www/pkg/ and turns the JS glue into the module's script.
# wasm-bindgen-cli is the pinned version, as `wasm-pack build` would run it. Cargo keeps the artefacts of both
# feature sets apart, so building one module after the other rebuilds neither when nothing changed.
build_wasm() { # OUT_DIR NAME FEATURES
  local out=$1 name=$2 features=$3
  # Panic locations name their source files: map the registry and toolchain prefixes away so the module ships
  # short relative paths instead of this machine's directories (about 1.5 KB gzip).
  local remap="" d
  for d in "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/ "$(rustc --print sysroot)/lib/rustlib/src/rust/"; do
    remap+=" --remap-path-prefix=$d="
  done
  # The stack comes first in linear memory (an overflow traps instead of overwriting data), then the static data.
  # Rust's default 1 MiB stack puts the data at 1 MiB, where each of the ~2,300 addresses the code holds as a
  # constant takes 4 bytes (signed LEB128); a 960 KiB stack ends the data below 1 MiB: 3 bytes each.
  local stack=" -C link-arg=-zstack-size=983040"
  RUSTFLAGS="${RUSTFLAGS:-}$remap$stack" cargo build --release --lib --target wasm32-unknown-unknown \
    --no-default-features --features "$features"
  mkdir -p "$out"
  # shellcheck disable=SC2086
  node "$WASM_OPT" $WASM_OPT_FLAGS target/wasm32-unknown-unknown/release/eventflow.wasm -o "$out/$name.opt.wasm"
  wasm-bindgen --target web --out-name "$name" --out-dir "$out" "$out/$name.opt.wasm"
  rm -f "$out/$name.opt.wasm"
  # One more -Oz in this second pass: it still finds about 0.2 KB gzip there (a third one finds nothing).
  # shellcheck disable=SC2086
  node "$WASM_OPT" $WASM_OPT_FLAGS -Oz "$out/${name}_bg.wasm" -o "$out/${name}_bg.wasm"
  # wasm-bindgen names each import and export with a 16-digit hash, written in the wasm and in the glue, which
  # gzip cannot compress: binaryen renames them to one or two letters in the wasm and prints the mapping, which
  # tools/glue-names.mjs applies to the glue (about 2.3 KB sent).
  # shellcheck disable=SC2086
  node "$WASM_OPT" --minify-imports-and-exports-and-modules $WASM_FEATURES "$out/${name}_bg.wasm" \
    -o "$out/${name}_bg.wasm" >"$out/$name.names.json"
  node tools/glue-names.mjs "$out/$name.names.json" "$out/$name.js"
  rm -f "$out/$name.names.json"
  # The functions in an order gzip compresses better, similar ones side by side (about 1 KB gzip): the script
  # picks the order and names each function by its place, wasm-opt sorts by name, then drops the names. Its
  # StackIR flags write the code as compactly as the -Oz run above did (a plain rewrite adds about 400 bytes).
  python3 tools/order-functions.py "$out/${name}_bg.wasm" "$out/$name.keyed.wasm" --cache "target/function-order-$name"
  # shellcheck disable=SC2086
  node "$WASM_OPT" --reorder-functions-by-name -ol 2 -s 2 --generate-stack-ir --optimize-stack-ir $WASM_FEATURES \
    --strip-debug --strip-producers "$out/$name.keyed.wasm" -o "$out/${name}_bg.wasm"
  rm -f "$out/$name.keyed.wasm"
}

build_site() {
  ensure_web
  say "wasm modules (release profile, wasm-opt, wasm-bindgen): local (the engine) and remote (no engine)"
  build_wasm pkg local engine
  build_wasm pkg remote remote
  mkdir -p www/pkg www/agents
  # Left by older builds (one module; the glue in a file of its own): pages no longer download them.
  rm -f www/pkg/*.js www/pkg/*.js.gz www/pkg/eventflow.d.ts www/pkg/eventflow_bg.wasm*
  # The demo's agent file, minified as the scripts are (its readable form is examples/agents/shop.json).
  node -e 'process.stdout.write(JSON.stringify(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))))' \
    examples/agents/shop.json >www/agents/shop.json
  # The script pages download: the loader (www/eventflow.js) and the JS glue in one classic script, minified
  # (tools/bundle.mjs: about 0.5 KB gzip lighter than the two files apart, and one request fewer). The two modules
  # import the same browser functions (through src/web/convert.rs's few bindings), so their glue, minified, is the
  # same text (only local names and comments differ before) and the loader carries it once; a module that imported
  # something the other does not would need a glue of its own.
  # terser reads the bundle as module code (the glue's dead `import.meta` goes with the code terser drops); node
  # then checks that what it wrote parses as a classic script (a function body, where `import` and `export` are
  # syntax errors).
  local name
  for name in local remote; do
    node tools/bundle.mjs "pkg/$name.js" www/eventflow.js "target/eventflow-$name.bundle.js"
    node "$TERSER" "target/eventflow-$name.bundle.js" --module --compress --mangle --comments false \
      -o "target/eventflow-$name.min.js"
  done
  if ! cmp -s target/eventflow-local.min.js target/eventflow-remote.min.js; then
    echo "the two modules' JS glue differs (target/eventflow-local.min.js, target/eventflow-remote.min.js): they import" >&2
    echo "different browser functions, and the loader carries one glue for both. Reach the new browser API through" >&2
    echo "src/web/convert.rs (Reflect.get and a call), or use it from code both modules have." >&2
    exit 1
  fi
  cp target/eventflow-local.min.js www/eventflow.min.js
  node -e 'new Function(require("fs").readFileSync(process.argv[1], "utf8"))' www/eventflow.min.js
  cp pkg/local_bg.wasm www/pkg/local.wasm
  cp pkg/remote_bg.wasm www/pkg/remote.wasm
  # Each file a page downloads is also stored gzip-compressed, as a static site or CDN serves them (nginx's
  # gzip_static): zopfli writes standard gzip about 4.5% smaller than `gzip -9`, once, at build time.
  local f
  for f in $SITE_FILES; do zopfli -c "www/$f" >"www/$f.gz"; done
  say "site ready in www/"
}

# The runtime server at full speed (Cargo.toml's `server` profile): target/server/eventflow.
build_server() {
  ensure_rust
  say "runtime server (profile server)"
  cargo build --profile server --bin eventflow
}

serve() {
  build_site
  build_server
  # The runtime server with the example agents, beside the demo site, on a fresh key of this run.
  local key server
  key=$(python3 -c 'import secrets; print(secrets.token_urlsafe(18))')
  target/server/eventflow serve examples/agents/*.json --listen 127.0.0.1:8081 --store target/serve-store \
    --api-key "$key" &
  server=$!
  trap 'kill "$server" 2>/dev/null || true' EXIT
  say "runtime server on http://127.0.0.1:8081 (projects shop, pizza, support; sessions in target/serve-store)"
  echo "push an event from your backend to user demo-user (the remote-mode demo page below is that user):"
  echo "  curl -X POST http://127.0.0.1:8081/events -H 'Authorization: Bearer $key' -H 'projectID: shop' \\"
  echo "    -d '{\"app_user_id\": \"demo-user\", \"event_type\": \"user:location:change\", \"data\": {\"city\": \"Lisbon\"}}'"
  say "serving www/ on http://127.0.0.1:8080 (Ctrl-C stops both)"
  echo "open http://127.0.0.1:8080/ (local mode: the agent runs in the page)"
  echo "  or http://127.0.0.1:8080/?server=http://127.0.0.1:8081 (remote mode: every turn goes to the server)"
  python3 - <<'PY'
import functools, http.server
import os

class Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".wasm": "application/wasm", ".js": "text/javascript"}

    # A file with a precompressed `.gz` beside it is sent compressed to a browser that accepts gzip.
    def send_head(self):
        path = self.translate_path(self.path)
        if "gzip" in self.headers.get("Accept-Encoding", "") and os.path.isfile(path + ".gz"):
            f = open(path + ".gz", "rb")
            self.send_response(200)
            self.send_header("Content-Type", self.guess_type(path))
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Vary", "Accept-Encoding")
            self.send_header("Content-Length", str(os.fstat(f.fileno()).st_size))
            self.end_headers()
            return f
        return super().send_head()

handler = functools.partial(Handler, directory="www")
http.server.ThreadingHTTPServer(("127.0.0.1", 8080), handler).serve_forever()
PY
}

# The weight budget (SPEC §9.1): the gzip bytes of each file a page downloads until load() resolves, as served
# (the zopfli-compressed `.gz` build_site stores; tests/e2e.rs checks the browser downloads exactly these), with
# `gzip -9` of the same file beside it for comparison; one table per mode, each against its bar.
size_mode() { # TITLE BAR HELD FILES...
  local title=$1 bar=$2 held=$3 total=0 total9=0 f raw gz gz9
  shift 3
  printf '%s\n%-26s %10s %10s %10s\n' "$title" file bytes served gzip-9
  for f in "$@"; do
    [ -s "www/$f.gz" ] || { echo "www/$f.gz is missing or empty: run ./build.sh first" >&2; return 1; }
    raw=$(wc -c <"www/$f"); gz=$(wc -c <"www/$f.gz"); gz9=$(gzip -9 -c "www/$f" | wc -c)
    printf '%-26s %10d %10d %10d\n' "$f" "$raw" "$gz" "$gz9"
    total=$((total + gz)); total9=$((total9 + gz9))
  done
  printf '%-26s %10s %10d %10d   (bar %d)\n' total "" "$total" "$total9" "$bar"
  if [ "$total" -le "$bar" ]; then
    echo "$((bar - total)) bytes under the bar"
  elif [ "$total" -le "$held" ]; then
    echo "NOT UNDER THE BAR: $((total - bar)) bytes over the bar of $bar (held at $held: no heavier than that)"
  else
    echo "the $title page is $((total - held)) bytes heavier than it is held at ($held), and" \
      "$((total - bar)) bytes over its bar of $bar (see docs/PERFORMANCE.md)" >&2
    return 1
  fi
}

size_report() {
  local ok=0
  # shellcheck disable=SC2086
  size_mode "local mode (the demo page: the agent runs in the page)" "$SIZE_BAR" "$SIZE_HELD" $LOCAL_FILES || ok=1
  echo
  # shellcheck disable=SC2086
  size_mode "remote mode (turns go to a runtime; no engine)" "$REMOTE_SIZE_BAR" "$REMOTE_SIZE_HELD" $REMOTE_FILES ||
    ok=1
  return $ok
}

size_profiles() {
  ensure_web
  local level
  for level in s z; do
    say "opt-level=$level"
    CARGO_PROFILE_RELEASE_OPT_LEVEL=$level build_wasm "target/pkg-$level" local engine
    printf 'opt-level %s: local wasm %d bytes, gzip -9 %d bytes\n' "$level" \
      "$(wc -c <"target/pkg-$level/local_bg.wasm")" "$(gzip -9 -c "target/pkg-$level/local_bg.wasm" | wc -c)"
  done
}

run_web_tests() {
  ensure_web
  say "cargo clippy (wasm32: both modules together, then each alone)"
  cargo clippy --lib --test web --target wasm32-unknown-unknown -- -D warnings
  cargo clippy --lib --target wasm32-unknown-unknown --no-default-features --features engine -- -D warnings
  cargo clippy --lib --target wasm32-unknown-unknown --no-default-features --features remote -- -D warnings
  say "TypeScript declarations: tsc --strict on tests/types/usage.ts against www/eventflow.d.ts"
  node "$TSC" --strict --noEmit --target es2020 --lib es2020,dom tests/types/usage.ts
  say "browser tests: wasm-pack test --headless --chrome"
  # A longer per-test timeout than wasm-bindgen-test's default: on a loaded machine two slow tests hit it.
  WASM_BINDGEN_TEST_TIMEOUT=${WASM_BINDGEN_TEST_TIMEOUT:-120} \
    CHROMEDRIVER=${CHROMEDRIVER:-$(command -v chromedriver)} wasm-pack test --headless --chrome -- --test web 2>&1 |
    tee target/web-test.log
  count_tests target/web-test.log
  build_site
  say "end-to-end test (headless Chromium over WebDriver)"
  cargo test --test e2e -- --ignored --nocapture --test-threads=1 2>&1 | tee target/e2e-test.log
  count_tests target/e2e-test.log
  say "size budget"
  size_report
}

case "${1:-build}" in
  build) build; build_site ;;
  site) build_site ;;
  serve) serve ;;
  test) run_tests; run_web_tests; run_voiceflow_widget_test; echo "tests: $PASSED passed, $FAILED failed" ;;
  test-stores) ensure_rust; mkdir -p target; run_store_tests; echo "tests: $PASSED passed, $FAILED failed" ;;
  load) load ;;
  size) size_report ;;
  size-profiles) size_profiles ;;
  bench) ensure_rust; cargo bench --bench engine; cargo bench --bench markdown ;;
  *) echo "usage: ./build.sh [build|site|serve|test|test-stores|size|size-profiles|bench|load]" >&2; exit 2 ;;
esac
