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
  # No mysql/: no finished database. What an interrupted first start left is removed.
  find "$datadir" -mindepth 1 -maxdepth 1 ! -name lost+found -exec rm -rf {} +
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
  # The password reaches the clients in MYSQL_PWD (a process's environment is private to
  # it; its command line is not) and the server as an SQL string: backslashes, then quotes
  # escaped.
  literal=${password//\\/\\\\}
  literal=${literal//\'/\\\'}
  root_host=${MARIADB_ROOT_HOST:-%}
  root_host=${root_host//\\/\\\\}
  root_host=${root_host//\'/\\\'}
  sql() { MYSQL_PWD=$password mariadb --socket="$socket" -uroot "$@"; }
  {
    echo "DELETE FROM mysql.global_priv WHERE User = '' OR (User = 'root' AND Host <> 'localhost');"
    echo "FLUSH PRIVILEGES;"
    echo "ALTER USER 'root'@'localhost' IDENTIFIED BY '$literal';"
    if [ "$root_host" != localhost ]; then
      echo "CREATE USER 'root'@'$root_host' IDENTIFIED BY '$literal';"
      echo "GRANT ALL ON *.* TO 'root'@'$root_host' WITH GRANT OPTION;"
    fi
    echo "CREATE USER 'healthcheck'@'localhost' IDENTIFIED BY '$health';"
    echo "FLUSH PRIVILEGES;"
  } | mariadb --socket="$socket" -uroot
  printf '[mariadb-client]\nuser=healthcheck\npassword=%s\nsocket=%s\n' "$health" "$socket" \
    >"$datadir/.init/.my-healthcheck.cnf"
  for f in /docker-entrypoint-initdb.d/*; do
    case $f in
      *.sql) log "running $f"; sql <"$f" ;;
      *) [ -e "$f" ] && log "ignoring $f" ;;
    esac
  done
  MYSQL_PWD=$password mariadb-admin --socket="$socket" -uroot shutdown
  wait $pid || true
  # Into place, mysql/ last: until it is there, the next start takes the folder for an
  # unfinished one and begins again.
  shopt -s dotglob
  for f in "$datadir"/.init/*; do
    [ "$(basename "$f")" = mysql ] || mv "$f" "$datadir"/
  done
  mv "$datadir/.init/mysql" "$datadir/mysql"
  rmdir "$datadir/.init"
  log "first start done"
fi
exec mariadbd "${common[@]}" "$@"
