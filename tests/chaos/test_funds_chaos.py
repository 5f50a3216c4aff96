#!/usr/bin/python3
"""Chaos for the ledger: the real tuopin-funds binary, and in the second test also its
own MariaDB server, are killed with SIGKILL at random moments, several rounds, while clients move money and retry every unanswered request
with the same request_id. Afterwards, against the database itself: every acknowledged
transfer is stored exactly once, nothing unacknowledged is half-written, money is
conserved, the guarded pool is not overdrawn, and there is exactly one audit event per
mutation in the outbox (none lost with a crash, none doubled by a retry).

Bounded: 4 clients x 400 requests, at most 5 kill rounds. The seed is printed; pass --seed to
replay a run. Run by CTest: --funds <tuopin-funds> --pyout <python modules>."""

import argparse
import collections
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import grpc

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from tuopin_testing import PrivateMariaDB, TestDatabase, principal_metadata, wait_for_ports  # noqa: E402

ARGS = None
CLIENTS, REQUESTS, ROUNDS = 4, 400, 5
AMOUNT = 100


class Funds:
    """The funds service as a process that can be killed and restarted."""

    def __init__(self, db, d):
        self.db, self.d = db, d
        self.proc = None
        self.target = None
        self.lock = threading.Lock()

    def start(self):
        ports = f"{self.d}/ports"
        if os.path.exists(ports):
            os.remove(ports)
        self.proc = subprocess.Popen([
            ARGS.funds, "--port=0", "--metrics_port=0", f"--port_file={ports}", "--host=127.0.0.1",
            f"--db_dsn_file={self.db.dsn_file(self.d)}", f"--internal_key_file={self.d}/internal.key", "--relay_outbox=false",
            "--shutdown_grace=0s"], stderr=subprocess.DEVNULL)
        port = wait_for_ports(ports)[0]
        with self.lock:
            self.target = f"127.0.0.1:{port}"

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(20)


