#!/usr/bin/env bash
# A private MariaDB for development and tests: its data directory, socket, pid file and
# log live under the state folder (default .tuopin/mariadb); it listens on a unix socket
# and on 127.0.0.1 only; no system service is involved.
#
# Its administrator is the operating-system user that owns the data directory, and only
# that user: the account named like it (root when it is root) authenticates by the unix
# socket's peer credentials (unix_socket), so it has no password to leak and cannot be used
# over TCP or by another local user; there is no other root account and no anonymous one.
# `dsn` prints that account's DSN (no password in it). Instances made before this rule are
# converted at their next start. Services get their own users with passwords
# (deploy/local/lib.sh tuopin_db), passed in files, never on command lines.
#
#   deploy/local/mariadb.sh start|stop|status|dsn
#
# Environment: TUOPIN_STATE_DIR (default <repo>/.tuopin), TUOPIN_DB_PORT (default 3307),
# TUOPIN_DB_NAME (instance name, default "mariadb": tests use their own).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
state=${TUOPIN_STATE_DIR:-$repo/.tuopin}
name=${TUOPIN_DB_NAME:-mariadb}
port=${TUOPIN_DB_PORT:-3307}
dir=$state/$name
data=$dir/data
sock=$dir/mysqld.sock
pidf=$dir/mysqld.pid
log=$dir/mysqld.log
dbuser=$(id -un)

find_bin() {
  for b in "$@"; do
    if command -v "$b" >/dev/null 2>&1; then command -v "$b"; return 0; fi
    for d in /usr/sbin /usr/bin /usr/local/bin; do [ -x "$d/$b" ] && { echo "$d/$b"; return 0; }; done
  done
  echo "mariadb.sh: none of $* found; install mariadb-server" >&2
  exit 1
}

running() { [ -f "$pidf" ] && kill -0 "$(cat "$pidf")" 2>/dev/null; }

client() { "$(find_bin mariadb mysql)" --no-defaults --socket="$sock" -u"$dbuser" "$@"; }

# Makes the OS user's socket-authenticated account the only administrator: converts an
# instance installed with a password-less root (older versions of this script), and drops
# every other root and anonymous account. Idempotent; runs at every start.
protect() {
  local admin=(client)
  if ! client -e 'SELECT 1' >/dev/null 2>&1; then
    # An instance from before: root without a password, over the socket.
    admin=("$(find_bin mariadb mysql)" --no-defaults --socket="$sock" -uroot)
  fi
  "${admin[@]}" <<SQL
CREATE USER IF NOT EXISTS '$dbuser'@'localhost' IDENTIFIED VIA unix_socket;
ALTER USER '$dbuser'@'localhost' IDENTIFIED VIA unix_socket;
GRANT ALL PRIVILEGES ON *.* TO '$dbuser'@'localhost' WITH GRANT OPTION;
ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket;
SQL
  local user host
  client -N -B -e "SELECT user, host FROM mysql.user WHERE user = '' OR
    (user = 'root' AND host <> 'localhost') OR (user = '$dbuser' AND host <> 'localhost')" |
    while IFS=$'\t' read -r user host; do
      client -e "DROP USER '$user'@'$host'"
    done
}

start() {
  mkdir -p "$dir"
  chmod 700 "$dir"
  if running; then
    protect
    echo "mariadb: already running (socket $sock, port $port)"
    return 0
  fi
  if [ ! -d "$data/mysql" ]; then
    "$(find_bin mariadb-install-db mysql_install_db)" --no-defaults --datadir="$data" \
      --user="$dbuser" --auth-root-authentication-method=socket --auth-root-socket-user="$dbuser" \
      --skip-test-db >"$dir/install.log" 2>&1 || { cat "$dir/install.log" >&2; exit 1; }
  fi
  "$(find_bin mariadbd mysqld)" --no-defaults --datadir="$data" --socket="$sock" \
    --port="$port" --bind-address=127.0.0.1 --pid-file="$pidf" --log-error="$log" \
    --user="$(id -un)" --skip-name-resolve --max-connections=1000 \
    --innodb-buffer-pool-size="${TUOPIN_DB_BUFFER_POOL:-512M}" --innodb-log-file-size=256M \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
    --transaction-isolation=REPEATABLE-READ --default-time-zone=+00:00 \
    >/dev/null 2>&1 &
  # Wait, bounded, until it answers.
  for _ in $(seq 1 300); do
    if client -e 'SELECT 1' >/dev/null 2>&1 ||
      "$(find_bin mariadb mysql)" --no-defaults --socket="$sock" -uroot -e 'SELECT 1' >/dev/null 2>&1; then
      protect
      echo "mariadb: running (socket $sock, port $port)"
      return 0
    fi
    sleep 0.1
  done
  echo "mariadb: did not start; see $log" >&2
  tail -n 30 "$log" >&2 || true
  exit 1
}

stop() {
  if ! running; then echo "mariadb: not running"; return 0; fi
  local pid; pid=$(cat "$pidf")
  kill -TERM "$pid"
  for _ in $(seq 1 600); do
    kill -0 "$pid" 2>/dev/null || { echo "mariadb: stopped"; return 0; }
    sleep 0.1
  done
  echo "mariadb: still running after 60 s; killing" >&2
  kill -KILL "$pid" 2>/dev/null || true
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if running; then echo "running"; else echo "stopped"; exit 1; fi ;;
  dsn) echo "mysql://$dbuser@127.0.0.1:$port/mysql?socket=$sock" ;;
  sql) shift; client "$@" ;;
  *) echo "usage: $0 start|stop|status|dsn|sql [args]" >&2; exit 2 ;;
esac
