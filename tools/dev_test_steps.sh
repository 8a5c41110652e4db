# The linters and the steps of `tools/dev.sh test`, which sources this file.
# It uses dev.sh's variables (REPO, LOCAL, PY...) and helpers (say, odoo,
# drop_db...); see the step list at the top of dev.sh.
# shellcheck shell=bash

# --------------------------------------------------------------------------
# Linters
# --------------------------------------------------------------------------
# ruff with the settings of pyproject.toml, and pylint-odoo with OCA's
# mandatory checks (.pylintrc-mandatory). Both at the versions that OCA's
# template pins for Odoo 18.0 (requirements-dev.txt).
LINT_PATHS=("${MODULES[@]}")
RUFF_PATHS=("${MODULES[@]}" tools conftest.py setup.py)

run_lint() {
    # Runs every linter even when one fails; returns non-zero if any found
    # something, and adds one line per linter to STEP_REPORT.
    local status=0 t0 rc
    export RUFF_CACHE_DIR="$LOCAL/ruff-cache"
    t0="$(date +%s)"
    say "lint: ruff check ${RUFF_PATHS[*]}"
    rc=0
    (cd "$REPO" && "$PY" -m ruff check --no-fix --output-format=concise "${RUFF_PATHS[@]}") || rc=$?
    step_done "lint: ruff check" "$t0" "$(ok_or_failed "$rc")"
    [ "$rc" = 0 ] || status=1

    t0="$(date +%s)"
    say "lint: ruff format --check ${RUFF_PATHS[*]}"
    rc=0
    (cd "$REPO" && "$PY" -m ruff format --check "${RUFF_PATHS[@]}") || rc=$?
    step_done "lint: ruff format --check" "$t0" "$(ok_or_failed "$rc")"
    [ "$rc" = 0 ] || status=1

    t0="$(date +%s)"
    say "lint: pylint-odoo, OCA's mandatory checks (.pylintrc-mandatory)"
    rc=0
    (cd "$REPO" && "$PY" -m pylint --rcfile="$REPO/.pylintrc-mandatory" "${LINT_PATHS[@]}") || rc=$?
    if [ "$rc" = 0 ]; then
        echo "pylint-odoo: no finding"
    fi
    step_done "lint: pylint-odoo mandatory" "$t0" "$(ok_or_failed "$rc")"
    [ "$rc" = 0 ] || status=1

    t0="$(date +%s)"
    say "lint: each module's README.rst generated from its readme/*.md"
    rc=0
    (cd /tmp && "$PY" "$REPO/tools/gen_readme.py" --check) || rc=$?
    step_done "lint: README.rst up to date" "$t0" "$(ok_or_failed "$rc")"
    [ "$rc" = 0 ] || status=1
    return "$status"
}

# --------------------------------------------------------------------------
# Test steps
# --------------------------------------------------------------------------
# Installed beside the module in the test database: Brazil's localization, so
# that the letters' Pix codes are tested through Odoo's own EMV QR support.
TEST_EXTRA_MODULES="l10n_br"

# Odoo's own tests of the paths that collection_ruler hooks into: posting and
# writing invoices (its write override and stored computes), registering
# payments and reconciling (its _invoice_paid_hook), sending invoices, the
# portal invoice, and SMS. Only post_install tests are run (-at_install is
# added): an at_install test runs while the registry holds only the modules
# loaded before its own, so it never runs collection_ruler's code, and on a
# database with account installed sms's at_install tests fail anyway (the
# NOT NULL columns account adds to res_partner).
CORE_TEST_TAGS="${COLLECTION_RULER_CORE_TESTS:-/account/tests/test_account_move_out_invoice.py,\
/account/tests/test_account_payment_register.py,\
/account/tests/test_account_move_reconcile.py,\
/account/tests/test_account_move_send.py,\
/account/tests/test_portal_invoice.py,\
/sms}"

STEP_REPORT=()

step_done() {
    # $1: step, $2: its start (date +%s), $3: its result, in words
    STEP_REPORT+=("$(printf '%-30s %5ss  %s' "$1" "$(($(date +%s) - $2))" "$3")")
}

ok_or_failed() {
    # $1: an exit status
    if [ "$1" = 0 ]; then echo ok; else echo "FAILED (exit $1)"; fi
}

log_tool() {
    "$PY" "$REPO/tools/odoo_test_log.py" "$@"
}

# Odoo's runner logs a line at least every few seconds (each test starts with
# one); this long a silence means a test hangs.
ODOO_TEST_IDLE_TIMEOUT="${ODOO_TEST_IDLE_TIMEOUT:-120}"

