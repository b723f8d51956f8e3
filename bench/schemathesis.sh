#!/usr/bin/env bash
# Schemathesis against /api/openapi.json, signed in (a bearer token) as each of several roles:
# no 5xx, every response matches its documented schema and content type (errors are
# application/problem+json), every status is a documented one.
#
#   bash bench/schemathesis.sh            # long form: 200 examples per operation, release build
#   ST_BUILD=debug ST_EXAMPLES=10 ST_LOGINS="desk admin" bash bench/schemathesis.sh   # scripts/test (short)
#
# Settings (environment):
#   ST_EXAMPLES   test cases per operation and phase, default 200
#   ST_LOGINS     who signs in, in this order, default "desk director admin" (the administrator
#                 last: its run may deactivate people)
#   ST_BUILD      release (default; CARGO_TARGET_DIR defaults to /tmp/intake-rel) or debug
#   SALESOS_BIN_DIR  use the salesos binary in this folder (no build)
#   ST_VENV       Python virtual environment for schemathesis, default /tmp/salesos-schemathesis
set -euo pipefail
cd "$(dirname "$0")/.."
SCHEMATHESIS_VERSION=4.32.5
examples=${ST_EXAMPLES:-200}
logins=${ST_LOGINS:-desk director admin}
build=${ST_BUILD:-release}
venv=${ST_VENV:-/tmp/salesos-schemathesis}
port=${ST_PORT:-18985}

# Installed at test time from PyPI (pinned), once per machine; a half-made environment from an
# interrupted install is made again.
if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
    echo "schemathesis: installing schemathesis==$SCHEMATHESIS_VERSION into $venv"
    rm -rf "$venv"
    python3 -m venv "$venv" || {
        echo "schemathesis: python3 -m venv failed; install python3-venv (apt-get install python3-venv)" >&2
        exit 1
    }
    "$venv/bin/pip" install -q --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
    "$venv/bin/schemathesis" --version
fi

if [ -n "${SALESOS_BIN_DIR:-}" ]; then
    bin=$SALESOS_BIN_DIR/salesos # built already
elif [ "$build" = release ]; then
    export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/tmp/intake-rel}
    cargo build --release -q -p salesos
    bin=$CARGO_TARGET_DIR/release/salesos
else
    cargo build -q -p salesos
    bin=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/debug/salesos
fi

work=$(mktemp -d /tmp/salesos-schemathesis.XXXXXX)
server=""
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
    if [ "${keep:-}" = 1 ]; then echo "schemathesis: work folder kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

db_args=(--data-dir "$work/data")
"$bin" demo --no-serve --size tiny "${db_args[@]}" >"$work/demo.log" 2>&1
"$bin" serve "${db_args[@]}" --listen "127.0.0.1:$port" >"$work/serve.log" 2>&1 &
server=$!
ready=0
for _ in $(seq 1 400); do
    curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && { ready=1; break; }
    sleep 0.05
done
if [ "$ready" != 1 ]; then
    echo "schemathesis: the server did not start" >&2
    tail -20 "$work/serve.log" >&2
    keep=1
    exit 1
fi

# every token first: a run as an administrator may deactivate the next login's person
declare -A tokens
for login in $logins; do
    tokens[$login]=$("$bin" user token "$login" --name schemathesis "${db_args[@]}")
done
status=0
for login in $logins; do
    token=${tokens[$login]}
    echo "== schemathesis as $login ($examples examples per operation)"
    # --exclude: the tokens routes could revoke the very token the run signs in with.
    # --workers 1: with worker threads, CPython 3.11's ast.parse (Hypothesis calls it to describe
    # strategies) intermittently raises "SystemError: AST constructor recursion depth mismatch"
    # (CPython gh-106905), which schemathesis reports as a runtime error and fails the run.
    if ! "$venv/bin/schemathesis" run "http://127.0.0.1:$port/api/openapi.json" \
        --header "Authorization: Bearer $token" \
        --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
        --phases examples,coverage,fuzzing \
        --max-examples "$examples" --seed 6 --workers 1 \
        --suppress-health-check all --request-timeout 20 \
        --exclude-path-regex '^/api/v1/tokens/' \
        --report junit --report-dir "$work/report-$login" \
        >"$work/schemathesis-$login.log" 2>&1; then
        status=1
        keep=1
        # the errors and failures first (their tracebacks), then the summary
        sed -n '/=\+ \(ERRORS\|FAILURES\) =\+/,/=\+ \(WARNINGS\|SUMMARY\) =\+/p' "$work/schemathesis-$login.log" | head -n 200
        tail -n 40 "$work/schemathesis-$login.log"
    else
        tail -n 8 "$work/schemathesis-$login.log"
    fi
done
if grep -q "panicked\|ERROR" "$work/serve.log"; then
    echo "schemathesis: the server logged errors:" >&2
    grep -m 20 "panicked\|ERROR" "$work/serve.log" >&2
    status=1
    keep=1
fi
[ "$status" = 0 ] && echo "schemathesis: OK (as: $logins)"
exit "$status"
