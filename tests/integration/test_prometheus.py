#!/usr/bin/python3
"""A real Prometheus (Debian's `prometheus` package, /usr/bin/prometheus) scrapes the real
suite with the configuration and alert rules the project ships (deploy/prometheus):
every target is up; the RPC metrics are the gRPC ecosystem's (grpc_server_handled_total
with grpc_code="OK"-style names, for every service and the gateway; no numeric code in any
series); every shipped alert's expression is empty on the healthy suite (so the audit
log's checkpoint gauges are there); then the audit log is stopped (SIGSTOP) while a write
makes its event wait in personnel's outbox, the target-down alert for the audit log fires
and the backlog shows, and once the log continues the alert clears and the backlog drains;
last, the audit log is taken out of the target file and the alert for its absence fires.

The only changes made to the shipped files (shortened(), below): scrape and evaluation
every second (scrape timeout 1 s) and each rule's `for:` cut to 2 s, so that an alert
fires within seconds instead of minutes. Expressions, thresholds, labels and the
file_sd scrape job are as shipped. Prometheus not installed is a failure (tests/run
installs it with deploy/local/install-deps.sh), never a skip.

Run by CTest: --build <build dir>; TUOPIN_TEST_DSN names the MariaDB (root)."""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse
import urllib.request

import grpc
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(HERE, "..", "support"))
from tuopin_testing import Suite, reserve_port  # noqa: E402
from demo_api import Api  # noqa: E402  (tools/demo, on the path tuopin_testing sets)

ARGS = None
PROMETHEUS = "/usr/bin/prometheus"
SHIPPED = os.path.join(REPO, "deploy", "prometheus")
PERSONNEL = "tuopin.personnel.v1.PersonnelService"
# Go's codes.Code.String(), which grpc-ecosystem's metrics put in grpc_code.
CODE_NAMES = {"OK", "Canceled", "Unknown", "InvalidArgument", "DeadlineExceeded", "NotFound", "AlreadyExists",
              "PermissionDenied", "ResourceExhausted", "FailedPrecondition", "Aborted", "OutOfRange",
              "Unimplemented", "Internal", "Unavailable", "DataLoss", "Unauthenticated"}


def shortened(out_dir):
    """deploy/prometheus/{prometheus,alerts}.yml into out_dir with shorter intervals and
    `for:` durations, nothing else changed. Returns the rules as loaded."""
    with open(os.path.join(SHIPPED, "prometheus.yml")) as f:
        config = yaml.safe_load(f)
    config["global"].update(scrape_interval="1s", scrape_timeout="1s", evaluation_interval="1s")
    with open(os.path.join(SHIPPED, "alerts.yml")) as f:
        rules = yaml.safe_load(f)
    for group in rules["groups"]:
        for rule in group["rules"]:
            if "for" in rule:
                rule["for"] = "2s"
    with open(os.path.join(out_dir, "prometheus.yml"), "w") as f:
        yaml.safe_dump(config, f)
    with open(os.path.join(out_dir, "alerts.yml"), "w") as f:
        yaml.safe_dump(rules, f)
    return rules


