#!/usr/bin/env bash
# Follow docs/deploy.md, steps 2-8, in a clean temporary folder and without root: the code
# copied as a release would be, a virtualenv, the settings file, upgrade, create-admin,
# serve (gunicorn, production mode), healthz/readyz/login/metrics, backup while serving,
# restore into a fresh instance, serve that and log in again, upgrade (nothing to do).
#
#   scripts/deploy-check.sh                    a fresh venv: pip install -e (needs the package index)
#   DEPLOY_CHECK_VENV=.venv scripts/deploy-check.sh    reuse a venv (the suite does: fast)
#   DEPLOY_CHECK_DATABASE_URL=postgresql+psycopg://.../a DEPLOY_CHECK_RESTORE_URL=postgresql+psycopg://.../b
#                                              two empty PostgreSQL databases instead of SQLite files
#
# Prints each step; exits non-zero at the first that fails. Leaves nothing behind.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/vanguard-deploy-check.XXXXXX")"
APP="$WORK/opt/vanguard"
ETC="$WORK/etc/vanguard"
PIDS=()

cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT
step() { echo "== $*"; }
fail() { echo "deploy-check: FAILED: $*" >&2; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

step "2. the code, as a release holds it, in $APP"
mkdir -p "$APP" "$ETC"
(cd "$ROOT" && git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf -) | tar -xf - -C "$APP"
if [[ -d "$ROOT/static/vendor" ]]; then cp -r "$ROOT/static/vendor" "$APP/static/vendor"; fi
if [[ -n "${DEPLOY_CHECK_VENV:-}" ]]; then
    VENV="$(cd "$DEPLOY_CHECK_VENV" && pwd)"
    echo "   reusing $VENV"
else
    VENV="$APP/.venv"
    python3.11 -m venv "$VENV"
    "$VENV/bin/pip" install -q -e "$APP"
fi
PY="$VENV/bin/python"
(cd "$APP" && PYTHONPATH="$APP" "$PY" -m server assets)  # compiles the translations too
ls "$APP"/translations/*/LC_MESSAGES/messages.mo >/dev/null || fail "the translations were not compiled"

step "3. settings in $ETC/vanguard.env"
DATA="$WORK/var/lib/vanguard"
PORT="$(free_port)"
{
    echo "VANGUARD_ENV=production"
    echo "VANGUARD_SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_hex(32))')"
    if [[ -n "${DEPLOY_CHECK_DATABASE_URL:-}" ]]; then echo "VANGUARD_DATABASE_URL=$DEPLOY_CHECK_DATABASE_URL"; fi
    echo "VANGUARD_INSTANCE_DIR=$DATA"
    echo "VANGUARD_UPLOADS_DIR=$DATA/uploads"
    echo "VANGUARD_STATIC_DIST=$DATA/static-dist"
    echo "VANGUARD_TRUSTED_PROXIES=127.0.0.1"
    echo "VANGUARD_SCHEDULER=embedded"
} > "$ETC/vanguard.env"
chmod 600 "$ETC/vanguard.env"
for name in $(env | sed -n 's/^\(VANGUARD_[A-Z_]*\)=.*/\1/p'); do unset "$name"; done
set -a; . "$ETC/vanguard.env"; set +a
export PYTHONPATH="$APP"  # a reused venv may hold an editable install of another checkout
cd "$APP"

step "4. the database and the first administrator"
"$PY" -m server upgrade
PASSWORD="Deploy-check-$(python3 -c 'import secrets; print(secrets.token_hex(4))')"
printf '%s\n' "$PASSWORD" | "$PY" -m server create-admin zuzhibu --unit-code qw --unit-name 某某区委 \
    --display-name 区委组织部管理员
if printf 'short\n' | "$PY" -m server create-admin other --unit-code qw --unit-name 某某区委 2>/dev/null; then
    fail "a weak password was accepted"
fi
if VANGUARD_DEMO=1 "$PY" -m server seed-demo 2>/dev/null; then fail "the demo seed ran in production"; fi

serve() {  # serve [instance dir]: gunicorn in the background, waits until /healthz answers
    "$VENV/bin/gunicorn" --workers 1 --threads 4 --bind "127.0.0.1:$PORT" --no-control-socket \
        server.wsgi:app >>"$WORK/gunicorn.log" 2>&1 &
    PIDS+=($!)
    for _ in $(seq 1 360); do
        if curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1; then return 0; fi
        kill -0 "${PIDS[-1]}" 2>/dev/null || { tail -20 "$WORK/gunicorn.log" >&2; fail "gunicorn exited"; }
        sleep 0.5
    done
    tail -20 "$WORK/gunicorn.log" >&2
    fail "gunicorn did not answer /healthz"
}
stop() { kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true; unset 'PIDS[-1]'; }

check_serving() {  # ready, the administrator logs in, metrics answer
    for _ in $(seq 1 60); do
        if curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null; then break; fi
        sleep 0.5
    done
    curl -fsS "http://127.0.0.1:$PORT/readyz" | grep -q '"status": *"ready"' || fail "/readyz is not ready"
    curl -fsS -o /dev/null -H 'Content-Type: application/json' \
        -d "{\"username\": \"zuzhibu\", \"password\": \"$PASSWORD\"}" "http://127.0.0.1:$PORT/api/session" \
        || fail "the administrator cannot log in"
    curl -fsS "http://127.0.0.1:$PORT/metrics" | grep -q '^vanguard_open_tasks ' || fail "/metrics"
}

step "5. serve (production mode) and check healthz, readyz, login, metrics"
serve
check_serving
grep -q '"message": "Vanguard .* starting: mode=production' "$WORK/gunicorn.log" || fail "no start-up line"

step "7. backup while serving (with an uploaded file)"
mkdir -p "$VANGUARD_UPLOADS_DIR/2027" && echo "活动照片" > "$VANGUARD_UPLOADS_DIR/2027/photo.txt"
"$PY" -m server backup "$WORK/backups/vanguard.tar.gz"
stop

step "7. restore into a fresh instance and serve it"
export VANGUARD_INSTANCE_DIR="$WORK/var/lib/vanguard-restored"
export VANGUARD_UPLOADS_DIR="$VANGUARD_INSTANCE_DIR/uploads"
if [[ -n "${DEPLOY_CHECK_DATABASE_URL:-}" ]]; then
    [[ -n "${DEPLOY_CHECK_RESTORE_URL:-}" ]] || fail "set DEPLOY_CHECK_RESTORE_URL: an empty database to restore into"
    export VANGUARD_DATABASE_URL="$DEPLOY_CHECK_RESTORE_URL"
fi
"$PY" -m server restore "$WORK/backups/vanguard.tar.gz"
[[ "$(cat "$VANGUARD_UPLOADS_DIR/2027/photo.txt")" == "活动照片" ]] || fail "the uploaded file was not restored"
"$PY" -m server version | grep -q "(up to date)" || fail "the restored database is not up to date"
serve
check_serving
stop

step "8. upgrade (with its backup when something changes)"
"$PY" -m server upgrade
echo "deploy-check: OK (docs/deploy.md steps 2-8)"
