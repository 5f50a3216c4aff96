#!/usr/bin/python3
"""The gateway's JSON/HTTP front against the real tuopin-gateway binary: it speaks the same
TLS as the gRPC port and requires the same client certificates (plain HTTP, no
certificate and a certificate of another CA are refused; a trusted client gets an answer);
clients that connect and then send slowly or nothing, more of them than it has workers, do
not stop a normal client from getting an answer; connections past its workers and waiting
places are closed at once.

Run by CTest: --gateway <tuopin-gateway>."""

import argparse
import http.client
import os
import select
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from test_gateway_mtls import make_ca, make_cert  # noqa: E402
from tuopin_testing import hs256_token, start_gateway, wait_for_ports  # noqa: E402

ARGS = None
PATH = "/v1/tuopin.personnel.v1.PersonnelService/ImportRegions"
# A cadre may not import regions: 403 proves the gateway itself answered.
DENIED = 403


def start(d, *flags):
    """The gateway with its JSON/HTTP front on a free port: (process, secret, http port, metrics port)."""
    proc, _, secret = start_gateway(ARGS.gateway, d, "--http_port=0", *flags)
    grpc_port, metrics_port, http_port = wait_for_ports(f"{d}/ports")
    return proc, secret, http_port, metrics_port


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    proc.wait(30)


def post(conn, token):
    """One call on an http.client connection: the HTTP status."""
    conn.request("POST", PATH, body="{}", headers={"Authorization": "Bearer " + token,
                                                   "Content-Type": "application/json"})
    response = conn.getresponse()
    response.read()
    return response.status


class HttpTlsTest(unittest.TestCase):
    def test_the_json_front_requires_the_grpc_ports_client_certificates(self):
        with tempfile.TemporaryDirectory() as d:
            make_ca(d, "ca")
            make_ca(d, "other-ca")
            make_cert(d, "ca", "gateway", "DNS:localhost,IP:127.0.0.1")
            make_cert(d, "ca", "client", "DNS:tuopin-app")
            make_cert(d, "other-ca", "intruder", "DNS:intruder")
            proc, secret, port, _ = start(d, f"--tls_cert_file={d}/gateway.crt", f"--tls_key_file={d}/gateway.key",
                                          f"--tls_client_ca_file={d}/ca.crt")
            token = hs256_token(secret)
            try:
                def https(cert=None):
                    ctx = ssl.create_default_context(cafile=f"{d}/ca.crt")
                    if cert:
                        ctx.load_cert_chain(f"{d}/{cert}.crt", f"{d}/{cert}.key")
                    return http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=10)

                def refused(conn):
                    try:
                        status = post(conn, token)
                    except (OSError, http.client.HTTPException):
                        return True
                    finally:
                        conn.close()
                    return f"answered {status}"

                conn = https("client")
                self.assertEqual(post(conn, token), DENIED)
                self.assertEqual(post(conn, token), DENIED, "a second call on the same connection")
                conn.close()
                self.assertIs(refused(http.client.HTTPConnection("127.0.0.1", port, timeout=10)), True,
                              "plain HTTP")
                self.assertIs(refused(https()), True, "no client certificate")
                self.assertIs(refused(https("intruder")), True, "a certificate of another CA")
                conn = https("client")
                self.assertEqual(post(conn, token), DENIED, "still serving")
                conn.close()
            finally:
                stop(proc)


class HttpPortTest(unittest.TestCase):
    def test_a_json_port_in_use_is_a_failure_to_start_never_shared(self):
        # httplib listens with SO_REUSEPORT: a second gateway bound the same HTTP port and
        # the kernel split the connections between the two.
        with tempfile.TemporaryDirectory() as d, tempfile.TemporaryDirectory() as d2:
            proc, secret, http_port, _ = start(d)
            try:
                second = subprocess.Popen([
                    ARGS.gateway, "--port=0", "--metrics_port=0", f"--http_port={http_port}",
                    "--host=127.0.0.1", f"--port_file={d2}/ports", f"--internal_key_file={d}/internal.key",
                    f"--jwt_hs256_secret_file={d}/jwt.secret", "--shutdown_grace=0s", "--access_log=false"],
                    stderr=subprocess.PIPE)
                try:
                    _, err = second.communicate(timeout=30)
                except subprocess.TimeoutExpired:  # it started, sharing the port
                    second.kill()
                    _, err = second.communicate()
                self.assertNotEqual(second.returncode, 0)
                self.assertIn(b"JSON/HTTP", err)
                self.assertFalse(os.path.exists(f"{d2}/ports"))
                token = hs256_token(secret, sub="cadre-1", roles=["cadre"])
                for _ in range(5):  # every connection reaches the first gateway
                    conn = http.client.HTTPConnection("127.0.0.1", http_port, timeout=10)
                    self.assertEqual(post(conn, token), DENIED)
                    conn.close()
            finally:
                stop(proc)


