#!/usr/bin/env bash
# Check the local PostgreSQL and Redis the tests use, start them when they are
# down, and write the result as an env file for the test run.
#
#   scripts/ensure-services.sh [ENV_FILE]        (default: .make-services.env)
#
# ENV_FILE gets shell lines to `source` before pytest:
#   export VANGUARD_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres
#   export VANGUARD_TEST_REDIS_URL=redis://127.0.0.1:6379/0
# A service that is not available gets `unset VAR` instead, and the tests that
# need it skip themselves.
#
# With CI=true a missing service is an error (exit 1): CI must test everything.
# Otherwise it is reported and the script exits 0.
#
# Host/port can be changed with POSTGRES_HOST, POSTGRES_PORT, POSTGRES_USER,
# POSTGRES_DB, REDIS_HOST, REDIS_PORT, REDIS_DB.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ENV_FILE="${1:-$ROOT/.make-services.env}"

POSTGRES_HOST="${POSTGRES_HOST:-127.0.0.1}"
POSTGRES_PORT="${POSTGRES_PORT:-5432}"
POSTGRES_USER="${POSTGRES_USER:-postgres}"
POSTGRES_DB="${POSTGRES_DB:-postgres}"
REDIS_HOST="${REDIS_HOST:-127.0.0.1}"
REDIS_PORT="${REDIS_PORT:-6379}"
REDIS_DB="${REDIS_DB:-0}"

PG_URL="postgresql+psycopg://${POSTGRES_USER}@${POSTGRES_HOST}:${POSTGRES_PORT}/${POSTGRES_DB}"
REDIS_URL="redis://${REDIS_HOST}:${REDIS_PORT}/${REDIS_DB}"

VENV_PY="$ROOT/.venv/bin/python"
WAIT_SECONDS="${SERVICES_WAIT_SECONDS:-20}"

# --- checks -----------------------------------------------------------------

postgres_up() {
    if command -v psql >/dev/null 2>&1; then
        # A real login, not just "accepting connections": proves trust auth works.
        PGCONNECT_TIMEOUT=3 psql -X -q -w -h "$POSTGRES_HOST" -p "$POSTGRES_PORT" \
            -U "$POSTGRES_USER" -d "$POSTGRES_DB" -tAc 'SELECT 1' 2>/dev/null | grep -qx 1
        return
    fi
    if command -v pg_isready >/dev/null 2>&1; then
        pg_isready -q -t 3 -h "$POSTGRES_HOST" -p "$POSTGRES_PORT" -U "$POSTGRES_USER" -d "$POSTGRES_DB"
        return
    fi
    if [[ -x "$VENV_PY" ]]; then
        "$VENV_PY" - "$POSTGRES_HOST" "$POSTGRES_PORT" "$POSTGRES_USER" "$POSTGRES_DB" <<'EOF' 2>/dev/null
import sys
import psycopg
host, port, user, db = sys.argv[1:]
with psycopg.connect(host=host, port=int(port), user=user, dbname=db, connect_timeout=3) as c:
    c.execute("SELECT 1")
EOF
        return
    fi
    # Last resort: is anything listening?
    (exec 3<>"/dev/tcp/$POSTGRES_HOST/$POSTGRES_PORT") 2>/dev/null
}

redis_up() {
    if command -v redis-cli >/dev/null 2>&1; then
        [[ "$(timeout 5 redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null)" == "PONG" ]]
        return
    fi
    if [[ -x "$VENV_PY" ]]; then
        "$VENV_PY" - "$REDIS_URL" <<'EOF' 2>/dev/null
import sys
import redis
assert redis.Redis.from_url(sys.argv[1], socket_timeout=3).ping()
EOF
        return
    fi
    # Plain RESP over bash's /dev/tcp.
    local reply
    reply="$(timeout 5 bash -c 'exec 3<>"/dev/tcp/$0/$1" && printf "PING\r\n" >&3 && head -c 5 <&3' \
        "$REDIS_HOST" "$REDIS_PORT" 2>/dev/null)"
    [[ "$reply" == "+PONG" ]]
}

# --- starting (the same commands that started them on this machine) ---------

start_postgres() {
    command -v pg_ctlcluster >/dev/null 2>&1 || { echo "  (pg_ctlcluster not found)"; return 1; }
    [[ -d /etc/postgresql ]] || { echo "  (/etc/postgresql not found)"; return 1; }
    local version
    for version in $(ls /etc/postgresql); do
        echo "  pg_ctlcluster --skip-systemctl-redirect $version main start"
        pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>&1 | sed 's/^/    /'
    done
}

start_redis() {
    command -v redis-server >/dev/null 2>&1 || { echo "  (redis-server not found)"; return 1; }
    mkdir -p /var/log/redis /var/lib/redis 2>/dev/null || true
    echo "  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port $REDIS_PORT ..."
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" \
        --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log 2>&1 | sed 's/^/    /'
}

wait_for() {  # wait_for <check function>
    local i
    for ((i = 0; i < WAIT_SECONDS; i++)); do
        "$1" && return 0
        sleep 1
    done
    return 1
}

# ensure <Name> <check fn> <start fn>; returns 0 when the service answers
ensure() {
    local name="$1" check="$2" start="$3"
    if "$check"; then
        echo "$name: up"
        return 0
    fi
    echo "$name: not answering, trying to start it"
    "$start" || true
    if wait_for "$check"; then
        echo "$name: up (started)"
        return 0
    fi
    return 1
}

# --- main -------------------------------------------------------------------

failed=()
lines=("# Written by scripts/ensure-services.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ); source before the tests.")

if ensure PostgreSQL postgres_up start_postgres; then
    lines+=("export VANGUARD_TEST_POSTGRES_URL=$PG_URL")
else
    failed+=(PostgreSQL)
    lines+=("unset VANGUARD_TEST_POSTGRES_URL")
fi

if ensure Redis redis_up start_redis; then
    lines+=("export VANGUARD_TEST_REDIS_URL=$REDIS_URL")
else
    failed+=(Redis)
    lines+=("unset VANGUARD_TEST_REDIS_URL")
fi

printf '%s\n' "${lines[@]}" > "$ENV_FILE"

if [[ ${#failed[@]} -gt 0 ]]; then
    if [[ "${CI:-}" == "true" ]]; then
        for name in "${failed[@]}"; do
            echo "ERROR: $name not available (CI=true requires it)" >&2
        done
        exit 1
    fi
    for name in "${failed[@]}"; do
        echo "$name not available: $name tests will be skipped"
    done
fi
exit 0
