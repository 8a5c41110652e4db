#!/usr/bin/env bash
# Developer commands of the collection_ruler repository.
#
#   tools/dev.sh demo    install what is needed, create a demo database, serve Odoo
#   tools/dev.sh test    lint, then run the tests on throwaway databases
#   tools/dev.sh lint    only the linters: ruff and pylint-odoo's mandatory checks
#   tools/dev.sh bench   time the collection run on a throwaway database
#   tools/dev.sh bench-install [-n N]  time the install on N open invoices
#
# `test` runs, in this order, and fails if any step fails:
#   1. lint: ruff check, ruff format --check, pylint-odoo's mandatory checks,
#      and collection_ruler/README.rst up to date with readme/*.md;
#   2. install the modules (collection_ruler and its bridges, every folder
#      with a __manifest__.py) and l10n_br on a throwaway database, and check
#      that each module's .pot holds every term the install has;
#   3. the modules' tests through Odoo's own test runner (on a copy);
#   4. Odoo's own tests of what the module hooks into (on another copy); the
#      ones that fail are re-run on a database without the module, and only
#      those that pass there fail the step;
#   5. a scan of the Odoo logs for warnings and errors of this module;
#   6. the modules' tests through pytest-odoo, last, so that pytest's summary
#      line closes the output (CI reads it).
# Logs go to .local/log/ (TEST_LOG_DIR to change it); step timings are
# printed before pytest runs and written to timings.txt there. While working
# on one test, TEST_SKIP=lint,odoo,core leaves those steps out (CI never does).
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

