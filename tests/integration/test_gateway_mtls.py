#!/usr/bin/python3
"""Optional mTLS on the gateway's gRPC port, against the real tuopin-gateway binary: a
client with a certificate from the trusted CA gets an answer from the gateway; a client
without a certificate, with one from another CA, or speaking plaintext does not.

Run by CTest: --gateway <tuopin-gateway>."""

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import unittest

import grpc

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from tuopin_testing import hs256_token, start_gateway  # noqa: E402

ARGS = None


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_ca(d, name):
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
            "-subj", f"/CN={name}", "-keyout", f"{name}.key", "-out", f"{name}.crt", cwd=d)


def make_cert(d, ca, name, san):
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", f"/CN={name}",
            "-keyout", f"{name}.key", "-out", f"{name}.csr", cwd=d)
    with open(os.path.join(d, f"{name}.ext"), "w") as f:
        f.write(f"subjectAltName={san}\n")
    openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.crt", "-CAkey", f"{ca}.key", "-CAcreateserial",
            "-days", "2", "-extfile", f"{name}.ext", "-out", f"{name}.crt", cwd=d)


def read(d, name):
    with open(os.path.join(d, name), "rb") as f:
        return f.read()


class GatewayMtlsTest(unittest.TestCase):
    def test_only_clients_of_the_trusted_ca_get_in(self):
        with tempfile.TemporaryDirectory() as d:
            make_ca(d, "ca")
            make_ca(d, "other-ca")
            make_cert(d, "ca", "gateway", "DNS:localhost,IP:127.0.0.1")
            make_cert(d, "ca", "client", "DNS:tuopin-app")
            make_cert(d, "other-ca", "intruder", "DNS:intruder")
            proc, port, secret = start_gateway(
                ARGS.gateway, d, f"--tls_cert_file={d}/gateway.crt", f"--tls_key_file={d}/gateway.key",
                f"--tls_client_ca_file={d}/ca.crt")
            try:
                # A cadre may not import regions: a PERMISSION_DENIED proves the gateway
                # itself answered over an established TLS session.
                def call(creds):
                    channel = grpc.secure_channel(f"127.0.0.1:{port}", creds) if creds else \
                        grpc.insecure_channel(f"127.0.0.1:{port}")
                    try:
                        rpc = channel.unary_unary("/tuopin.personnel.v1.PersonnelService/ImportRegions")
                        rpc(b"", metadata=(("authorization", "Bearer " + hs256_token(secret)),), timeout=5)
                    except grpc.RpcError as e:
                        return e.code()
                    finally:
                        channel.close()
                    return grpc.StatusCode.OK

                root = read(d, "ca.crt")
                trusted = grpc.ssl_channel_credentials(root, read(d, "client.key"), read(d, "client.crt"))
                self.assertEqual(call(trusted), grpc.StatusCode.PERMISSION_DENIED)
                self.assertEqual(call(grpc.ssl_channel_credentials(root)), grpc.StatusCode.UNAVAILABLE,
                                 "no client certificate")
                intruder = grpc.ssl_channel_credentials(root, read(d, "intruder.key"), read(d, "intruder.crt"))
                self.assertEqual(call(intruder), grpc.StatusCode.UNAVAILABLE, "a certificate of another CA")
                self.assertEqual(call(None), grpc.StatusCode.UNAVAILABLE, "plaintext")
            finally:
                proc.send_signal(signal.SIGTERM)
                proc.wait(20)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--gateway", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