odoo_test_run() {
    # $1: database, $2: log file, $3: --test-tags. Odoo 18 runs the
    # post_install tests of every installed module after loading the
    # registry, so no -u is needed (and none is wanted: it would reload the
    # module's data first); the tags select the tests.
    # A run that hangs is stopped, after Odoo has dumped the stacks of its
    # threads into the log (SIGQUIT), and HUNG names the test.
    local log="$2" pid idle
    HUNG=""
    : >"$log"
    (cd "$REPO" && exec "$PY" -m odoo -c "$LOCAL/test-odoo.conf" -d "$1" --test-tags "$3" \
        --stop-after-init --log-level=info --logfile="$log") &
    pid=$!
    while kill -0 "$pid" 2>/dev/null; do
        sleep 5
        idle=$(($(date +%s) - $(stat -c %Y "$log")))
        if [ "$idle" -ge "$ODOO_TEST_IDLE_TIMEOUT" ]; then
            HUNG="$(grep -o ': Starting [^ ]*' "$log" | tail -n 1 | cut -c12-)"
            HUNG="${HUNG:-the run}"
            echo "collection_ruler: Odoo's runner logged nothing for ${idle}s: $HUNG hangs;" \
                "the stacks of its threads are at the end of $log" >&2
            kill -QUIT "$pid" 2>/dev/null || true
            sleep 5
            kill -TERM "$pid" 2>/dev/null || true
            sleep 10
            kill -KILL "$pid" 2>/dev/null || true
            break
        fi
    done
    # (stderr: not bash's "Killed" notice; Odoo itself logs to the file.)
    wait "$pid" 2>/dev/null
}

hung_result() {
    # The step result of a run that odoo_test_run stopped.
    echo "FAILED: $HUNG hangs (nothing logged for ${ODOO_TEST_IDLE_TIMEOUT}s)"
}

odoo_test_counts() {
    # $1: log. Sets RAN, FAILED and ERRORS from the runner's summary line;
    # fails when there is none (Odoo stopped before or while running tests).
    local counts
    counts="$(log_tool summary "$1")" || return 1
    read -r RAN FAILED ERRORS <<<"$counts"
}

indent() {
    # stdin: one test spec a line
    sed 's/^/        /'
}

skipped() {
    # $1: a step of `test` that TEST_SKIP may name
    [[ ",${TEST_SKIP:-}," == *",$1,"* ]]
}

drop_test_dbs() {
    local d
    for d in "${TEST_DBS[@]}"; do
        drop_db "$d"
    done
}

odoo_run_counted() {
    # $1: log of an odoo_test_run, $2: its exit status. Sets RAN, FAILED and
    # ERRORS; fails, with STEP_RESULT, when the run hung or ran no test.
    if [ -n "$HUNG" ]; then
        STEP_RESULT="$(hung_result)"
        return 1
    fi
    if ! odoo_test_counts "$1"; then
        tail -n 40 "$1" >&2
        STEP_RESULT="FAILED: Odoo stopped before running the tests (exit $2, see $1)"
        return 1
    fi
}

run_module_odoo_tests() {
    # $1: log, $2: database with the module. The module's tests through
    # Odoo's own runner; zero tests run is a failure.
    local log="$1" db="$2" rc=0 started=0 count module tags
    tags="$(printf '/%s,' "${MODULES[@]}")"
    tags="${tags%,}"
    say "the modules' tests through Odoo's test runner (--test-tags $tags; log: $log)"
    odoo_test_run "$db" "$log" "$tags" || rc=$?
    odoo_run_counted "$log" "$rc" || return 1
    for module in "${MODULES[@]}"; do
        count="$(log_tool started "$log" "$module")"
        if [ "$count" = 0 ]; then
            STEP_RESULT="FAILED: no test of $module ran (see $log)"
            echo "collection_ruler: $STEP_RESULT" >&2
            return 1
        fi
        started=$((started + count))
    done
    STEP_RESULT="$started tests, $FAILED failed, $ERRORS errors"
    if [ "$RAN" = 0 ]; then
        STEP_RESULT="FAILED: no test ran (see $log)"
        echo "collection_ruler: $STEP_RESULT" >&2
        return 1
    fi
    echo "Odoo's runner: $STEP_RESULT"
    if [ "$FAILED" != 0 ] || [ "$ERRORS" != 0 ] || [ "$rc" != 0 ]; then
        echo "collection_ruler: these tests fail under Odoo's runner (see $log):" >&2
        log_tool failures "$log" | indent >&2
        STEP_RESULT="FAILED: $STEP_RESULT"
        return 1
    fi
}

