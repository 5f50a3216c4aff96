#!/usr/bin/python3
"""An independent verifier of the audit log, written from RFC 6962/9162 and the C2SP
signed-note and tlog-checkpoint specifications, against the real tuopin-auditlog
binary on the test MariaDB. It shares no code with the service: its own hashing, its own
proof checks, `cryptography` for Ed25519, and its own parsing of the notes.

Run by CTest: --binary <tuopin-auditlog> --pyout <generated python modules>;
TUOPIN_TEST_DSN names the MariaDB (root)."""

import argparse
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import grpc
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from tuopin_testing import TestDatabase, principal_metadata  # noqa: E402
from tlog_verify import leaf_hash, mth, parse_checkpoint, verify_consistency, verify_inclusion, verify_note  # noqa: E402

ARGS = None


# --- the test ------------------------------------------------------------------------------
def wait_for(predicate, timeout, interval=0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


class AuditLogVerifierTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        sys.path.insert(0, ARGS.pyout)
        global av1, cv1, Timestamp
        from tuopin.auditlog.v1 import auditlog_pb2 as av1  # noqa: E402
        from tuopin.common.v1 import common_pb2 as cv1  # noqa: E402
        from google.protobuf.timestamp_pb2 import Timestamp  # noqa: E402

        cls.db = TestDatabase("py")
        cls.tmp = tempfile.TemporaryDirectory()
        d = cls.tmp.name
        cls.internal_key = secrets.token_hex(32).encode()
        with open(f"{d}/internal.key", "wb") as f:
            f.write(cls.internal_key)
        with open(f"{d}/signing.pem", "wb") as f:
            f.write(Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        port_file = f"{d}/ports"
        cls.proc = subprocess.Popen([
            ARGS.binary, "--port=0", "--metrics_port=0", f"--port_file={port_file}", "--host=127.0.0.1",
            f"--db_dsn_file={cls.db.dsn_file(d)}",
            f"--internal_key_file={d}/internal.key", f"--signing_key_file={d}/signing.pem",
            # No service token: the log calls nobody.
            "--checkpoint_interval=100ms", "--shutdown_grace=0s", "--log_origin=tuopin.test/python"],
            stderr=subprocess.DEVNULL)
        assert wait_for(lambda: os.path.exists(port_file), 20), "the log never listened"
        with open(port_file) as f:
            port = int(f.read().split()[0])
        cls.channel = grpc.insecure_channel(f"127.0.0.1:{port}")

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        cls.proc.send_signal(signal.SIGTERM)
        cls.proc.wait(20)
        cls.db.drop()
        cls.tmp.cleanup()

    def call(self, method, request, response_type, role="auditor"):
        """Calls as the gateway would: a principal signed with the internal key."""
        # A service principal speaks for the service its subject names.
        subject = "service:tasks" if role == "service" else f"py-{role}"
        metadata = principal_metadata(cv1, self.internal_key, f"/tuopin.auditlog.v1.AuditLog/{method}",
                                      subject, [role], ["*"], ttl=60)
        rpc = self.channel.unary_unary(f"/tuopin.auditlog.v1.AuditLog/{method}",
                                       request_serializer=lambda m: m.SerializeToString(),
                                       response_deserializer=response_type.FromString)
        return rpc(request, metadata=metadata, timeout=10)

    def append(self, first, last):
        events = [cv1.AuditEvent(event_id=f"py-{i}", service="tasks", method="/tuopin.tasks.v1.TaskService/VerifyTask",
                                 actor_subject="inspector-3", occurred_at=Timestamp(seconds=1534809600 + i))
                  for i in range(first, last)]
        return self.call("AppendEvents", av1.AppendEventsRequest(events=events), av1.AppendEventsResponse, "service")

    def checkpoint(self, size):
        key = self.call("GetPublicKey", av1.GetPublicKeyRequest(), av1.PublicKey).verifier_key
        cp = wait_for(lambda: (lambda c: c if c.tree_size == size else None)(
            self.call("GetCheckpoint", av1.GetCheckpointRequest(), av1.Checkpoint)), 10)
        self.assertIsNotNone(cp, "no checkpoint of the new size")
        text = verify_note(cp.signed_note, key)
        self.assertIsNotNone(text, "the checkpoint's signature does not verify")
        origin, tree_size, root = parse_checkpoint(text)
        self.assertEqual((origin, tree_size), ("tuopin.test/python", size))
        return root

    def test_independent_verification(self):
        self.assertEqual(list(self.append(0, 37).leaf_indexes), list(range(37)))
        root = self.checkpoint(37)
        # Leaves are read by operators and services; auditors read through audit-query.
        leaves = self.call("GetLeavesByRange", av1.GetLeavesByRangeRequest(start=0, count=37),
                           av1.GetLeavesByRangeResponse, "admin").leaves
        hashes = [leaf_hash(l.leaf_value) for l in leaves]
        # The event each leaf carries is the deterministic serialization of the event.
        self.assertEqual(leaves[5].event.event_id, "py-5")
        self.assertEqual(mth(hashes), root, "the root recomputed from the leaves differs")
        for i in range(37):
            proof = self.call("GetInclusionProof", av1.GetInclusionProofRequest(leaf_index=i, tree_size=37),
                              av1.InclusionProof)
            self.assertTrue(verify_inclusion(hashes[i], i, 37, list(proof.hashes), root), f"leaf {i}")
            self.assertFalse(verify_inclusion(leaf_hash(b"rewritten"), i, 37, list(proof.hashes), root))

        self.append(30, 64)  # 30..36 again (ignored), 37..63 new
        new_root = self.checkpoint(64)
        proof = self.call("GetConsistencyProof", av1.GetConsistencyProofRequest(first_size=37, second_size=64),
                          av1.ConsistencyProof)
        self.assertTrue(verify_consistency(37, 64, root, new_root, list(proof.hashes)))
        self.assertFalse(verify_consistency(37, 64, mth(hashes[:36] + [leaf_hash(b"x")]), new_root,
                                            list(proof.hashes)))

        with self.assertRaises(grpc.RpcError) as err:
            self.call("AppendEvents", av1.AppendEventsRequest(events=[cv1.AuditEvent(event_id="z")]),
                      av1.AppendEventsResponse, "auditor")
        self.assertEqual(err.exception.code(), grpc.StatusCode.PERMISSION_DENIED)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--pyout", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
