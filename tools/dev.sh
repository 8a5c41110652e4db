#!/usr/bin/env bash
# Developer commands of the collection_ruler repository.
#
#   tools/dev.sh demo    install what is needed, create a demo database, serve Odoo
#   tools/dev.sh test    run the test suite on a throwaway database
#   tools/dev.sh bench   time the collection run on a throwaway database
#
# Odoo 18 is found as an importable `odoo` package, or as the source tree named
# by ODOO_SRC. This script never downloads or builds Odoo.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCAL="$REPO/.local"
PY="${PYTHON:-python3}"
DB_USER="${COLLECTION_RULER_DB_USER:-odoo}"
DB_PASSWORD="${COLLECTION_RULER_DB_PASSWORD:-odoo}"
PGHOST="${PGHOST:-localhost}"
PGPORT="${PGPORT:-5432}"
HTTP_PORT="${HTTP_PORT:-8069}"

die() {
    echo "collection_ruler: $*" >&2
    exit 1
}

say() {
    echo "==> $*"
}

as_root() {
    if [ "$(id -u)" = 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo -n "$@"
    else
        return 1
    fi
}

# --------------------------------------------------------------------------
# Odoo
# --------------------------------------------------------------------------
find_odoo() {
    local no_odoo="no Odoo 18 found: make 'import odoo' work for $PY, or set ODOO_SRC to an Odoo 18 source tree"
    EXTRA_ADDONS=""
    if [ -n "${ODOO_SRC:-}" ]; then
        [ -f "$ODOO_SRC/odoo/release.py" ] || die "ODOO_SRC=$ODOO_SRC has no odoo/release.py: $no_odoo"
        export PYTHONPATH="$ODOO_SRC${PYTHONPATH:+:$PYTHONPATH}"
        # An official checkout keeps most addons in addons/, beside odoo/.
        [ -d "$ODOO_SRC/addons/web" ] && EXTRA_ADDONS="$ODOO_SRC/addons,"
    fi
    local version
    version="$(cd /tmp && "$PY" -c 'import odoo.release as r; print(r.version_info[0])' 2>/dev/null)" \
        || die "$no_odoo"
    [ "$version" = 18 ] || die "found Odoo $version, but collection_ruler needs Odoo 18: set ODOO_SRC to an Odoo 18 source tree"
    (cd /tmp && "$PY" -c 'import odoo.http, odoo.service.server' 2>/dev/null) \
        || die "Odoo 18 was found but its Python requirements are missing: install its requirements.txt into $PY"
    ADDONS_PATH="${EXTRA_ADDONS}$REPO"
}

# --------------------------------------------------------------------------
# What the project needs from the package registries
# --------------------------------------------------------------------------
ensure_python_deps() {
    if ! (cd /tmp && "$PY" -c 'import pytest, pytest_odoo, phonenumbers, odoo_test_helper' 2>/dev/null); then
        say "installing Python requirements"
        "$PY" -m pip install --quiet --disable-pip-version-check -r "$REPO/requirements-dev.txt" \
            || die "could not install $REPO/requirements-dev.txt"
    fi
}

ensure_apt_package() {
    # $1: a command, $2: the Debian package that provides it
    command -v "$1" >/dev/null 2>&1 && return 0
    say "installing $2 from Debian's packages"
    if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null 2>&1; then
        as_root apt-get update -qq >/dev/null 2>&1 || true
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null 2>&1 \
            || echo "collection_ruler: warning: could not install $2; PDFs will not be rendered" >&2
    fi
}

# --------------------------------------------------------------------------
# PostgreSQL
# --------------------------------------------------------------------------
pg_bin() {
    local bin
    bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
    if [ -n "$bin" ]; then
        echo "$bin"
    else
        dirname "$(command -v initdb 2>/dev/null || command -v pg_ctl 2>/dev/null || echo /usr/bin/x)"
    fi
}

ensure_postgres() {
    if pg_isready -q -h "$PGHOST" -p "$PGPORT" 2>/dev/null; then
        :
    elif [ "$(id -u)" = 0 ] && command -v pg_lsclusters >/dev/null 2>&1 \
        && [ -n "$(pg_lsclusters -h 2>/dev/null | awk -v p="$PGPORT" '$3 == p')" ]; then
        local cluster
        cluster="$(pg_lsclusters -h | awk -v p="$PGPORT" '$3 == p {print $1 " " $2; exit}')"
        say "starting PostgreSQL cluster $cluster"
        # shellcheck disable=SC2086
        pg_ctlcluster $cluster start || die "could not start PostgreSQL cluster $cluster"
    else
        start_private_cluster
    fi
    for _ in $(seq 1 30); do
        pg_isready -q -h "$PGHOST" -p "$PGPORT" && break
        sleep 1
    done
    pg_isready -q -h "$PGHOST" -p "$PGPORT" || die "PostgreSQL does not answer on $PGHOST:$PGPORT"
    ensure_db_role
}

start_private_cluster() {
    # A cluster of our own, owned by the current (non-root) user, for
    # machines where the system cluster cannot be started.
    [ "$(id -u)" != 0 ] || die "cannot start PostgreSQL on $PGHOST:$PGPORT"
    local bin data="$LOCAL/pgdata"
    bin="$(pg_bin)"
    [ -x "$bin/initdb" ] || die "PostgreSQL is not installed (no initdb found)"
    PGPORT="${PGPORT_PRIVATE:-5439}"
    PGHOST="$LOCAL"
    if [ ! -d "$data" ]; then
        say "creating a private PostgreSQL cluster in $data"
        "$bin/initdb" -D "$data" -A trust -U "$(id -un)" >/dev/null
    fi
    if ! pg_isready -q -h "$PGHOST" -p "$PGPORT"; then
        say "starting the private PostgreSQL cluster on port $PGPORT"
        "$bin/pg_ctl" -D "$data" -l "$LOCAL/pg.log" -w \
            -o "-p $PGPORT -k $LOCAL -c listen_addresses=''" start >/dev/null
    fi
    PRIVATE_CLUSTER=1
}

psql_admin() {
    if [ -n "${PRIVATE_CLUSTER:-}" ]; then
        psql -h "$PGHOST" -p "$PGPORT" -d postgres -tAq "$@"
    elif [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- psql -p "$PGPORT" -d postgres -tAq "$@"
    else
        sudo -n -u postgres psql -p "$PGPORT" -d postgres -tAq "$@"
    fi
}

ensure_db_role() {
    if [ -n "${PRIVATE_CLUSTER:-}" ]; then
        DB_USER="$(id -un)"
        [ "$DB_USER" != postgres ] || die "run as another user than postgres: Odoo refuses that role"
        DB_PASSWORD=""
        return
    fi
    [ "$DB_USER" != postgres ] || die "Odoo refuses the postgres role: set COLLECTION_RULER_DB_USER to another one"
    if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '$DB_USER'")" != 1 ]; then
        say "creating PostgreSQL role $DB_USER"
        psql_admin -c "CREATE ROLE \"$DB_USER\" LOGIN CREATEDB PASSWORD '$DB_PASSWORD'" \
            || die "could not create PostgreSQL role $DB_USER"
    fi
}

# --------------------------------------------------------------------------
# Odoo configuration
# --------------------------------------------------------------------------
write_config() {
    # $1: config path, $2: log file (may be empty)
    mkdir -p "$LOCAL/data" "$(dirname "$1")"
    {
        echo "[options]"
        echo "db_host = $PGHOST"
        echo "db_port = $PGPORT"
        echo "db_user = $DB_USER"
        echo "db_password = $DB_PASSWORD"
        echo "addons_path = $ADDONS_PATH"
        echo "data_dir = $LOCAL/data"
        echo "http_port = $HTTP_PORT"
        echo "max_cron_threads = 1"
        [ -z "$2" ] || echo "logfile = $2"
    } >"$1"
}

odoo() {
    (cd "$REPO" && "$PY" -m odoo "$@")
}

drop_db() {
    # $1: database name
    if [ -n "${PRIVATE_CLUSTER:-}" ]; then
        dropdb --if-exists -h "$PGHOST" -p "$PGPORT" "$1" 2>/dev/null || true
    else
        PGPASSWORD="$DB_PASSWORD" dropdb --if-exists -h "$PGHOST" -p "$PGPORT" -U "$DB_USER" "$1" \
            2>/dev/null || true
    fi
}

setup() {
    find_odoo
    ensure_python_deps
    ensure_apt_package wkhtmltopdf wkhtmltopdf
    ensure_postgres
}

# --------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------
cmd_demo() {
    setup
    local db="${DEMO_DB:-crdemo}" conf="$LOCAL/demo.conf"
    write_config "$conf" ""
    say "creating database $db with demo data and collection_ruler installed"
    drop_db "$db"
    # pt_BR is loaded so that the Brazilian demo customer gets Portuguese letters.
    local demo_log="$LOCAL/log/demo.log"
    mkdir -p "$LOCAL/log"
    odoo -c "$conf" -d "$db" -i collection_ruler --load-language=pt_BR \
        --stop-after-init --log-level=warn >"$demo_log" 2>&1 \
        || { tail -n 40 "$demo_log"; die "could not create the demo database $db"; }
    # Odoo logs a failed demo file and goes on: stop here instead.
    if grep -q "Failed to load demo\|ParseError" "$demo_log"; then
        grep -B2 -A20 "ParseError" "$demo_log" | head -n 40
        die "the demo data of collection_ruler failed to load (see $demo_log)"
    fi
    echo
    echo "Collection Ruler demo: http://localhost:$HTTP_PORT (database $db)"
    echo "Login: admin   Password: admin"
    echo
    [ -n "${DEMO_NO_SERVE:-}" ] && return 0
    odoo -c "$conf" -d "$db" --db-filter "^$db\$" --http-interface 0.0.0.0
}

cmd_test() {
    setup
    local db="crtest_$$" logdir="$LOCAL/log"
    mkdir -p "$logdir"
    local install_log="$logdir/install.log" test_log="$logdir/test.log"
    : >"$install_log"
    : >"$test_log"
    write_config "$LOCAL/test-install.conf" "$install_log"
    write_config "$LOCAL/test.conf" "$test_log"
    trap 'drop_db "'"$db"'"' EXIT
    drop_db "$db"
    # Brazil's localization comes along so that the letters' Pix codes are
    # tested through Odoo's own EMV QR support.
    say "creating database $db and installing collection_ruler and l10n_br (no demo data)"
    odoo -c "$LOCAL/test-install.conf" -d "$db" -i collection_ruler,l10n_br \
        --without-demo=all --stop-after-init --log-level=info \
        || { tail -n 40 "$install_log"; die "could not install collection_ruler"; }
    say "running the tests"
    local status=0
    (cd "$REPO" && "$PY" -m pytest -p no:cacheprovider \
        --odoo-config="$LOCAL/test.conf" --odoo-database="$db" --odoo-http \
        --odoo-log-level=info "$@" collection_ruler/tests) || status=$?
    # The module must log no warning or error of its own while installing or
    # under test; tests mute the ones they cause on purpose.
    local problems
    problems="$(grep -hE ' (WARNING|ERROR|CRITICAL) ' "$install_log" "$test_log" \
        | grep -i 'collection_ruler' || true)"
    if [ -n "$problems" ]; then
        echo "collection_ruler: the Odoo log has warnings or errors from this module:" >&2
        echo "$problems" >&2
        [ "$status" != 0 ] || status=1
    fi
    return "$status"
}

cmd_bench() {
    setup
    local db="crbench_$$" conf="$LOCAL/bench.conf"
    write_config "$conf" "$LOCAL/log/bench.log"
    mkdir -p "$LOCAL/log"
    trap 'drop_db "'"$db"'"' EXIT
    say "creating database $db and installing collection_ruler (no demo data)"
    odoo -c "$conf" -d "$db" -i collection_ruler --without-demo=all --stop-after-init \
        || die "could not install collection_ruler"
    (cd /tmp && "$PY" "$REPO/tools/benchmark.py" -c "$conf" -d "$db" "$@")
}

main() {
    local command="${1:-}"
    shift || true
    case "$command" in
        demo) cmd_demo "$@" ;;
        test) cmd_test "$@" ;;
        bench) cmd_bench "$@" ;;
        *)
            echo "usage: tools/dev.sh demo|test [pytest arguments]|bench [-n N]" >&2
            exit 2
            ;;
    esac
}

main "$@"