def wait_until(what, check, timeout=60, interval=0.25):
    """check()'s first truthy answer; fails the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = check()
            if last:
                return last
        except (OSError, ValueError) as e:  # Prometheus still starting, a scrape in flight
            last = e
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}; last: {last!r}")


class PrometheusTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.access(PROMETHEUS, os.X_OK):
            raise AssertionError(f"{PROMETHEUS} is missing: install Debian's prometheus "
                                 "(deploy/local/install-deps.sh, which tests/run runs)")
        sys.path.insert(0, f"{ARGS.build}/python")
        cls.d = tempfile.mkdtemp(prefix="prometheus-")
        cls.prometheus = None
        cls.suite = Suite(ARGS.build, cls.d)
        try:
            cls.api = Api(cls.suite.target, cls.suite.secret, f"{ARGS.build}/python", workers=2)
            cls.start_prometheus()
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def start_prometheus(cls):
        conf = os.path.join(cls.d, "prometheus")
        os.makedirs(os.path.join(conf, "targets"))
        cls.rules = shortened(conf)
        # The target file an operator would write: one group per binary, its metrics port.
        groups = [{"targets": [f"127.0.0.1:{ports[1]}"], "labels": {"service": name}}
                  for name, ports in sorted(cls.suite.ports.items())]
        with open(os.path.join(conf, "targets", "suite.json"), "w") as f:
            json.dump(groups, f)
        cls.services = {g["labels"]["service"] for g in groups}
        reservation, port = reserve_port()
        cls.url = f"http://127.0.0.1:{port}"
        reservation.close()
        with open(os.path.join(cls.d, "prometheus.log"), "wb") as log:
            cls.prometheus = subprocess.Popen(
                [PROMETHEUS, f"--config.file={conf}/prometheus.yml", f"--storage.tsdb.path={cls.d}/tsdb",
                 f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
                stdout=log, stderr=log)
        wait_until("Prometheus ready", lambda: urllib.request.urlopen(f"{cls.url}/-/ready", timeout=2).status == 200,
                   timeout=30)

    @classmethod
    def tearDownClass(cls):
        proc = cls.suite.procs.get("auditlog") if hasattr(cls, "suite") else None
        if proc is not None and proc.poll() is None:
            os.kill(proc.pid, signal.SIGCONT)  # a stopped process would not see SIGTERM
        if cls.prometheus is not None:
            cls.prometheus.terminate()
            try:
                cls.prometheus.wait(20)
            except subprocess.TimeoutExpired:
                cls.prometheus.kill()
        if hasattr(cls, "suite"):
            cls.suite.stop()
        shutil.rmtree(cls.d, ignore_errors=True)

    def api_get(self, path, **params):
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        with urllib.request.urlopen(f"{self.url}{path}{query}", timeout=5) as r:
            body = json.load(r)
        self.assertEqual(body["status"], "success", body)
        return body["data"]

    def query(self, expr):
        return self.api_get("/api/v1/query", query=expr)["result"]

    def firing(self):
        return {(a["labels"]["alertname"], a["labels"].get("service", "")) for a in self.api_get("/api/v1/alerts")["alerts"]
                if a["state"] == "firing"}

    def write_region(self, code, name):
        from tuopin.personnel.v1 import personnel_pb2 as pv1
        self.api.call(PERSONNEL, "ImportRegions",
                      pv1.ImportRegionsRequest(request_id=f"prometheus-{code}",
                                               regions=[pv1.Region(code=code, name=name)]),
                      pv1.ImportRegionsResponse)

    def test_scrape_names_and_audit_log_alert(self):
        # Every binary the suite runs is a target, and every target is up.
        def all_up():
            targets = self.api_get("/api/v1/targets")["activeTargets"]
            up = {t["labels"]["service"] for t in targets if t["health"] == "up"}
            return up == self.services and len(targets) == len(self.services)
        wait_until("every target up", all_up, timeout=30)
        self.assertEqual(self.services, {"gateway", "personnel", "funds", "tasks", "accountability", "auditlog",
                                         "auditquery"})

        # Some calls: a write and a read through the gateway, and a health check of each
        # service on its own port.
        self.write_region("52", "Guizhou Province")
        from tuopin.auditlog.v1 import auditlog_pb2 as lv1
        self.api.call("tuopin.auditlog.v1.AuditLog", "GetPublicKey", lv1.GetPublicKeyRequest(), lv1.PublicKey)
        for name, ports in self.suite.ports.items():
            if name != "gateway":
                with grpc.insecure_channel(f"127.0.0.1:{ports[0]}") as ch:
                    ch.unary_unary("/grpc.health.v1.Health/Check")(b"", timeout=5)
        # Methods nobody serves, to the gateway and to a service: callers cannot add label
        # values (the gateway counts such calls as "unknown").
        for port in (self.suite.gateway_port, self.suite.ports["personnel"][0]):
            with grpc.insecure_channel(f"127.0.0.1:{port}") as ch:
                with self.assertRaises(grpc.RpcError):
                    ch.unary_unary("/no.such.Service/Anything")(b"", timeout=5)

        # grpc_server_handled_total{grpc_code="OK"} of every service and of the gateway,
        # which labels the methods it routes.
        def ok_everywhere():
            series = self.query('grpc_server_handled_total{job="tuopin",grpc_code="OK"}')
            return series if {s["metric"]["service"] for s in series} == self.services else None
        series = wait_until("grpc_server_handled_total{grpc_code=\"OK\"} of every service", ok_everywhere)
        gateway = {(s["metric"]["grpc_type"], s["metric"]["grpc_service"], s["metric"]["grpc_method"])
                   for s in series if s["metric"]["service"] == "gateway"}
        self.assertIn(("unary", PERSONNEL, "ImportRegions"), gateway)
        self.assertIn(("unary", "tuopin.auditlog.v1.AuditLog", "GetPublicKey"), gateway)
        personnel = {(s["metric"]["grpc_service"], s["metric"]["grpc_method"])
                     for s in series if s["metric"]["service"] == "personnel"}
        self.assertIn((PERSONNEL, "ImportRegions"), personnel)
        self.assertIn(("grpc.health.v1.Health", "Check"), personnel)
        self.assertTrue(self.query('grpc_server_handling_seconds_bucket{job="tuopin",service="gateway",'
                                   f'grpc_service="{PERSONNEL}",grpc_method="ImportRegions"}}'))
        wait_until("the gateway's unknown method counted",
                   lambda: self.query('grpc_server_handled_total{service="gateway",grpc_service="unknown",'
                                      'grpc_method="unknown"}'))
        self.assertEqual(self.query('grpc_server_handled_total{grpc_service="no.such.Service"}'), [])
        # No series of any family carries a code by number, and every grpc_code is a name.
        self.assertEqual(self.query('{__name__=~".+",job="tuopin",grpc_code=~"[0-9]+"}'), [])
        self.assertEqual(self.query('{__name__=~".+",job="tuopin",code=~"[0-9]+"}'), [])
        codes = {s["metric"]["grpc_code"] for s in self.query('group by (grpc_code) (grpc_server_handled_total)')}
        self.assertTrue(codes <= CODE_NAMES, codes)

        # The audit log's checkpoint gauges: the write is under a signed checkpoint.
        wait_until("the write under a checkpoint",
                   lambda: self.query('tuopin_auditlog_checkpoint_tree_size{service="auditlog"} >= 1'))
        # Healthy: every shipped alert's expression is empty and none fires. (Waited for,
        # not read once: on a loaded machine a scrape may time out for a moment.)
        loud = []
        def quiet():
            loud[:] = [r["alert"] for g in self.rules["groups"] for r in g["rules"] if self.query(r["expr"])]
            loud.extend(f"{name} firing" for name, _ in self.firing())
            return not loud
        try:
            wait_until("every alert expression empty and none firing", quiet, timeout=30)
        except AssertionError as e:
            raise AssertionError(f"{e}; not quiet: {loud}") from None

        # The audit log stops (SIGSTOP: it holds its connections and answers nothing) and
        # a write's audit event waits in personnel's outbox.
        auditlog = self.suite.procs["auditlog"]
        os.kill(auditlog.pid, signal.SIGSTOP)
        try:
            self.write_region("5202", "Liupanshui")
            wait_until("TuopinTargetDown of the audit log firing",
                       lambda: ("TuopinTargetDown", "auditlog") in self.firing())
            wait_until("personnel's outbox backlog",
                       lambda: self.query('tuopin_outbox_backlog{service="personnel"} > 0'))
            self.assertNotIn("auditlog", {s["metric"]["service"] for s in self.query('up{job="tuopin"} == 1')})
        finally:
            os.kill(auditlog.pid, signal.SIGCONT)
        # It continues: the alert clears and the backlog drains into the log.
        wait_until("TuopinTargetDown cleared", lambda: ("TuopinTargetDown", "auditlog") not in self.firing())
        wait_until("personnel's outbox empty",
                   lambda: self.query('tuopin_outbox_backlog{service="personnel"} == 0'))
        wait_until("the second write under a checkpoint",
                   lambda: self.query('tuopin_auditlog_checkpoint_tree_size{service="auditlog"} >= 2'))

        # The audit log leaves service discovery (as when scaled to 0): no `up` series is
        # left for TuopinTargetDown, and TuopinAuditLogAbsent fires. (Last: the log is not
        # scraped again.)
        self.assertNotIn(("TuopinAuditLogAbsent", "auditlog"), self.firing())
        targets = os.path.join(self.d, "prometheus", "targets", "suite.json")
        with open(targets) as f:
            groups = [g for g in json.load(f) if g["labels"]["service"] != "auditlog"]
        with open(targets + ".tmp", "w") as f:
            json.dump(groups, f)
        os.replace(targets + ".tmp", targets)
        wait_until("TuopinAuditLogAbsent firing",
                   lambda: ("TuopinAuditLogAbsent", "auditlog") in self.firing())
        self.assertNotIn(("TuopinTargetDown", "auditlog"), self.firing())


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest)
