#!/usr/bin/python3
"""The common runtime through an independent gRPC client (Python grpcio): health SERVING,
reflection listing the service, metrics served, then NOT_SERVING on SIGTERM and a clean
exit. Run by CTest with --server <binary> --pyout <generated python modules>."""

import argparse
import concurrent.futures
import importlib.util
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.request

import grpc

ARGS = None


def load_module(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def wait_for(predicate, timeout, interval=0.02):
    """Polls with a bound; returns the predicate's last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


class RuntimeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.health = load_module("health_pb2", os.path.join(ARGS.pyout, "third_party/grpc/health/v1/health_pb2.py"))
        cls.refl = load_module(
            "reflection_pb2", os.path.join(ARGS.pyout, "grpc/reflection/v1alpha/reflection_pb2.py"))

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        port_file = os.path.join(self.tmp.name, "ports")
        self.proc = subprocess.Popen([ARGS.server, port_file, "1500"], stderr=subprocess.PIPE)
        self.assertTrue(wait_for(lambda: os.path.exists(port_file), 10), "server never listened")
        with open(port_file) as f:
            grpc_port, metrics_port = (int(x) for x in f.read().split())
        self.metrics_port = metrics_port
        self.channel_target = f"127.0.0.1:{grpc_port}"
        self.channel = grpc.insecure_channel(self.channel_target)
        self.check = self.channel.unary_unary(
            "/grpc.health.v1.Health/Check",
            request_serializer=self.health.HealthCheckRequest.SerializeToString,
            response_deserializer=self.health.HealthCheckResponse.FromString)

    def tearDown(self):
        self.channel.close()
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.proc.stderr.close()
        self.tmp.cleanup()

    def status(self, service=""):
        return self.check(self.health.HealthCheckRequest(service=service), timeout=2).status

    def test_a_port_in_use_is_a_failure_to_start_never_shared(self):
        # gRPC's default SO_REUSEPORT let a second process bind the same port and take part
        # of the connections (another test suite's gateway answered a service's calls).
        port = int(self.channel_target.rsplit(":", 1)[1])
        second = subprocess.run([ARGS.server, os.path.join(self.tmp.name, "second"), "0", str(port)],
                                capture_output=True, timeout=20)
        self.assertNotEqual(second.returncode, 0)
        self.assertIn(b"cannot listen", second.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp.name, "second")))
        self.assertEqual(self.status(), self.health.HealthCheckResponse.SERVING)

    def test_threads_that_served_calls_serve_the_next(self):
        # gRPC's default lets at most two idle threads wait for calls; the rest exit, and
        # a service under load created and destroyed a thread every few calls. RunServer
        # keeps them: after a warm-up, more calls at the same concurrency create none.
        get_region = self.channel.unary_unary("/tuopin.personnel.v1.PersonnelService/GetRegion")

        def call(_):
            try:
                get_region(b"", timeout=5)
            except grpc.RpcError as e:
                self.assertEqual(e.code(), grpc.StatusCode.UNIMPLEMENTED)

        tasks = f"/proc/{self.proc.pid}/task"
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            list(pool.map(call, range(1000)))
            before = set(os.listdir(tasks))
            seen = set()
            done = threading.Event()

            def watch_threads():
                while not done.is_set():
                    seen.update(os.listdir(tasks))
                    time.sleep(0.001)
            watcher = threading.Thread(target=watch_threads)
            watcher.start()
            list(pool.map(call, range(1500)))
            done.set()
            watcher.join()
        new = seen - before
        # A few may still come from a peak of concurrency the warm-up did not reach (12 were
        # seen once while the whole test suite loaded both cores); with gRPC's default the
        # count was 88.
        self.assertLessEqual(len(new), 24, f"{len(new)} threads were created for calls at an unchanged concurrency")

    def test_watch_streams_hold_no_thread(self):
        # Health calls need no credentials. A Watch stream waits on health's own completion
        # queue, not in the synchronous pool (64 threads): with more streams open than the
        # pool has threads, Check and the service's calls still answer; past
        # --max_health_watches (100) more streams are refused at once.
        SERVING = self.health.HealthCheckResponse.SERVING
        channels = [grpc.insecure_channel(self.channel_target, options=(("grpc.use_local_subchannel_pool", 1),))
                    for _ in range(3)]
        streams = []
        try:
            for i in range(150):
                watch = channels[i % 3].unary_stream(
                    "/grpc.health.v1.Health/Watch",
                    request_serializer=self.health.HealthCheckRequest.SerializeToString,
                    response_deserializer=self.health.HealthCheckResponse.FromString)
                streams.append(watch(self.health.HealthCheckRequest(service=""), timeout=30))
            firsts = []
            for s in streams:
                try:
                    firsts.append(next(s).status)
                except grpc.RpcError as e:
                    firsts.append(e.code())
            self.assertEqual(self.status(), SERVING)
            get_region = self.channel.unary_unary("/tuopin.personnel.v1.PersonnelService/GetRegion")
            with self.assertRaises(grpc.RpcError) as err:
                get_region(b"", timeout=5)
            self.assertEqual(err.exception.code(), grpc.StatusCode.UNIMPLEMENTED)
            self.assertEqual(firsts.count(SERVING), 100)
            self.assertEqual(firsts.count(grpc.StatusCode.RESOURCE_EXHAUSTED), 50)
        finally:
            for s in streams:
                s.cancel()
            for c in channels:
                c.close()

    def test_health_reflection_metrics_and_graceful_stop(self):
        SERVING = self.health.HealthCheckResponse.SERVING
        NOT_SERVING = self.health.HealthCheckResponse.NOT_SERVING
        self.assertEqual(self.status(), SERVING)
        self.assertEqual(self.status("tuopin.personnel.v1.PersonnelService"), SERVING)
        with self.assertRaises(grpc.RpcError) as err:
            self.status("no.such.Service")
        self.assertEqual(err.exception.code(), grpc.StatusCode.NOT_FOUND)

        # Reflection lists the service.
        info = self.channel.stream_stream(
            "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
            request_serializer=self.refl.ServerReflectionRequest.SerializeToString,
            response_deserializer=self.refl.ServerReflectionResponse.FromString)
        responses = list(info(iter([self.refl.ServerReflectionRequest(list_services="")]), timeout=5))
        names = {s.name for s in responses[0].list_services_response.service}
        self.assertIn("tuopin.personnel.v1.PersonnelService", names)
        self.assertIn("grpc.health.v1.Health", names)

        # One call, then its metrics.
        get_region = self.channel.unary_unary("/tuopin.personnel.v1.PersonnelService/GetRegion")
        with self.assertRaises(grpc.RpcError) as err:
            get_region(b"", timeout=2)
        self.assertEqual(err.exception.code(), grpc.StatusCode.UNIMPLEMENTED)
        body = urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=5).read().decode()
        # Named and labelled as the gRPC ecosystem's (go-grpc-prometheus): the code by name.
        line = [l for l in body.splitlines()
                if l.startswith("grpc_server_handled_total{")
                and 'grpc_service="tuopin.personnel.v1.PersonnelService"' in l
                and 'grpc_method="GetRegion"' in l and 'grpc_code="Unimplemented"' in l
                and 'grpc_type="unary"' in l]
        self.assertEqual(len(line), 1, body)
        self.assertTrue(line[0].endswith(" 1"), line[0])
        self.assertIn("grpc_server_handling_seconds_bucket{", body)
        # The health and reflection calls above under their own services' labels.
        for service, method in (("grpc.health.v1.Health", "Check"),
                                ("grpc.reflection.v1alpha.ServerReflection", "ServerReflectionInfo")):
            self.assertIn(f'grpc_server_handling_seconds_count{{grpc_method="{method}",grpc_service="{service}"', body)
        # A method of a service linked into the binary but not served, and a served method's
        # path split elsewhere: UNIMPLEMENTED, and counted as "unknown", not by their names.
        # (gRPC's synchronous server hands both to its unknown-method handler, which the
        # interceptor sees without the caller's path; GrpcServerMetrics::ForMethod makes
        # them unknown as well, tests/unit/common/grpc_metrics_test.cc.)
        for path in ("/tuopin.funds.v1.FundsService/GetAccount",
                     "/tuopin.personnel.v1/PersonnelService.GetRegion"):
            with self.assertRaises(grpc.RpcError) as err:
                self.channel.unary_unary(path)(b"", timeout=2)
            self.assertEqual(err.exception.code(), grpc.StatusCode.UNIMPLEMENTED)
        body = urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=5).read().decode()
        handled = [l for l in body.splitlines() if l.startswith("grpc_server_handled_total{")]
        self.assertFalse([l for l in handled if "tuopin.funds.v1" in l or 'grpc_service="tuopin.personnel.v1"' in l],
                         handled)
        unknown = [l for l in handled if 'grpc_service="unknown"' in l and 'grpc_code="Unimplemented"' in l]
        self.assertEqual(len(unknown), 1, handled)
        self.assertTrue(unknown[0].endswith(" 2"), unknown[0])
        # Dropped log lines (the access log's) are counted, never silent.
        self.assertIn("tuopin_log_dropped_lines_total 0", body)

        # Watch streams the status: SERVING now, NOT_SERVING once the stop begins, and the
        # stream ends with the server instead of holding its drain.
        watch = self.channel.unary_stream(
            "/grpc.health.v1.Health/Watch",
            request_serializer=self.health.HealthCheckRequest.SerializeToString,
            response_deserializer=self.health.HealthCheckResponse.FromString)
        stream = watch(self.health.HealthCheckRequest(service=""), timeout=20)
        self.assertEqual(next(stream).status, SERVING)
        unknown = watch(self.health.HealthCheckRequest(service="no.such.Service"), timeout=5)
        self.assertEqual(next(unknown).status, self.health.HealthCheckResponse.SERVICE_UNKNOWN)
        unknown.cancel()

        # SIGTERM: NOT_SERVING during the grace period, then a clean exit.
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        self.assertEqual(next(stream).status, NOT_SERVING)

        def not_serving():
            try:
                return self.status() == NOT_SERVING
            except grpc.RpcError:
                return False
        self.assertTrue(wait_for(not_serving, 1.4), "health never said NOT_SERVING")
        with self.assertRaises(grpc.RpcError):
            next(stream)
        self.assertEqual(self.proc.wait(15), 0)
        self.assertLess(time.monotonic() - started, 10, "an open Watch held the stop")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", required=True)
    parser.add_argument("--pyout", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
