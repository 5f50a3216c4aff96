#!/usr/bin/python3
"""No unauthenticated caller takes the gateway's threads, against the real tuopin-gateway
binary. Health calls need no token: hundreds of open health Watch streams leave health
Check (what Kubernetes' probes call) answering SERVING and a call proxied to a backend
answering; Watch streams past --max_health_watches are refused at once with
RESOURCE_EXHAUSTED. Server reflection, which needs no token either, is not served unless
--reflection asks for it.

Run by CTest: --gateway <tuopin-gateway>."""

import argparse
import concurrent.futures
import os
import signal
import sys
import tempfile
import time
import unittest

import grpc

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from tuopin_testing import hs256_token, start_gateway  # noqa: E402

ARGS = None
WATCHES = 300  # the gateway's synchronous pool had 64 threads (--max_threads)
MAX_WATCHES = 100  # --max_health_watches' default
SERVING = b"\x08\x01"  # HealthCheckResponse{status: SERVING}
METHOD = "/tuopin.personnel.v1.PersonnelService/GetCadre"
REFLECTION = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"
LIST_SERVICES = b"\x3a\x00"  # ServerReflectionRequest{list_services: ""}


class Backend(grpc.GenericRpcHandler):
    """Answers every unary method with an empty message."""

    def service(self, details):
        return grpc.unary_unary_rpc_method_handler(lambda request, context: b"")


def channel(port):
    # Each channel its own connection, as separate clients would have.
    return grpc.insecure_channel(f"127.0.0.1:{port}", options=(("grpc.use_local_subchannel_pool", 1),))


class GatewayHealthTest(unittest.TestCase):
    def test_open_watch_streams_leave_check_and_proxied_calls_answering(self):
        backend = grpc.server(concurrent.futures.ThreadPoolExecutor(4), handlers=[Backend()])
        backend_port = backend.add_insecure_port("127.0.0.1:0")
        backend.start()
        with tempfile.TemporaryDirectory() as d:
            proc, port, secret = start_gateway(ARGS.gateway, d, f"--personnel_target=127.0.0.1:{backend_port}")
            attackers = [channel(port) for _ in range(6)]
            streams = []
            try:
                for i in range(WATCHES):
                    watch = attackers[i % len(attackers)].unary_stream("/grpc.health.v1.Health/Watch")
                    streams.append(watch(b"", timeout=60))
                firsts = []
                for s in streams:
                    try:
                        firsts.append(next(s))
                    except grpc.RpcError as e:
                        firsts.append(e.code())

                # The probe's view: Check answers SERVING, on a new connection and on one of
                # the attackers' own.
                for ch in (channel(port), attackers[0]):
                    check = ch.unary_unary("/grpc.health.v1.Health/Check")
                    for _ in range(5):
                        self.assertEqual(check(b"", timeout=5), SERVING)
                # A call still goes through the proxy to its backend.
                client = channel(port)
                rpc = client.unary_unary(METHOD)
                token = hs256_token(secret, sub="official-1", roles=["county_official"], regions=["520221"])
                self.assertEqual(rpc(b"\x0a\x08cadre-01", metadata=(("authorization", "Bearer " + token),),
                                     timeout=5), b"")

                # The streams: as many open as the bound, the rest refused at once.
                served = sum(1 for f in firsts if f == SERVING)
                refused = sum(1 for f in firsts if f == grpc.StatusCode.RESOURCE_EXHAUSTED)
                self.assertEqual((served, refused), (MAX_WATCHES, WATCHES - MAX_WATCHES), firsts[:5])
                # A Watch stream closed gives its place back.
                for s in streams:
                    s.cancel()

                def open_one():
                    ch = channel(port)
                    try:
                        return next(ch.unary_stream("/grpc.health.v1.Health/Watch")(b"", timeout=5))
                    except grpc.RpcError as e:
                        return e.code()
                    finally:
                        ch.close()
                self.assertTrue(wait_for(lambda: open_one() == SERVING, 10), "a closed stream's place is free")
                client.close()
            finally:
                for s in streams:
                    s.cancel()
                for ch in attackers:
                    ch.close()
                proc.send_signal(signal.SIGTERM)
                self.assertEqual(proc.wait(20), 0)
                backend.stop(0)

    def test_reflection_only_with_the_flag(self):
        def reflect(port, metadata=()):
            ch = channel(port)
            try:
                info = ch.stream_stream(REFLECTION)
                return list(info(iter([LIST_SERVICES]), metadata=metadata, timeout=5))
            except grpc.RpcError as e:
                return e.code()
            finally:
                ch.close()

        with tempfile.TemporaryDirectory() as d:
            proc, port, secret = start_gateway(ARGS.gateway, d)
            try:
                # Not served: the gateway treats it as any method it has no route for.
                self.assertEqual(reflect(port), grpc.StatusCode.UNAUTHENTICATED)
                admin = hs256_token(secret, sub="admin-1", roles=["admin"], regions=["52"])
                self.assertEqual(reflect(port, (("authorization", "Bearer " + admin),)),
                                 grpc.StatusCode.PERMISSION_DENIED)
            finally:
                proc.send_signal(signal.SIGTERM)
                proc.wait(20)
        with tempfile.TemporaryDirectory() as d:
            proc, port, _ = start_gateway(ARGS.gateway, d, "--reflection")
            try:
                responses = reflect(port)
                self.assertIsInstance(responses, list, responses)
                self.assertIn(b"grpc.health.v1.Health", responses[0])
            finally:
                proc.send_signal(signal.SIGTERM)
                proc.wait(20)


def wait_for(predicate, timeout, interval=0.05):
    """Polls with a bound; returns the predicate's last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--gateway", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
