#!/usr/bin/python3
"""Overload against the real tuopin-gateway binary: four times the load its backend can
serve. The excess is refused at once with RESOURCE_EXHAUSTED (or UNAVAILABLE), nothing
else goes wrong, the gateway stays up with bounded memory, and it serves normally again
when the load stops.

The backend is a Python gRPC server that answers any method after 10 ms with 4 workers,
so its capacity is known: 4 calls at a time. The gateway is told so
(--max_inflight_per_backend=4) and the load is 16 concurrent clients calling back to
back, a bounded number of calls each. Nothing asserts on timing; the measured rates are
printed.

Run by CTest: --gateway <tuopin-gateway>."""

import argparse
import collections
import concurrent.futures
import os
import signal
import sys
import tempfile
import threading
import time
import unittest

import grpc

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from tuopin_testing import hs256_token, rss_kib, start_gateway  # noqa: E402

ARGS = None
METHOD = "/tuopin.personnel.v1.PersonnelService/GetCadre"
BACKEND_WORKERS = 4


class SlowBackend(grpc.GenericRpcHandler):
    """Answers every unary method with an empty message after 10 ms."""

    def __init__(self):
        self.lock = threading.Lock()
        self.active = 0
        self.most_active = 0

    def service(self, details):
        def handle(request, context):
            with self.lock:
                self.active += 1
                self.most_active = max(self.most_active, self.active)
            time.sleep(0.01)
            with self.lock:
                self.active -= 1
            return b""
        return grpc.unary_unary_rpc_method_handler(handle)


def run_load(port, token, clients, calls_each):
    """Each client calls back to back; returns (Counter of codes, seconds)."""
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    rpc = channel.unary_unary(METHOD)
    md = (("authorization", "Bearer " + token),)

    def client(i):
        codes = collections.Counter()
        for n in range(calls_each):
            try:
                rpc(b"\x0a\x08cadre-%02d" % (n % 100), metadata=md, timeout=10)
                codes[grpc.StatusCode.OK] += 1
            except grpc.RpcError as e:
                codes[e.code()] += 1
        return codes

    start = time.monotonic()
    total = collections.Counter()
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        for codes in pool.map(client, range(clients)):
            total.update(codes)
    seconds = time.monotonic() - start
    channel.close()
    return total, seconds


class GatewayOverloadTest(unittest.TestCase):
    def test_four_times_capacity_is_refused_not_queued_and_service_recovers(self):
        backend = SlowBackend()
        server = grpc.server(concurrent.futures.ThreadPoolExecutor(BACKEND_WORKERS),
                             handlers=[backend], maximum_concurrent_rpcs=64)
        backend_port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        with tempfile.TemporaryDirectory() as d:
            proc, port, secret = start_gateway(
                ARGS.gateway, d, f"--personnel_target=127.0.0.1:{backend_port}",
                f"--max_inflight_per_backend={BACKEND_WORKERS}", "--rate_limit_rps=1000000",
                "--rate_limit_burst=1000000")
            try:
                token = hs256_token(secret, sub="official-1", roles=["county_official"], regions=["520221"])

                # Capacity: as many clients as the backend has workers; all served.
                codes, secs = run_load(port, token, BACKEND_WORKERS, 50)
                self.assertEqual(codes, {grpc.StatusCode.OK: BACKEND_WORKERS * 50}, codes)
                capacity = BACKEND_WORKERS * 50 / secs
                rss_before = rss_kib(proc.pid)

                # Four times that: the excess is refused, nothing else happens.
                codes, secs = run_load(port, token, 4 * BACKEND_WORKERS, 100)
                total = sum(codes.values())
                self.assertEqual(total, 4 * BACKEND_WORKERS * 100)
                unexpected = {c: n for c, n in codes.items() if c not in (
                    grpc.StatusCode.OK, grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.UNAVAILABLE)}
                self.assertEqual(unexpected, {}, codes)
                self.assertGreater(codes[grpc.StatusCode.OK], 0, codes)
                self.assertGreater(codes[grpc.StatusCode.RESOURCE_EXHAUSTED], 0, codes)
                self.assertLessEqual(backend.most_active, BACKEND_WORKERS, "the backend was never over capacity")
                self.assertIsNone(proc.poll(), "the gateway is still running")
                rss_after = rss_kib(proc.pid)
                self.assertLess(rss_after - rss_before, 64 * 1024, "memory stays bounded (KiB)")
                print(f"capacity {capacity:.0f} calls/s; at 4x: {total / secs:.0f} calls/s answered, "
                      f"{codes[grpc.StatusCode.OK] / secs:.0f}/s served, "
                      f"{codes[grpc.StatusCode.RESOURCE_EXHAUSTED]} refused of {total}; "
                      f"RSS {rss_before} -> {rss_after} KiB")

                # The load stops: served normally again.
                codes, _ = run_load(port, token, BACKEND_WORKERS, 25)
                self.assertEqual(codes, {grpc.StatusCode.OK: BACKEND_WORKERS * 25}, codes)
            finally:
                proc.send_signal(signal.SIGTERM)
                proc.wait(20)
                server.stop(0)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--gateway", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
