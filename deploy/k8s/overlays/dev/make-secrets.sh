#!/usr/bin/env bash
# Writes the development overlay's secret files into secrets/ (git-ignored), once: random
# keys and passwords, an Ed25519 checkpoint key, the services' DSNs for the in-cluster
# MariaDB, its init.sql, and HS256 service tokens valid for 24 hours (the gateway's
# --jwt_max_lifetime). Keys, passwords and DSNs are kept once made; the service tokens are
# minted afresh at every run, so running it again and re-applying the overlay rotates them
# (the services re-read their token file; docs/OPERATIONS.md, "Key rotation"). Development
# only: production Secrets come from your secret store (overlays/prod/secrets.template.yaml).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../../.." && pwd)
out=$here/secrets
mkdir -p "$out"
chmod 700 "$out"
rand() { head -c 32 /dev/urandom | base64 -w0 | tr -d '/+='; }
[ -s "$out/internal.key" ] || rand >"$out/internal.key"
[ -s "$out/jwt-hs256.secret" ] || rand >"$out/jwt-hs256.secret"
[ -s "$out/jwks.json" ] || echo '{"keys": []}' >"$out/jwks.json"
# Personnel's key file of personal data: "<key id> <64 hex>", the last line current.
[ -s "$out/pii.keys" ] || echo "dev-1 $(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" >"$out/pii.keys"
[ -s "$out/checkpoint.pem" ] || openssl genpkey -algorithm ed25519 -out "$out/checkpoint.pem" 2>/dev/null
[ -s "$out/mariadb-root.password" ] || rand >"$out/mariadb-root.password"
# A service added later gets its database line appended (MariaDB runs init.sql on its first
# start only: an existing dev cluster needs the new lines run by hand).
touch "$out/init.sql"
for s in personnel funds tasks accountability auditlog; do
  [ -s "$out/dsn-$s" ] && continue
  pw=$(rand)
  echo "mysql://tuopin_$s:$pw@tuopin-mariadb:3306/tuopin_$s?pool=16" >"$out/dsn-$s"
  cat >>"$out/init.sql" <<SQL
CREATE DATABASE IF NOT EXISTS tuopin_$s CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS 'tuopin_$s'@'%' IDENTIFIED BY '$pw';
GRANT ALL ON tuopin_$s.* TO 'tuopin_$s'@'%';
SQL
done
for s in personnel funds tasks accountability auditquery; do
  /usr/bin/python3 - "$out/jwt-hs256.secret" "$s" >"$out/token-$s.jwt.new" <<PY
import sys
sys.path.insert(0, "$repo/tools/demo")
from dev_token import hs256
secret = open(sys.argv[1], "rb").read().strip()
print(hs256(secret, "service:" + sys.argv[2], ["service"], ["*"], ttl=24 * 3600))
PY
  mv "$out/token-$s.jwt.new" "$out/token-$s.jwt"
done
chmod 600 "$out"/*
echo "dev secrets in $out"
