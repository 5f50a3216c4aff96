#!/bin/bash
# healthcheck.sh [--connect] [--innodb_initialized] ...: as the official image's, each test in
# turn; exits non-zero at the first that fails.
set -uo pipefail
cnf=/var/lib/mysql/.my-healthcheck.cnf
[ -r "$cnf" ] || { echo "healthcheck: no $cnf (first start not finished)" >&2; exit 1; }
q() { mariadb --defaults-extra-file="$cnf" --skip-column-names --batch -e "$1"; }
for t in "$@"; do
  case $t in
    --connect) q 'SELECT 1' >/dev/null || exit 1 ;;
    --innodb_initialized)
      [ "$(q "SELECT COUNT(*) FROM information_schema.ENGINES WHERE ENGINE = 'InnoDB' AND SUPPORT IN ('YES', 'DEFAULT')")" = 1 ] || exit 1 ;;
    *) echo "healthcheck: unknown test $t" >&2; exit 2 ;;
  esac
done
exit 0
