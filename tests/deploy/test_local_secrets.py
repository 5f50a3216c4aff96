#!/usr/bin/python3
"""Local secrets (issue 18, point 10): the private MariaDB of deploy/local/mariadb.sh has no
password-less root. Its administrator is the operating-system user's account,
authenticated by the unix socket's peer credentials: no root over TCP, nobody else
through the socket, no password in its DSN. deploy/local/lib.sh tuopin_db gives a service
its own user and password, kept in files of mode 0600, and prints the DSN file's path,
never the DSN; no script or test harness passes a DSN on a command line.

Starts a MariaDB of its own (a few seconds). Run by CTest."""

import getpass
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(REPO, "tests", "support"))
from tuopin_testing import PrivateMariaDB  # noqa: E402


def mariadb(*args, env=None):
    return subprocess.run(["mariadb", "--no-defaults", *args], capture_output=True, text=True, env=env,
                          timeout=30)


class LocalSecretsTest(unittest.TestCase):
    def test_the_private_mariadb_has_no_password_less_root(self):
        with tempfile.TemporaryDirectory() as state:
            db = PrivateMariaDB(state)
            db.start()
            try:
                dsn = urllib.parse.urlparse(db.dsn())
                me = getpass.getuser()
                self.assertEqual(dsn.username, me)
                self.assertIsNone(dsn.password, "the administrator's DSN carries no password")
                sock = urllib.parse.parse_qs(dsn.query)["socket"][0]
                ok = mariadb(f"--socket={sock}", f"-u{me}", "-N", "-B", "-e",
                             "SELECT user, host, plugin FROM mysql.user WHERE user <> 'mariadb.sys'")
                self.assertEqual(ok.returncode, 0, ok.stderr)
                accounts = {tuple(line.split("\t")) for line in ok.stdout.splitlines()}
                expected = {(me, "localhost", "unix_socket"), ("root", "localhost", "unix_socket")}
                self.assertEqual(accounts, expected, "only socket-authenticated administrators")
                # root over TCP: there is no such account any more (it had no password).
                tcp = mariadb("-h127.0.0.1", f"-P{dsn.port}", "-uroot", "-e", "SELECT 1")
                self.assertNotEqual(tcp.returncode, 0, "root logged in over TCP without a password")
                tcp = mariadb("-h127.0.0.1", f"-P{dsn.port}", f"-u{me}", "-e", "SELECT 1")
                self.assertNotEqual(tcp.returncode, 0)
                # Another local user through the socket: refused (the directory is the OS
                # user's alone, and the account checks the peer's uid anyway).
                self.assertEqual(stat.S_IMODE(os.stat(os.path.dirname(sock)).st_mode), 0o700)
                if os.geteuid() == 0 and shutil.which("runuser"):
                    other = subprocess.run(["runuser", "-u", "nobody", "--", "mariadb", "--no-defaults",
                                            f"--socket={sock}", "-uroot", "-e", "SELECT 1"],
                                           capture_output=True, text=True, timeout=30)
                    self.assertNotEqual(other.returncode, 0, "another OS user became root")

                # A service's database: its password and DSN in 0600 files; the path printed.
                keys = os.path.join(state, "keys")
                os.makedirs(keys, mode=0o700)
                made = subprocess.run(
                    ["bash", "-c", 'set -euo pipefail; source "$repo/deploy/local/lib.sh"; tuopin_db funds'],
                    env=dict(db.env, repo=REPO, state=state), capture_output=True, text=True, timeout=60)
                self.assertEqual(made.returncode, 0, made.stderr)
                path = made.stdout.strip()
                self.assertEqual(path, os.path.join(keys, "db-funds.dsn"))
                with open(os.path.join(keys, "db-funds.password")) as f:
                    password = f.read().strip()
                self.assertGreaterEqual(len(password), 16)
                self.assertNotIn(password, made.stdout + made.stderr)
                for name in ("db-funds.dsn", "db-funds.password"):
                    self.assertEqual(stat.S_IMODE(os.stat(os.path.join(keys, name)).st_mode), 0o600, name)
                with open(path) as f:
                    service = urllib.parse.urlparse(f.read().strip())
                self.assertEqual((service.username, service.password), ("tuopin_funds", password))
                # The password works over TCP for that user, and only in its own database.
                env = dict(os.environ, MYSQL_PWD=password)
                login = mariadb("-h127.0.0.1", f"-P{dsn.port}", "-utuopin_funds", "-N", "-e",
                                "SELECT DATABASE()", "tuopin_funds", env=env)
                self.assertEqual(login.returncode, 0, login.stderr)
                other_db = mariadb("-h127.0.0.1", f"-P{dsn.port}", "-utuopin_funds", "-e", "SELECT 1", "mysql",
                                   env=env)
                self.assertNotEqual(other_db.returncode, 0)
            finally:
                db.stop()

    def test_no_script_passes_a_dsn_on_a_command_line(self):
        # Everything that starts the binaries: a DSN with a password on argv shows in any
        # process list; --db_dsn_file (or the environment) does not.
        starters = ["deploy/local/up", "deploy/local/lib.sh", "tests/bench/run", "tests/bench/gateway_ab"]
        for folder in ("tests/support", "tests/e2e", "tests/integration", "tests/chaos", "tests/bench"):
            starters += [os.path.join(folder, f) for f in sorted(os.listdir(os.path.join(REPO, folder)))
                         if f.endswith(".py")]
        problems = []
        for rel in starters:
            with open(os.path.join(REPO, rel)) as f:
                text = f.read()
            if re.search(r"--db_dsn=", text):
                problems.append(f"{rel}: --db_dsn= on a command line")
            if re.search(r'sql -e "[^"]*IDENTIFIED BY', text):
                problems.append(f"{rel}: a password in the SQL client's arguments")
        self.assertEqual(problems, [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