run_core_tests() {
    # $1: log, $2: database with the module. Odoo's own tests of the paths
    # the module hooks into. Returns 2 when some fail, with their specs in
    # BASELINE_SPECS for baseline_core_tests.
    local log="$1" db="$2" rc=0 specs
    say "Odoo's own tests of what the module hooks into (account, sms; log: $log)"
    odoo_test_run "$db" "$log" "$CORE_TEST_TAGS,-at_install" || rc=$?
    odoo_run_counted "$log" "$rc" || return 1
    if [ "$RAN" = 0 ]; then
        STEP_RESULT="FAILED: no core test ran (see $log)"
        echo "collection_ruler: $STEP_RESULT" >&2
        return 1
    fi
    STEP_RESULT="$RAN tests, $FAILED failed, $ERRORS errors"
    echo "core tests with collection_ruler installed: $STEP_RESULT"
    if [ "$FAILED" = 0 ] && [ "$ERRORS" = 0 ] && [ "$rc" = 0 ]; then
        return 0
    fi
    specs="$(log_tool failures "$log")"
    if [ -z "$specs" ]; then
        STEP_RESULT="FAILED: $STEP_RESULT, which the log does not name (see $log)"
        echo "collection_ruler: $STEP_RESULT" >&2
        return 1
    fi
    echo "these core tests fail with collection_ruler installed:"
    echo "$specs" | indent
    BASELINE_SPECS="$specs"
    return 2
}

baseline_core_tests() {
    # $1: log of the core tests, $2: baseline database, $3: its install log,
    # $4: its test log. Re-runs the core tests that failed with the module,
    # on a fresh database with the module's dependencies and
    # TEST_EXTRA_MODULES only; fails for those that pass there.
    local core_log="$1" db="$2" install_log="$3" log="$4" deps rc=0 broken
    # What the modules depend on, outside this repository.
    local manifests=() module
    for module in "${MODULES[@]}"; do
        manifests+=("$REPO/$module/__manifest__.py")
    done
    deps="$(cd /tmp && "$PY" -c 'import ast, sys
ours = {path.split("/")[-2] for path in sys.argv[1:]}
deps = {dep for path in sys.argv[1:] for dep in ast.literal_eval(open(path).read())["depends"]}
print(",".join(sorted(deps - ours)))' "${manifests[@]}")"
    say "re-running them on database $db with $deps,$TEST_EXTRA_MODULES and without $MODULES_CSV"
    drop_db "$db"
    : >"$install_log"
    if ! odoo -c "$LOCAL/test-odoo.conf" -d "$db" -i "$deps,$TEST_EXTRA_MODULES" \
        --without-demo=all --stop-after-init --log-level=info --logfile="$install_log"; then
        tail -n 40 "$install_log" >&2
        STEP_RESULT="FAILED: could not create the database without the module (see $install_log)"
        return 1
    fi
    odoo_test_run "$db" "$log" "$(echo "$BASELINE_SPECS" | paste -sd, -),-at_install" || rc=$?
    if [ -n "$HUNG" ]; then
        STEP_RESULT="$(hung_result)"
        return 1
    fi
    if ! odoo_test_counts "$log" || [ "$RAN" = 0 ]; then
        tail -n 40 "$log" >&2
        STEP_RESULT="FAILED: the re-run without the module ran no test (exit $rc, see $log)"
        return 1
    fi
    local same
    broken="$(log_tool blame "$core_log" "$log")"
    same="$(log_tool failures "$log")"
    if [ -n "$same" ]; then
        echo "these fail without collection_ruler too, so they are not held against it:"
        echo "$same" | indent
    fi
    if [ -n "$broken" ]; then
        echo "collection_ruler: these core tests pass without collection_ruler and FAIL with it:" >&2
        echo "$broken" | indent >&2
        STEP_RESULT="FAILED: $(echo "$broken" | wc -l) core tests broken by collection_ruler"
        return 1
    fi
    STEP_RESULT="ok: they fail without the module too"
}

scan_logs() {
    # $@: Odoo logs. Prints the warnings and errors that this module logged;
    # the failures of its tests are left out: their step reports them.
    grep -hE ' (WARNING|ERROR|CRITICAL) ' "$@" 2>/dev/null \
        | grep -i 'collection_ruler' \
        | grep -vE ' odoo\.addons\.collection_ruler[[:alnum:]_]*\.tests\.[[:alnum:]_.]+: (FAIL|ERROR): ' || true
}
