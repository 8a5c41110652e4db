# PostgreSQL for tools/dev.sh, which sources this file: start it, or a
# private cluster, and make the role Odoo connects with. It uses dev.sh's
# variables (REPO, LOCAL, PGHOST, PGPORT, DB_USER...) and helpers.
# shellcheck shell=bash

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
