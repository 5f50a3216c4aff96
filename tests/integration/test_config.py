#!/usr/bin/python3
"""Configuration of the real binaries: TUOPIN_* environment variables set flags, the
command line wins over them, and bad configuration stops a binary at start with exit
status 2 and a message naming the setting."""

import argparse
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse

ARGS = None


class ConfigTest(unittest.TestCase):
    def run_funds(self, env_extra, args=(), timeout=10):
        env = {k: v for k, v in os.environ.items() if not k.startswith("TUOPIN_")}
        env.update(env_extra)
        return subprocess.run([ARGS.funds, *args], env=env, capture_output=True, text=True, timeout=timeout)

    def test_bad_configuration_is_refused_with_its_name(self):
        r = self.run_funds({"TUOPIN_PORT": "not-a-number"})
        self.assertEqual(r.returncode, 2)
        self.assertIn("TUOPIN_PORT", r.stderr)
        r = self.run_funds({})
        self.assertEqual(r.returncode, 2)
        self.assertIn("--db_dsn", r.stderr)
        r = self.run_funds({"TUOPIN_DB_DSN": "postgres://u@h/db"})
        self.assertEqual(r.returncode, 2)
        self.assertIn("--db_dsn", r.stderr)
        r = self.run_funds({}, ["--unknown_flag=1"])
        self.assertEqual(r.returncode, 2)
        self.assertIn("unknown_flag", r.stderr)

    def test_environment_sets_flags_and_the_command_line_wins(self):
        dsn = urllib.parse.urlparse(os.environ["TUOPIN_TEST_DSN"])
        socket = urllib.parse.parse_qs(dsn.query)["socket"][0]
        db = "cfg_" + secrets.token_hex(6)
        sql = ["mariadb", "--no-defaults", f"--socket={socket}", "-uroot", "-e"]
        subprocess.run(sql + [f"CREATE DATABASE {db}"], check=True)
        try:
            with tempfile.TemporaryDirectory() as d:
                with open(f"{d}/key", "w") as f:
                    f.write(secrets.token_hex(32))
                env = {"TUOPIN_DB_DSN": f"mysql://root@127.0.0.1:{dsn.port}/{db}?socket={socket}",
                       "TUOPIN_INTERNAL_KEY_FILE": f"{d}/key", "TUOPIN_PORT": "0", "TUOPIN_METRICS_PORT": "0",
                       "TUOPIN_HOST": "127.0.0.1", "TUOPIN_PORT_FILE": f"{d}/env-ports",
                       "TUOPIN_SHUTDOWN_GRACE": "0s", "TUOPIN_RELAY_OUTBOX": "false"}
                proc = subprocess.Popen([ARGS.funds, f"--port_file={d}/flag-ports"],
                                        env={**{k: v for k, v in os.environ.items() if not k.startswith("TUOPIN_")}, **env},
                                        stderr=subprocess.DEVNULL)
                deadline = time.monotonic() + 20
                while not os.path.exists(f"{d}/flag-ports") and time.monotonic() < deadline and proc.poll() is None:
                    time.sleep(0.05)
                self.assertTrue(os.path.exists(f"{d}/flag-ports"), "the command line's --port_file won")
                self.assertFalse(os.path.exists(f"{d}/env-ports"))
                proc.send_signal(signal.SIGTERM)
                self.assertEqual(proc.wait(20), 0)
                # Migrations ran against the database named by the environment.
                out = subprocess.run(sql + [f"SELECT COUNT(*) FROM {db}.schema_migrations"], capture_output=True,
                                     text=True, check=True).stdout
                # Every migration of funds: the common schema and services/funds/schema/*.sql.
                import glob
                here = os.path.dirname(os.path.abspath(__file__))
                expected = len(glob.glob(os.path.join(here, "..", "..", "common", "schema", "*.sql"))) + len(
                    glob.glob(os.path.join(here, "..", "..", "services", "funds", "schema", "*.sql")))
                self.assertEqual(out.split()[-1], str(expected), out)
        finally:
            subprocess.run(sql + [f"DROP DATABASE {db}"], check=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--funds", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
