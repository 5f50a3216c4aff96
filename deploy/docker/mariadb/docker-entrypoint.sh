#!/bin/bash
# The entry point of the local mariadb:10.11 stand-in (see Dockerfile beside it).
set -euo pipefail
[ "${1:0:1}" = - ] && set -- mariadbd "$@"
if [ "$1" != mariadbd ]; then exec "$@"; fi
shift
datadir=/var/lib/mysql
socket=/run/mysqld/mysqld.sock
common=(--datadir="$datadir" --socket="$socket" --bind-address=0.0.0.0)
log() { echo "entrypoint: $*" >&2; }

if [ ! -d "$datadir/mysql" ]; then
  password=${MARIADB_ROOT_PASSWORD:-}
  if [ -n "${MARIADB_ROOT_PASSWORD_FILE:-}" ]; then
    password=$(<"$MARIADB_ROOT_PASSWORD_FILE")
  fi
  if [ -z "$password" ]; then
    log "no MARIADB_ROOT_PASSWORD or MARIADB_ROOT_PASSWORD_FILE: refusing to create a database"
    exit 1
  fi
  log "first start: creating the system tables in $datadir"
  # Into a scratch folder first: a start killed half-way leaves no database the next start
  # would take for a finished one.
  rm -rf "$datadir/.init"
  mariadb-install-db --datadir="$datadir/.init" --auth-root-authentication-method=normal \
    --skip-test-db --skip-name-resolve >/dev/null
  mariadbd --datadir="$datadir/.init" --socket="$socket" --skip-networking "$@" &
  pid=$!
  for _ in $(seq 1 120); do
    mariadb --socket="$socket" -uroot -e 'SELECT 1' >/dev/null 2>&1 && break
    kill -0 $pid 2>/dev/null || { log "the server stopped while starting"; exit 1; }
    sleep 0.5
  done
  health=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
  sql() { mariadb --socket="$socket" -uroot --password="$password" "$@"; }
  mariadb --socket="$socket" -uroot <<SQL
DELETE FROM mysql.global_priv WHERE User = '' OR (User = 'root' AND Host <> 'localhost');
FLUSH PRIVILEGES;
ALTER USER 'root'@'localhost' IDENTIFIED BY '${password//\'/\'\'}';
CREATE USER 'root'@'%' IDENTIFIED BY '${password//\'/\'\'}';
GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;
CREATE USER 'healthcheck'@'localhost' IDENTIFIED BY '$health';
FLUSH PRIVILEGES;
SQL
  printf '[mariadb-client]\nuser=healthcheck\npassword=%s\nsocket=%s\n' "$health" "$socket" \
    >"$datadir/.init/.my-healthcheck.cnf"
  for f in /docker-entrypoint-initdb.d/*; do
    case $f in
      *.sql) log "running $f"; sql <"$f" ;;
      *) [ -e "$f" ] && log "ignoring $f" ;;
    esac
  done
  mariadb-admin --socket="$socket" -uroot --password="$password" shutdown
  wait $pid || true
  # The finished database moves into place in one step.
  shopt -s dotglob
  mv "$datadir"/.init/* "$datadir"/
  rmdir "$datadir/.init"
  log "first start done"
fi
exec mariadbd "${common[@]}" "$@"
