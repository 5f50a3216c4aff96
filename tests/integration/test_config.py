#!/usr/bin/python3
"""Configuration of the real binaries: TUOPIN_* environment variables set flags, the
command line wins over them, and bad configuration stops a binary at start with exit
status 2 and a message naming the setting: among it the placeholders of the production
secrets template (deploy/k8s/overlays/prod/secrets.template.yaml) and keys that are not
random, in every secret a binary reads (issue 18)."""

import argparse
import json
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
        sql = ["mariadb", "--no-defaults", f"--socket={socket}", f"-u{dsn.username}", "-e"]
        subprocess.run(sql + [f"CREATE DATABASE {db}"], check=True)
        try:
            with tempfile.TemporaryDirectory() as d:
                with open(f"{d}/key", "w") as f:
                    f.write(secrets.token_hex(32))
                env = {"TUOPIN_DB_DSN": f"mysql://{dsn.username}@127.0.0.1:{dsn.port}/{db}?socket={socket}",
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


    def test_placeholder_and_weak_secrets_are_refused_at_start(self):
        import yaml
        here = os.path.dirname(os.path.abspath(__file__))
        with open(os.path.join(here, "..", "..", "deploy", "k8s", "overlays", "prod", "secrets.template.yaml")) as f:
            template = {d["metadata"]["name"]: d["stringData"] for d in yaml.safe_load_all(f) if d}
        placeholder_key = template["tuopin-internal-key"]["key"]
        self.assertGreaterEqual(len(placeholder_key), 32, "the length check alone let it through")
        dsn = urllib.parse.urlparse(os.environ["TUOPIN_TEST_DSN"])
        socket = urllib.parse.parse_qs(dsn.query)["socket"][0]
        # The server's own schema: with --migrate=false nothing is written to it.
        server = f"mysql://{dsn.username}@127.0.0.1:{dsn.port}/mysql?socket={socket}"
        with tempfile.TemporaryDirectory() as d:
            def put(name, content):
                with open(f"{d}/{name}", "w") as f:
                    f.write(content)
                return f"{d}/{name}"
            good_key = put("good.key", secrets.token_hex(32))
            base = {"TUOPIN_DB_DSN": server, "TUOPIN_MIGRATE": "false", "TUOPIN_INTERNAL_KEY_FILE": good_key,
                    "TUOPIN_PORT": "0", "TUOPIN_METRICS_PORT": "0", "TUOPIN_HOST": "127.0.0.1",
                    "TUOPIN_RELAY_OUTBOX": "false"}
            funds_cases = [
                ("--internal_key_file", {"TUOPIN_INTERNAL_KEY_FILE": put("template.key", placeholder_key)}),
                ("--internal_key_file", {"TUOPIN_INTERNAL_KEY_FILE": put("a.key", "a" * 48)}),
                ("--internal_key_file", {"TUOPIN_INTERNAL_KEY_FILE": put("rep.key", "0123456789abcdef" * 3)}),
                ("--digest_key_file", {"TUOPIN_DIGEST_KEY_FILE": put("digest.key", "CHANGEME" * 6)}),
                ("--db_dsn_file", {"TUOPIN_DB_DSN_FILE": put("dsn", template["tuopin-db-personnel"]["dsn"])}),
                ("--db_dsn", {"TUOPIN_DB_DSN": template["tuopin-db-personnel"]["dsn"]}),
                ("--service_token_file",
                 {"TUOPIN_SERVICE_TOKEN_FILE": put("token.jwt", template["tuopin-token-personnel"]["jwt"])}),
            ]
            for flag, extra in funds_cases:
                r = self.run_funds({**base, **extra})
                self.assertEqual(r.returncode, 2, f"{flag} {extra}: {r.stderr}")
                self.assertIn(flag + ":", r.stderr, extra)
            secret = put("hs256.secret", secrets.token_hex(32))
            gw = ["--port=0", "--metrics_port=0", "--http_port=-1", "--host=127.0.0.1",
                  f"--internal_key_file={good_key}"]
            okp = lambda kid, x: {"kty": "OKP", "crv": "Ed25519", "kid": kid, "x": x}
            x1, x2 = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", "3p7bfXt9wbTTW2HC7OQ1Nz-DQ8hbeGdNrfx-FG-IK08"
            gateway_cases = [
                ("--jwt_hs256_secret_file", [f"--jwt_hs256_secret_file={put('tmpl.secret', placeholder_key)}"]),
                ("--jwt_hs256_secret_file", [f"--jwt_hs256_secret_file={put('x.secret', 'x' * 40)}"]),
                ("--internal_key_file", [f"--jwt_hs256_secret_file={secret}",
                                         f"--internal_key_file={put('gw.key', placeholder_key)}"]),
                # The template's JWKS has no key: with no HS256 secret nothing could be verified.
                ("--jwt_jwks_file", [f"--jwt_jwks_file={put('empty.jwks', template['tuopin-jwt']['jwks.json'])}"]),
                ("--jwt_jwks_file", [f"--jwt_jwks_file={put('dup.jwks', json.dumps({'keys': [okp('idp', x1), okp('idp', x2)]}))}"]),
                ("--jwt_max_lifetime", [f"--jwt_hs256_secret_file={secret}", "--jwt_max_lifetime=0s"]),
            ]
            env = {k: v for k, v in os.environ.items() if not k.startswith("TUOPIN_")}
            for flag, args in gateway_cases:
                r = subprocess.run([ARGS.gateway, *gw, *args], env=env, capture_output=True, text=True, timeout=10)
                self.assertEqual(r.returncode, 2, f"{flag} {args}: {r.stderr}")
                self.assertIn(flag, r.stderr, args)
            r = subprocess.run([ARGS.gateway, *gw, f"--jwt_jwks_file={d}/dup.jwks"], env=env, capture_output=True,
                               text=True, timeout=10)
            self.assertIn("idp appears twice", r.stderr)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--funds", required=True)
    parser.add_argument("--gateway", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