class SlowClient:
    """A connection that sends a request head one byte at a time (slowloris), or nothing."""

    def __init__(self, port, dribble):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.pending = (f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\n" + "X-Slow: " + "a" * 4000).encode() \
            if dribble else b""

    def step(self):
        """Sends the next byte; False once the gateway closed the connection."""
        if not self.pending:
            return True
        try:
            self.sock.send(self.pending[:1])
        except OSError:
            self.pending = b""
            return False
        self.pending = self.pending[1:]
        return True

    def close(self):
        self.sock.close()


def closed_by_server(socks, bound):
    """The indexes of the sockets the peer closed (EOF, a reset, or the front's 503 then
    EOF), waiting at most `bound` seconds for more."""
    closed = set()
    deadline = time.monotonic() + bound
    while time.monotonic() < deadline:
        open_ = [s for i, s in enumerate(socks) if i not in closed]
        readable, _, _ = select.select(open_, [], [], 0.1)
        for s in readable:
            try:
                data = s.recv(4096, socket.MSG_DONTWAIT)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if data == b"" or data.startswith(b"HTTP/1.1 503"):
                closed.add(socks.index(s))
        if len(closed) == len(socks):
            break
    return closed


def closed_total(metrics_port, reason):
    body = urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5).read().decode()
    for line in body.splitlines():
        if line.startswith("tuopin_gateway_http_connections_closed_total") and f'reason="{reason}"' in line:
            return float(line.split()[-1])
    return 0.0


class HttpSlowClientTest(unittest.TestCase):
    def test_slow_and_idle_clients_do_not_stop_a_normal_client(self):
        # With the front's default limits: more slow clients than it has workers (16; 8 in
        # cpp-httplib's default pool), the slow ones first, then idle ones.
        with tempfile.TemporaryDirectory() as d:
            proc, secret, port, metrics_port = start(d)
            clients = [SlowClient(port, dribble=True) for _ in range(32)] + \
                      [SlowClient(port, dribble=False) for _ in range(16)]
            stop_dribbling = threading.Event()

            def dribble():
                # One byte per client every 0.2 s, for at most 60 s.
                deadline = time.monotonic() + 60
                while not stop_dribbling.is_set() and time.monotonic() < deadline:
                    for c in clients:
                        c.step()
                    time.sleep(0.2)
            dribbler = threading.Thread(target=dribble)
            dribbler.start()
            try:
                time.sleep(0.5)  # the slow clients hold the workers
                started = time.monotonic()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
                try:
                    status = post(conn, hs256_token(secret))
                except (OSError, http.client.HTTPException) as e:
                    status = repr(e)
                finally:
                    conn.close()
                waited = time.monotonic() - started
                self.assertEqual(status, DENIED, f"after {waited:.1f} s")
                print(f"answered after {waited:.1f} s behind {len(clients)} slow clients")
                self.assertGreater(closed_total(metrics_port, "yielded"), 0)
                self.assertIsNone(proc.poll())
            finally:
                stop_dribbling.set()
                dribbler.join()
                for c in clients:
                    c.close()
                stop(proc)

    def test_connections_past_the_workers_and_waiting_places_are_closed_at_once(self):
        # Default limits: 16 workers, 64 waiting places.
        with tempfile.TemporaryDirectory() as d:
            proc, secret, port, metrics_port = start(d)
            socks = []
            try:
                socks = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(100)]
                # 80 taken; the other 20 are closed at once (plain HTTP: after a 503), not
                # queued. (Of the idle connections taken, those holding a worker give it up
                # after --http_busy_request_timeout, since others wait.)
                closed = closed_by_server(socks, 3)
                self.assertGreaterEqual(len(closed), 20, sorted(closed))
                self.assertEqual(closed_total(metrics_port, "refused"), 20)
                self.assertIsNone(proc.poll())
            finally:
                for s in socks:
                    s.close()
                stop(proc)

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--gateway", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