# The repository's modules: each folder with a __manifest__.py, the core
# first (its bridges depend on it). Every command works on all of them.
MODULES=(collection_ruler)
for manifest in "$REPO"/*/__manifest__.py; do
    module="$(basename "$(dirname "$manifest")")"
    [ "$module" = collection_ruler ] || MODULES+=("$module")
done
MODULES_CSV="$(IFS=,; echo "${MODULES[*]}")"

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
python_deps_ok() {
    # Everything in requirements-dev.txt importable, at the pinned version
    # where a line pins one (the linters: their findings depend on it).
    (cd /tmp && "$PY" - "$REPO/requirements-dev.txt" <<'EOF'
import re
import sys
from importlib.metadata import version

import odoo_test_helper, phonenumbers, pylint_odoo, pytest, pytest_odoo, ruff, websocket  # noqa

for line in open(sys.argv[1]):
    match = re.match(r"\s*([A-Za-z0-9_.-]+)\s*(==\s*(\S+))?", line.split("#")[0])
    if match and match[3] and version(match[1]) != match[3]:
        sys.exit(1)
EOF
    ) >/dev/null 2>&1
}

ensure_python_deps() {
    if ! python_deps_ok; then
        say "installing Python requirements"
        "$PY" -m pip install --quiet --disable-pip-version-check -r "$REPO/requirements-dev.txt" \
            || die "could not install $REPO/requirements-dev.txt"
    fi
}

ensure_apt_package() {
    # $1: a command, $2: the Debian package that provides it, $3: what is
    # lost without it
    command -v "$1" >/dev/null 2>&1 && return 0
    say "installing $2 from Debian's packages"
    if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null 2>&1; then
        as_root apt-get update -qq >/dev/null 2>&1 || true
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null 2>&1 \
            || echo "collection_ruler: warning: could not install $2; $3" >&2
    fi
}

# PostgreSQL: tools/dev_postgres.sh
source "$REPO/tools/dev_postgres.sh"

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

pg_client() {
    # $1: a PostgreSQL client (dropdb, createdb...), then its arguments.
    # -w: never wait for a password on the terminal.
    local client="$1"
    shift
    if [ -n "${PRIVATE_CLUSTER:-}" ]; then
        "$client" -w -h "$PGHOST" -p "$PGPORT" "$@"
    else
        PGPASSWORD="$DB_PASSWORD" "$client" -w -h "$PGHOST" -p "$PGPORT" -U "$DB_USER" "$@"
    fi
}

drop_db() {
    # $1: database name. Its filestore goes too. --force (PostgreSQL 13+)
    # ends the sessions of a test run that was stopped.
    pg_client dropdb --if-exists --force "$1" 2>/dev/null \
        || pg_client dropdb --if-exists "$1" 2>/dev/null || true
    rm -rf "${LOCAL:?}/data/filestore/$1"
}

copy_db() {
    # $1: template database, $2: new database. Much faster than installing
    # again; the filestore is copied as Odoo's own duplicate does.
    local store="$LOCAL/data/filestore"
    drop_db "$2"
    pg_client createdb -T "$1" "$2" || return 1
    if [ -d "$store/$1" ]; then
        cp -a "$store/$1" "$store/$2"
    fi
}

free_port() {
    "$PY" -c 'import socket; s = socket.socket(); s.bind(("", 0)); print(s.getsockname()[1])'
}

setup() {
    find_odoo
    ensure_python_deps
    ensure_apt_package wkhtmltopdf wkhtmltopdf "PDFs will not be rendered"
    ensure_apt_package chromium chromium "the browser tests will be skipped"
    ensure_postgres
}

# Linters and test steps: tools/dev_test_steps.sh
source "$REPO/tools/dev_test_steps.sh"

# --------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------
cmd_demo() {
    setup
    local db="${DEMO_DB:-crdemo}" conf="$LOCAL/demo.conf"
    write_config "$conf" ""
    say "creating database $db with demo data and $MODULES_CSV installed"
    drop_db "$db"
    # pt_BR is loaded so that the Brazilian demo customer gets Portuguese letters.
    local demo_log="$LOCAL/log/demo.log"
    mkdir -p "$LOCAL/log"
    # A Brazilian company first, so that accounting installs Brazil's chart of
    # accounts in BRL; then the module with l10n_br and a test payment provider.
    odoo -c "$conf" -d "$db" -i base --load-language=pt_BR \
        --stop-after-init --log-level=warn >"$demo_log" 2>&1 \
        || { tail -n 40 "$demo_log"; die "could not create the demo database $db"; }
    DEMO_STAGE=company odoo shell -c "$conf" -d "$db" --log-level=warn \
        <"$REPO/tools/demo_brazil.py" >>"$demo_log" 2>&1 \
        || { tail -n 40 "$demo_log"; die "could not set up the demo company"; }
    odoo -c "$conf" -d "$db" -i l10n_br,payment_demo \
        --stop-after-init --log-level=warn >>"$demo_log" 2>&1 \
        || { tail -n 40 "$demo_log"; die "could not install l10n_br in $db"; }
    odoo -c "$conf" -d "$db" -i "$MODULES_CSV" \
        --stop-after-init --log-level=warn >>"$demo_log" 2>&1 \
        || { tail -n 40 "$demo_log"; die "could not install $MODULES_CSV in $db"; }
    DEMO_STAGE=payment odoo shell -c "$conf" -d "$db" --log-level=warn \
        <"$REPO/tools/demo_brazil.py" >>"$demo_log" 2>&1 \
        || { tail -n 40 "$demo_log"; die "could not set up the demo payment"; }
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

cmd_lint() {
    ensure_python_deps
    local status=0
    run_lint || status=$?
    printf '    %s\n' "${STEP_REPORT[@]}"
    return "$status"
}

cmd_test() {
    setup
    local db="crtest_$$" logdir="${TEST_LOG_DIR:-$LOCAL/log}"
    local odoo_db="crtest_$$_odoo" core_db="crtest_$$_core" base_db="crtest_$$_base"
    mkdir -p "$logdir"
    local install_log="$logdir/install.log" test_log="$logdir/test.log"
    local odoo_log="$logdir/odoo-tests.log" core_log="$logdir/core-tests.log"
    local base_install_log="$logdir/core-baseline-install.log" base_log="$logdir/core-baseline.log"
    local timings="$logdir/timings.txt"
    rm -f "$base_install_log" "$base_log"
    : >"$install_log"
    : >"$test_log"
    # A port of this run's own: the tests serve HTTP, and another Odoo (a
    # demo, someone else's test run) may hold the usual one.
    HTTP_PORT="${TEST_HTTP_PORT:-$(free_port)}"
    write_config "$LOCAL/test-install.conf" "$install_log"
    write_config "$LOCAL/test.conf" "$test_log"
    write_config "$LOCAL/test-odoo.conf" ""
    TEST_DBS=("$db" "$odoo_db" "$core_db" "$base_db")
    trap drop_test_dbs EXIT
    drop_db "$db"
    local status=0 failed_steps="" t0 t_all
    t_all="$(date +%s)"

    # 1. Lint first: it is quick, and its findings are worth reading first.
    if ! skipped lint; then
        run_lint || { status=1; failed_steps+=" lint"; }
    fi

    # 2. One install; the Odoo runner steps work on copies of it.
    t0="$(date +%s)"
    say "creating database $db and installing $MODULES_CSV and $TEST_EXTRA_MODULES (no demo data)"
    odoo -c "$LOCAL/test-install.conf" -d "$db" -i "$MODULES_CSV,$TEST_EXTRA_MODULES" \
        --without-demo=all --stop-after-init --log-level=info \
        || { tail -n 40 "$install_log"; die "could not install $MODULES_CSV"; }
    step_done "install" "$t0" ok

    # The translation template must hold every term that the install has.
    if ! skipped lint; then
        t0="$(date +%s)"
        local rc=0 module
        for module in "${MODULES[@]}"; do
            say "translations: $module.pot holds every term of the module"
            odoo -c "$LOCAL/test-install.conf" -d "$db" --i18n-export="$LOCAL/exported-$module.pot" \
                --modules="$module" --stop-after-init --log-level=warn \
                && (cd /tmp && "$PY" "$REPO/tools/check_pot.py" "$LOCAL/exported-$module.pot" "$module") \
                || rc=$?
        done
        step_done "translation template" "$t0" "$(ok_or_failed "$rc")"
        [ "$rc" = 0 ] || { status=1; failed_steps+=" pot"; }
    fi

    # 3. The module's tests through Odoo's own runner.
    : >"$odoo_log"
    if ! skipped odoo; then
        t0="$(date +%s)"
        STEP_RESULT=""
        if copy_db "$db" "$odoo_db"; then
            run_module_odoo_tests "$odoo_log" "$odoo_db" || { status=1; failed_steps+=" odoo-runner"; }
        else
            STEP_RESULT="FAILED: could not copy $db"
            status=1
            failed_steps+=" odoo-runner"
        fi
        drop_db "$odoo_db"
        step_done "module tests (Odoo runner)" "$t0" "${STEP_RESULT:-FAILED}"
    fi

    # 4. Odoo's own tests, with the module installed; their failures checked
    # without it.
    : >"$core_log"
    if ! skipped core; then
        t0="$(date +%s)"
        STEP_RESULT=""
        BASELINE_SPECS=""
        local rc=0
        if copy_db "$db" "$core_db"; then
            run_core_tests "$core_log" "$core_db" || rc=$?
        else
            STEP_RESULT="FAILED: could not copy $db"
            rc=1
        fi
        drop_db "$core_db"
        step_done "core tests, module installed" "$t0" "${STEP_RESULT:-FAILED}"
        if [ "$rc" = 2 ]; then
            t0="$(date +%s)"
            rc=0
            baseline_core_tests "$core_log" "$base_db" "$base_install_log" "$base_log" || rc=$?
            drop_db "$base_db"
            step_done "core failures, without module" "$t0" "${STEP_RESULT:-FAILED}"
        fi
        [ "$rc" = 0 ] || { status=1; failed_steps+=" core-tests"; }
    fi

    # 5. The module must log no warning or error of its own while installing
    # or under test; tests mute the ones they cause on purpose. pytest's log
    # is scanned after it ran.
    local problems
    problems="$(scan_logs "$install_log" "$odoo_log" "$core_log")"
    if [ -n "$problems" ]; then
        echo "collection_ruler: the Odoo logs have warnings or errors from this module:" >&2
        echo "$problems" >&2
        status=1
        failed_steps+=" log-scan"
        STEP_REPORT+=("$(printf '%-30s %5s   %s' "log scan" "" "FAILED")")
    fi

    {
        say "steps before pytest (logs in $logdir):"
        printf '    %s\n' "${STEP_REPORT[@]}"
        if [ "$status" != 0 ]; then
            echo "collection_ruler: failed so far:$failed_steps; pytest runs all the same, and make test fails whatever pytest says"
        fi
    } | tee "$timings"

    # 6. pytest last: CI reads its summary line at the end of the output.
    t0="$(date +%s)"
    say "running the tests with pytest"
    local pytest_status=0
    (cd "$REPO" && "$PY" -m pytest -p no:cacheprovider \
        --odoo-config="$LOCAL/test.conf" --odoo-database="$db" --odoo-http \
        --odoo-log-level=info "$@" "${MODULES[@]/%//tests}") || pytest_status=$?
    {
        step_done "pytest" "$t0" "$(ok_or_failed "$pytest_status")"
        printf '    %s\n' "${STEP_REPORT[-1]}"
        printf '    %-30s %5ss\n' "total" "$(($(date +%s) - t_all))"
    } >>"$timings"
    [ "$pytest_status" = 0 ] || status="$pytest_status"
    problems="$(scan_logs "$test_log")"
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
    say "creating database $db and installing $MODULES_CSV (no demo data)"
    odoo -c "$conf" -d "$db" -i "$MODULES_CSV" --without-demo=all --stop-after-init \
        || die "could not install $MODULES_CSV"
    (cd /tmp && "$PY" "$REPO/tools/benchmark.py" -c "$conf" -d "$db" "$@")
}

cmd_bench_install() {
    setup
    local db="crinstall_$$" conf="$LOCAL/bench.conf"
    write_config "$conf" "$LOCAL/log/bench-install.log"
    mkdir -p "$LOCAL/log"
    trap 'drop_db "'"$db"'"' EXIT
    say "creating database $db with account only (no demo data)"
    odoo -c "$conf" -d "$db" -i account --without-demo=all --stop-after-init \
        || die "could not install account"
    (cd /tmp && "$PY" "$REPO/tools/bench_install.py" -c "$conf" -d "$db" "$@")
}

main() {
    local command="${1:-}"
    shift || true
    case "$command" in
        demo) cmd_demo "$@" ;;
        test) cmd_test "$@" ;;
        lint) cmd_lint ;;
        bench) cmd_bench "$@" ;;
        bench-install) cmd_bench_install "$@" ;;
        *)
            echo "usage: tools/dev.sh demo|test [pytest arguments]|lint|bench [-n N]|bench-install [-n N]" >&2
            exit 2
            ;;
    esac
}

main "$@"