class FundsChaosTest(unittest.TestCase):
    def test_sigkill_of_the_service_loses_and_doubles_nothing(self):
        self.chaos(TestDatabase("chaos"), with_database=False)

    def test_sigkill_of_the_database_and_the_service_loses_and_doubles_nothing(self):
        with tempfile.TemporaryDirectory() as state:
            mariadb = PrivateMariaDB(state)
            mariadb.start()
            try:
                self.chaos(TestDatabase("chaos", mariadb.dsn()), with_database=mariadb)
            finally:
                mariadb.stop()

    def chaos(self, db, with_database):
        sys.path.insert(0, ARGS.pyout)
        from tuopin.common.v1 import common_pb2 as cv1
        from tuopin.funds.v1 import funds_pb2 as fv1

        seed = ARGS.seed if ARGS.seed is not None else random.randrange(1 << 30)
        print(f"seed {seed}")
        rng = random.Random(seed)
        with tempfile.TemporaryDirectory() as d:
            internal_key = os.urandom(32).hex().encode()
            with open(f"{d}/internal.key", "wb") as f:
                f.write(internal_key)
            funds = Funds(db, d)
            funds.start()

            def call(method, request, response_type, channel):
                full = f"/tuopin.funds.v1.FundsService/{method}"
                rpc = channel.unary_unary(full, request_serializer=lambda m: m.SerializeToString(),
                                          response_deserializer=response_type.FromString)
                md = principal_metadata(cv1, internal_key, full, "finance-shuicheng", ["finance_officer"], ["520221"])
                return rpc(request, metadata=md, timeout=5)

            def until_acknowledged(method, request, response_type, channel_box):
                """Retries with the same request until the service answers it."""
                for _ in range(400):
                    try:
                        return call(method, request, response_type, channel_box[0])
                    except grpc.RpcError as e:
                        if e.code() not in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED,
                                            grpc.StatusCode.CANCELLED, grpc.StatusCode.ABORTED,
                                            grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL):
                            raise
                        retries[0] += 1
                        time.sleep(0.05)
                        with funds.lock:
                            target = funds.target
                        channel_box[0].close()
                        channel_box[0] = grpc.insecure_channel(target)
                raise AssertionError(f"{method} never answered")

            box = [grpc.insecure_channel(funds.target)]
            accounts = {}
            # The county's own budget: the one source a finance officer may issue from.
            for code, kind, level in (("SRC-COUNTY", fv1.ACCOUNT_KIND_SOURCE, fv1.SOURCE_LEVEL_COUNTY),
                                      ("POOL-SHUICHENG", fv1.ACCOUNT_KIND_POOL, fv1.SOURCE_LEVEL_UNSPECIFIED)):
                req = fv1.CreateAccountRequest(request_id=f"acct-{code}")
                req.account.code, req.account.kind, req.account.name = code, kind, code
                req.account.region_code, req.account.source_level = "520221", level
                accounts[code] = until_acknowledged("CreateAccount", req, fv1.Account, box).id
            box[0].close()

            acknowledged = [[] for _ in range(CLIENTS)]
            errors = []
            retries = [0]

            def client(c):
                channel_box = [grpc.insecure_channel(funds.target)]
                try:
                    for i in range(REQUESTS):
                        req = fv1.CreateTransfersRequest(request_id=f"chaos-{c}-{i}")
                        t = req.transfers.add(id=f"tr-{c}-{i}", debit_account_id=accounts["SRC-COUNTY"],
                                              credit_account_id=accounts["POOL-SHUICHENG"], amount_fen=AMOUNT,
                                              kind=fv1.TRANSFER_KIND_APPROPRIATION)
                        resp = until_acknowledged("CreateTransfers", req, fv1.CreateTransfersResponse, channel_box)
                        acknowledged[c].append((t.id, resp))
                except Exception as e:  # reported by the main thread
                    errors.append(repr(e))
                finally:
                    channel_box[0].close()

            threads = [threading.Thread(target=client, args=(c,)) for c in range(CLIENTS)]
            for t in threads:
                t.start()
            kills = db_kills = 0
            for round_ in range(ROUNDS):
                time.sleep(rng.uniform(0.05, 0.4))
                if not any(t.is_alive() for t in threads):
                    break
                if with_database and round_ % 2 == 0:  # the database in rounds 0, 2, 4
                    with_database.kill()
                    kills += 1
                    db_kills += 1
                    time.sleep(rng.uniform(0.0, 0.2))
                    with_database.start()
                else:
                    funds.kill()
                    kills += 1
                    time.sleep(rng.uniform(0.0, 0.2))
                    funds.start()
            for t in threads:
                t.join(120)
            funds.proc.send_signal(signal.SIGTERM)
            funds.proc.wait(20)

        try:
            self.assertEqual(errors, [])
            results = collections.Counter(fv1.TransferResult.Name(r) for acks in acknowledged
                                          for _, resp in acks for r in resp.results)
            print(f"per-transfer results: {dict(results)}")
            # OK, or EXISTS when the first attempt committed but its answer was lost.
            self.assertLessEqual(set(results), {"TRANSFER_RESULT_OK", "TRANSFER_RESULT_EXISTS"}, results)
            ids = [tid for acks in acknowledged for tid, _ in acks]
            self.assertEqual(len(ids), CLIENTS * REQUESTS, "every request was eventually acknowledged")
            stored = {row[0]: int(row[1]) for row in db.sql(
                f"USE {db.name}; SELECT id, COUNT(*) FROM transfers GROUP BY id")}
            missing = sorted(set(ids) - set(stored))
            if missing:
                # Which part of the acknowledged transaction is gone: the transfer alone, or
                # also its idempotency record and audit event (the whole commit)?
                for tid in missing[:5]:
                    rid = "chaos-" + tid[len("tr-"):]
                    resp = next(r for acks in acknowledged for t, r in acks if t == tid)
                    recorded = db.scalar(f"SELECT COUNT(*) FROM idempotency WHERE request_id = '{rid}'")
                    print(f"missing {tid}: answered {[fv1.TransferResult.Name(r) for r in resp.results]}, "
                          f"idempotency rows {recorded}")
            self.assertEqual(sorted(stored), sorted(ids), "exactly the acknowledged transfers are stored")
            self.assertEqual(set(stored.values()), {1})
            self.assertEqual(db.scalar("SELECT SUM(debits_pending + debits_posted) - "
                                       "SUM(credits_pending + credits_posted) FROM accounts"), 0, "conservation")
            self.assertEqual(db.scalar("SELECT COUNT(*) FROM accounts WHERE guarded = 1 AND "
                                       "debits_pending + debits_posted > credits_posted"), 0, "no overdraft")
            self.assertEqual(db.scalar("SELECT SUM(amount) FROM transfers"), AMOUNT * len(ids))
            self.assertEqual(db.scalar("SELECT COUNT(*) FROM outbox"), len(ids) + 2,
                             "one audit event per mutation (transfers and the two accounts)")
            self.assertEqual(db.scalar("SELECT COUNT(DISTINCT event_id) FROM outbox"), len(ids) + 2)
            print(f"{kills} SIGKILLs ({db_kills} of MariaDB), {retries[0]} retried calls; {len(ids)} transfers acknowledged, "
                  "each stored and audited once")
            self.assertGreater(kills, 0)
            if with_database:
                self.assertGreater(db_kills, 0)
        finally:
            db.drop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--funds", required=True)
    parser.add_argument("--pyout", required=True)
    parser.add_argument("--seed", type=int)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
