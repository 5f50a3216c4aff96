# Shared by deploy/local/up, deploy/local/down and tests/bench/run: keys, per-service
# databases and users, and starting/stopping the suite's processes with pid and port
# files under a run folder. Source it; it defines functions only.
#
# Expects: repo (the checkout), state (the .tuopin folder), build (the build folder),
# run_dir (where pid, port and log files go), and a running private MariaDB started by
# deploy/local/mariadb.sh with TUOPIN_DB_NAME/TUOPIN_DB_PORT exported.

tuopin_keys() {
  local keys=$state/keys
  mkdir -p "$keys"
  chmod 700 "$keys"
  [ -s "$keys/internal.key" ] || head -c 48 /dev/urandom | base64 -w0 >"$keys/internal.key"
  [ -s "$keys/jwt-hs256.secret" ] || head -c 48 /dev/urandom | base64 -w0 >"$keys/jwt-hs256.secret"
  # Personnel's key file of personal data: "<key id> <64 hex>" lines, the last current
  # (docs/OPERATIONS.md "Personal data keys"); rotate by appending a line.
  [ -s "$keys/pii.keys" ] || echo "dev-1 $(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
    >"$keys/pii.keys"
  chmod 600 "$keys"/*
}

# Creates database tuopin_<service> and its own user with a password; writes the service's
# DSN to $state/keys/db-<service>.dsn (mode 0600) and prints that file's path, for
# --db_dsn_file: passwords never travel on a command line (the SQL goes to the client on
# its standard input, the DSN to the service in a file). With TUOPIN_DB_FRESH=1 an
# existing database is dropped first (benchmarks).
tuopin_db() {
  local service=$1 keys=$state/keys
  if [ "${TUOPIN_DB_FRESH:-0}" = 1 ]; then
    "$repo/deploy/local/mariadb.sh" sql -e "DROP DATABASE IF EXISTS tuopin_$service"
  fi
  local pwfile=$keys/db-$service.password dsnfile=$keys/db-$service.dsn
  (umask 077; [ -s "$pwfile" ] || head -c 18 /dev/urandom | base64 -w0 | tr -d '/+=' >"$pwfile")
  local pw; pw=$(cat "$pwfile")
  "$repo/deploy/local/mariadb.sh" sql <<SQL
CREATE DATABASE IF NOT EXISTS tuopin_$service CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS 'tuopin_$service'@'localhost' IDENTIFIED BY '$pw';
CREATE USER IF NOT EXISTS 'tuopin_$service'@'127.0.0.1' IDENTIFIED BY '$pw';
ALTER USER 'tuopin_$service'@'localhost' IDENTIFIED BY '$pw';
ALTER USER 'tuopin_$service'@'127.0.0.1' IDENTIFIED BY '$pw';
GRANT ALL ON tuopin_$service.* TO 'tuopin_$service'@'localhost';
GRANT ALL ON tuopin_$service.* TO 'tuopin_$service'@'127.0.0.1';
SQL
  local sock; sock=$("$repo/deploy/local/mariadb.sh" dsn | sed 's/.*socket=//')
  (umask 077
    echo "mysql://tuopin_$service:$pw@127.0.0.1:${TUOPIN_DB_PORT}/tuopin_$service?socket=$sock&pool=16" \
      >"$dsnfile")
  chmod 600 "$pwfile" "$dsnfile"
  echo "$dsnfile"
}

# tuopin_start NAME BINARY ARGS...: starts a process in the background, waits (bounded)
# until it has written its port file, and prints "<grpc port> <metrics port> [...]".
tuopin_start() {
  local name=$1 bin=$2; shift 2
  mkdir -p "$run_dir"
  rm -f "$run_dir/$name.ports"
  "$bin" --port_file="$run_dir/$name.ports" "$@" >>"$run_dir/$name.log" 2>&1 &
  echo $! >"$run_dir/$name.pid"
  for _ in $(seq 1 300); do
    [ -s "$run_dir/$name.ports" ] && { cat "$run_dir/$name.ports"; return 0; }
    kill -0 "$(cat "$run_dir/$name.pid")" 2>/dev/null || break
    sleep 0.1
  done
  echo "tuopin: $name did not start; last lines of $run_dir/$name.log:" >&2
  tail -n 20 "$run_dir/$name.log" >&2
  return 1
}

# Stops every process with a pid file in the run folder (SIGTERM, then a bounded wait).
tuopin_stop_all() {
  [ -d "$run_dir" ] || return 0
  local f pid
  for f in "$run_dir"/*.pid; do
    [ -e "$f" ] || continue
    pid=$(cat "$f")
    kill -TERM "$pid" 2>/dev/null || true
  done
  for f in "$run_dir"/*.pid; do
    [ -e "$f" ] || continue
    pid=$(cat "$f")
    for _ in $(seq 1 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$f"
  done
}
