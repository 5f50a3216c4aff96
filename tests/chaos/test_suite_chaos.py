#!/usr/bin/python3
"""Chaos for the whole suite: every binary (personnel, funds, tasks, accountability, the
audit log, audit-query, the gateway) on its own MariaDB server, a mixed write load
through the gateway (households, tasks, transfers) whose clients retry every unanswered
request with the same request_id, and SIGKILL of each service (audit-query too, which
must come back answering), the gateway and the MariaDB server at random moments, one per
round, each restarted.

Afterwards, against the databases and the log itself:
- every acknowledged mutation is stored exactly once, and nothing else the clients sent;
- the ledger conserves money and no guarded account is overdrawn;
- every acknowledged mutation is in the audit log exactly once (after the relays drain);
- the log's checkpoint read before and after every crash is signed by the log's key and
  consistent with the final checkpoint (RFC 6962 consistency proofs, checked by the
  independent verifier in tests/support/tlog_verify.py).

Bounded: 4 clients, each at most 3,000 requests, sending until the 8 rounds are over. The seed is printed; --seed replays the kill
order and timing (not the exact interleaving).

Run by CTest: --build <build dir>."""

import argparse
import collections
import os
import random
import sys
import tempfile
import threading
import time
import unittest

import grpc

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "demo"))
from tlog_verify import parse_checkpoint, verify_consistency, verify_note  # noqa: E402
from tuopin_testing import PrivateMariaDB, Suite  # noqa: E402
import shuicheng_demo  # noqa: E402

ARGS = None
CLIENTS, MAX_REQUESTS = 4, 3000
VICTIMS = ["personnel", "funds", "tasks", "accountability", "auditlog", "auditquery", "gateway", "mariadb"]
RETRY = {"UNAVAILABLE", "DEADLINE_EXCEEDED", "CANCELLED", "ABORTED", "UNKNOWN", "INTERNAL", "RESOURCE_EXHAUSTED"}


class SuiteChaosTest(unittest.TestCase):
    def test_sigkill_of_every_part_loses_and_doubles_nothing(self):
        sys.path.insert(0, f"{ARGS.build}/python")
        from tuopin.auditlog.v1 import auditlog_pb2 as av1
        from tuopin.common.v1 import common_pb2 as cv1
        from tuopin.funds.v1 import funds_pb2 as fv1
        from tuopin.personnel.v1 import personnel_pb2 as pv1
        from tuopin.tasks.v1 import tasks_pb2 as tv1

        seed = ARGS.seed if ARGS.seed is not None else random.randrange(1 << 30)
        print(f"seed {seed}")
        rng = random.Random(seed)
        state = tempfile.mkdtemp(prefix="suite-chaos-")
        mariadb = PrivateMariaDB(state)
        mariadb.start()
        suite = None
        try:
            suite = Suite(ARGS.build, state, server_dsn=mariadb.dsn())
            api = shuicheng_demo.Api(suite.target, suite.secret, f"{ARGS.build}/python", workers=4)
            demo = shuicheng_demo.load(api, size="tiny", seed=5)
            village = "520221100001"
            token = {c: suite.token("admin", sub=f"chaos-c{c}") for c in range(CLIENTS)}
            admin = suite.token("admin", sub="chaos-checker")
            retries = [0]

            def call(channel, method, request, response_type, tok):
                rpc = channel.unary_unary(method, request_serializer=lambda m: m.SerializeToString(),
                                          response_deserializer=response_type.FromString)
                return rpc(request, metadata=(("authorization", f"Bearer {tok}"),), timeout=5)

            def until_answered(box, method, request, response_type, tok):
                for _ in range(600):
                    try:
                        return call(box[0], method, request, response_type, tok)
                    except grpc.RpcError as e:
                        if e.code().name not in RETRY:
                            raise AssertionError(f"{method} {getattr(request, 'request_id', '')}: "
                                                 f"{e.code().name} {e.details()}")
                        retries[0] += 1
                        time.sleep(0.05)
                        box[0].close()
                        box[0] = grpc.insecure_channel(suite.target)
                raise AssertionError(f"{method} never answered")

            key = until_answered([grpc.insecure_channel(suite.target)], "/tuopin.auditlog.v1.AuditLog/GetPublicKey",
                                 av1.GetPublicKeyRequest(), av1.PublicKey, admin).verifier_key
            acked = collections.defaultdict(dict)  # kind -> request_id -> business id
            errors = []
            stop = threading.Event()

            def client(c):
                box = [grpc.insecure_channel(suite.target)]
                try:
                    for i in range(MAX_REQUESTS):
                        if stop.is_set():
                            break
                        rid = f"chaos-{c}-{i}"
                        kind = ("household", "task", "transfer")[i % 3]
                        if kind == "household":
                            req = pv1.CreateHouseholdRequest(request_id=rid, household=pv1.Household(
                                village_code=village, head_name=f"Chaos {rid}", member_count=3,
                                status=pv1.HOUSEHOLD_STATUS_REGISTERED_POOR))
                            r = until_answered(box, "/tuopin.personnel.v1.PersonnelService/CreateHousehold", req,
                                               pv1.Household, token[c])
                            acked[kind][rid] = r.id
                        elif kind == "task":
                            req = tv1.CreateTaskRequest(request_id=rid, task=tv1.Task(
                                campaign_id=demo["campaign_id"], stage=tv1.STAGE_FIX_SHORTCOMINGS,
                                sector=cv1.SECTOR_DRINKING_WATER, village_code=village, title=f"Chaos {rid}",
                                assignee_department="Shuicheng Water Bureau",
                                deadline=cv1.Date(year=2027, month=3, day=1), priority=tv1.PRIORITY_NORMAL))
                            r = until_answered(box, "/tuopin.tasks.v1.TaskService/CreateTask", req, tv1.Task,
                                               token[c])
                            acked[kind][rid] = r.id
                        else:
                            req = fv1.CreateTransfersRequest(request_id=rid, transfers=[fv1.Transfer(
                                id=f"tr-{rid}", debit_account_id=demo["county_pool_id"],
                                credit_account_id=demo["project_account_id"], amount_fen=100,
                                kind=fv1.TRANSFER_KIND_ALLOCATION)])
                            r = until_answered(box, "/tuopin.funds.v1.FundsService/CreateTransfers", req,
                                               fv1.CreateTransfersResponse, token[c])
                            if list(r.results) not in ([fv1.TRANSFER_RESULT_OK], [fv1.TRANSFER_RESULT_EXISTS]):
                                raise AssertionError(f"{rid}: {list(r.results)}")
                            acked[kind][rid] = f"tr-{rid}"
                except Exception as e:  # reported by the main thread
                    errors.append(repr(e))
                finally:
                    box[0].close()

            checkpoints = []

            def checkpoint():
                box = [grpc.insecure_channel(suite.target)]
                cp = until_answered(box, "/tuopin.auditlog.v1.AuditLog/GetCheckpoint",
                                    av1.GetCheckpointRequest(), av1.Checkpoint, admin)
                box[0].close()
                checkpoints.append(cp.signed_note)

            threads = [threading.Thread(target=client, args=(c,)) for c in range(CLIENTS)]
            for t in threads:
                t.start()
            order = VICTIMS[:]
            rng.shuffle(order)
            killed = []
            for victim in order:
                time.sleep(rng.uniform(0.2, 0.6))
                if not any(t.is_alive() for t in threads):
                    break
                checkpoint()
                if victim == "mariadb":
                    mariadb.kill()
                    time.sleep(rng.uniform(0.0, 0.3))
                    mariadb.start()
                else:
                    suite.kill(victim)
                    time.sleep(rng.uniform(0.0, 0.3))
                    suite.restart(victim)
                checkpoint()
                killed.append(victim)
                print(f"killed and restarted {victim}", flush=True)
            stop.set()
            for t in threads:
                t.join(300)
            self.assertEqual(errors, [])

            # The relays drain: every service's outbox shipped, bounded.
            services = ("personnel", "funds", "tasks")
            deadline = time.monotonic() + 60
            while any(suite.dbs[s].scalar("SELECT COUNT(*) FROM outbox WHERE shipped_at IS NULL") for s in services):
                self.assertLess(time.monotonic(), deadline, "the outbox relays did not drain")
                time.sleep(0.2)
            time.sleep(0.6)  # one more checkpoint interval
            checkpoint()

            # Exactly the acknowledged mutations are stored, each once.
            n = sum(len(v) for v in acked.values())
            self.assertGreater(n, 0)
            db = suite.dbs
            self.assertEqual(db["personnel"].scalar("SELECT COUNT(*) FROM households WHERE head_name LIKE 'Chaos %'"),
                             len(acked["household"]))
            self.assertEqual(db["personnel"].scalar(
                "SELECT COUNT(DISTINCT id) FROM households WHERE id IN ('" + "','".join(acked["household"].values()) +
                "')"), len(acked["household"]))
            self.assertEqual(db["tasks"].scalar("SELECT COUNT(*) FROM tasks WHERE title LIKE 'Chaos %'"),
                             len(acked["task"]))
            self.assertEqual(db["tasks"].scalar(
                "SELECT COUNT(DISTINCT id) FROM tasks WHERE id IN ('" + "','".join(acked["task"].values()) + "')"),
                len(acked["task"]))
            self.assertEqual(db["funds"].scalar("SELECT COUNT(*) FROM transfers WHERE id LIKE 'tr-chaos-%'"),
                             len(acked["transfer"]))
            self.assertEqual(db["funds"].scalar("SELECT SUM(debits_pending + debits_posted) - "
                                                "SUM(credits_pending + credits_posted) FROM accounts"), 0)
            self.assertEqual(db["funds"].scalar("SELECT COUNT(*) FROM accounts WHERE guarded = 1 AND "
                                                "debits_pending + debits_posted > credits_posted"), 0)

            # Every acknowledged mutation is in the audit log exactly once.
            final = checkpoints[-1]
            text = verify_note(final, key)
            self.assertIsNotNone(text, "the final checkpoint is signed by the log's key")
            _, size, root = parse_checkpoint(text)
            box = [grpc.insecure_channel(suite.target)]
            logged = collections.Counter()
            for start in range(0, size, 1000):
                leaves = until_answered(box, "/tuopin.auditlog.v1.AuditLog/GetLeavesByRange",
                                        av1.GetLeavesByRangeRequest(start=start, count=min(1000, size - start)),
                                        av1.GetLeavesByRangeResponse, admin)
                for leaf in leaves.leaves:
                    if leaf.event.actor_subject.startswith("chaos-c"):
                        logged[leaf.event.request_id] += 1
            every = {rid for v in acked.values() for rid in v}
            self.assertEqual(set(logged), every, "the log holds the acknowledged mutations and nothing else")
            self.assertEqual({c for c in logged.values()}, {1}, "each exactly once")

            # Audit-query, killed and restarted too, answers again (and logs the look).
            from tuopin.auditquery.v1 import auditquery_pb2 as qv1
            auditor = suite.token("auditor", sub="chaos-auditor", regions=("520221",))
            status = until_answered([grpc.insecure_channel(suite.target)],
                                    "/tuopin.auditquery.v1.AuditQueryService/GetRectificationStatus",
                                    qv1.GetRectificationStatusRequest(region_code="520221"),
                                    qv1.RectificationStatusReport, auditor)
            self.assertGreater(status.open + status.submitted + status.verified, 0)

            # Every checkpoint seen around a crash is signed and extended by the final one.
            proven = 0
            for note in checkpoints[:-1]:
                t = verify_note(note, key)
                self.assertIsNotNone(t)
                _, first, first_root = parse_checkpoint(t)
                if first == 0 or first == size:
                    self.assertTrue(first == 0 or first_root == root)
                    continue
                proof = until_answered(box, "/tuopin.auditlog.v1.AuditLog/GetConsistencyProof",
                                       av1.GetConsistencyProofRequest(first_size=first, second_size=size),
                                       av1.ConsistencyProof, admin)
                self.assertTrue(verify_consistency(first, size, first_root, root, list(proof.hashes)),
                                f"checkpoint {first} -> {size}")
                proven += 1
            box[0].close()
            self.assertEqual(sorted(killed), sorted(VICTIMS), "every part was killed while clients wrote")
            print(f"{len(killed)} SIGKILLs ({', '.join(killed)}), {retries[0]} retried calls; {n} mutations "
                  f"acknowledged, each stored and logged once; {proven} checkpoints proven consistent "
                  f"with the final one (size {size})")
            self.assertGreater(proven, 0)
            self.assertGreater(retries[0], 0, "the crashes were felt by the clients")
        finally:
            if suite is not None:
                suite.stop()
            mariadb.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", required=True)
    parser.add_argument("--seed", type=int)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
