#!/usr/bin/python3
"""How long after a write is acknowledged it is provable (issue 23, point 4): under the
mixed write load of the chaos test (households, tasks and transfers from several clients
through the gateway, without the kills), the time from each acknowledgement to the first
signed checkpoint whose tree includes the write's audit event, with an inclusion proof of
that event against that checkpoint fetched and verified here.

    tests/bench/write_to_proof.py --build build [--seconds 20] [--clients 4]
                                  [--checkpoint_interval 1s]

Needs TUOPIN_TEST_DSN (tests/bench/run sets it). A watcher reads the checkpoint every
--poll (20 ms), so each figure is late by at most that much. Prints p50/p90/p99/max, what
bounds them (the services' outbox relays wait up to 200 ms when idle; the log's sequencer
integrates and signs every --checkpoint_interval), and a JSON line for figures.py.
"""

import argparse
import collections
import json
import os
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "demo"))


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", required=True)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--checkpoint_interval", default="1s", help="the audit log's (its default: 1s)")
    parser.add_argument("--poll", type=float, default=0.02)
    args = parser.parse_args()
    sys.path.insert(0, os.path.join(args.build, "python"))
    import grpc
    from tlog_verify import leaf_hash, parse_checkpoint, verify_inclusion, verify_note
    from tuopin_testing import Suite
    from tuopin.auditlog.v1 import auditlog_pb2 as av1
    from tuopin.common.v1 import common_pb2 as cv1
    from tuopin.funds.v1 import funds_pb2 as fv1
    from tuopin.personnel.v1 import personnel_pb2 as pv1
    from tuopin.tasks.v1 import tasks_pb2 as tv1
    import shuicheng_demo

    # The gateway's per-principal rate limit lifted, as for the other load figures: this
    # measures the path to a proof, not the admission of a client.
    suite = Suite(args.build, tempfile.mkdtemp(prefix="tuopin-w2p-"),
                  gateway_flags=["--rate_limit_rps=1000000", "--rate_limit_burst=1000000",
                                 "--max_inflight_per_principal=100000"],
                  auditlog_flags=[f"--checkpoint_interval={args.checkpoint_interval}"])
    try:
        api = shuicheng_demo.Api(suite.target, suite.secret, f"{args.build}/python", workers=8)
        demo = shuicheng_demo.load(api, size="tiny", seed=23)
        admin = suite.token("admin", sub="w2p-watcher")
        channel = grpc.insecure_channel(suite.target)

        def call(method, request, response_type, token=admin, timeout=10):
            rpc = channel.unary_unary(method, request_serializer=lambda m: m.SerializeToString(),
                                      response_deserializer=response_type.FromString)
            return rpc(request, metadata=(("authorization", f"Bearer {token}"),), timeout=timeout)

        key = call("/tuopin.auditlog.v1.AuditLog/GetPublicKey", av1.GetPublicKeyRequest(), av1.PublicKey).verifier_key
        acked = {}        # request id -> monotonic time of the acknowledgement
        provable = {}     # request id -> monotonic time its checkpoint was first read
        lock = threading.Lock()
        stop = threading.Event()
        errors = []
        village = "520221100001"

        def client(c):
            token = suite.token("admin", sub=f"w2p-c{c}")
            i = 0
            try:
                while not stop.is_set():
                    rid = f"w2p-{c}-{i}"
                    kind = i % 3
                    i += 1
                    if kind == 0:
                        call("/tuopin.personnel.v1.PersonnelService/CreateHousehold", pv1.CreateHouseholdRequest(
                            request_id=rid, household=pv1.Household(
                                village_code=village, head_name=f"W2P {rid}", member_count=3,
                                status=pv1.HOUSEHOLD_STATUS_REGISTERED_POOR)), pv1.Household, token)
                    elif kind == 1:
                        call("/tuopin.tasks.v1.TaskService/CreateTask", tv1.CreateTaskRequest(
                            request_id=rid, task=tv1.Task(
                                campaign_id=demo["campaign_id"], stage=tv1.STAGE_FIX_SHORTCOMINGS,
                                sector=cv1.SECTOR_DRINKING_WATER, village_code=village, title=f"W2P {rid}",
                                assignee_department="Shuicheng Water Bureau",
                                deadline=cv1.Date(year=2027, month=3, day=1), priority=tv1.PRIORITY_NORMAL)),
                             tv1.Task, token)
                    else:
                        r = call("/tuopin.funds.v1.FundsService/CreateTransfers", fv1.CreateTransfersRequest(
                            request_id=rid, transfers=[fv1.Transfer(
                                id=f"tr-{rid}", debit_account_id=demo["county_pool_id"],
                                credit_account_id=demo["project_account_id"], amount_fen=1,
                                kind=fv1.TRANSFER_KIND_ALLOCATION)]), fv1.CreateTransfersResponse, token)
                        if list(r.results) != [fv1.TRANSFER_RESULT_OK]:
                            raise AssertionError(f"{rid}: {list(r.results)}")
                    now = time.monotonic()
                    with lock:
                        acked[rid] = now
            except Exception as e:  # reported below
                errors.append(repr(e))

        checkpoints = []   # (monotonic time read, size)
        proofs = [0]

        def watch():
            seen = call("/tuopin.auditlog.v1.AuditLog/GetCheckpoint", av1.GetCheckpointRequest(),
                        av1.Checkpoint).tree_size
            while not (stop.is_set() and watch_done.is_set()):
                cp = call("/tuopin.auditlog.v1.AuditLog/GetCheckpoint", av1.GetCheckpointRequest(), av1.Checkpoint)
                read = time.monotonic()
                if cp.tree_size > seen:
                    text = verify_note(cp.signed_note, key)
                    if text is None:
                        raise AssertionError("a checkpoint not signed by the log's key")
                    _, size, root = parse_checkpoint(text)
                    checkpoints.append((read, size))
                    mine = []
                    for start in range(seen, size, 1000):
                        leaves = call("/tuopin.auditlog.v1.AuditLog/GetLeavesByRange", av1.GetLeavesByRangeRequest(
                            start=start, count=min(1000, size - start)), av1.GetLeavesByRangeResponse)
                        mine += [l for l in leaves.leaves if l.event.request_id.startswith("w2p-")]
                    for start in range(0, len(mine), 1000):
                        batch = mine[start:start + 1000]
                        got = call("/tuopin.auditlog.v1.AuditLog/GetInclusionProofs", av1.GetInclusionProofsRequest(
                            leaf_indexes=[l.index for l in batch], tree_size=size), av1.GetInclusionProofsResponse)
                        for leaf, proof in zip(batch, got.proofs):
                            if not verify_inclusion(leaf_hash(leaf.leaf_value), leaf.index, size, list(proof.hashes),
                                                    root):
                                raise AssertionError(f"leaf {leaf.index}: the proof does not verify")
                            proofs[0] += 1
                    with lock:
                        for leaf in mine:
                            provable.setdefault(leaf.event.request_id, read)
                    seen = size
                time.sleep(args.poll)

        watch_done = threading.Event()
        watcher_errors = []

        def watcher():
            try:
                watch()
            except Exception as e:
                watcher_errors.append(repr(e))

        w = threading.Thread(target=watcher)
        w.start()
        clients = [threading.Thread(target=client, args=(c,)) for c in range(args.clients)]
        started = time.monotonic()
        for t in clients:
            t.start()
        time.sleep(args.seconds)
        stop.set()
        for t in clients:
            t.join()
        writing = time.monotonic() - started
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not watcher_errors:
            with lock:
                if set(acked) <= set(provable):
                    break
            time.sleep(0.1)
        watch_done.set()
        w.join()
        if errors or watcher_errors:
            raise SystemExit(f"write_to_proof: failed: {errors[:3]} {watcher_errors[:3]}")
        missing = set(acked) - set(provable)
        if missing:
            raise SystemExit(f"write_to_proof: {len(missing)} acknowledged writes never provable, e.g. "
                             f"{sorted(missing)[:3]}")
        # The watcher may read a checkpoint an instant before its client records the
        # acknowledgement: such a write was provable at once.
        latency = [max(0.0, provable[r] - acked[r]) for r in acked]
        periods = [b[0] - a[0] for a, b in zip(checkpoints, checkpoints[1:])]
        p50, p90, p99 = (percentile(latency, p) for p in (50, 90, 99))
        print(f"{len(acked)} writes acknowledged in {writing:.1f} s ({len(acked) / writing:.0f}/s, {args.clients} "
              f"clients), each in a signed checkpoint with a verified inclusion proof ({proofs[0]} proofs)")
        print(f"write to proof: p50 {p50 * 1000:.0f} ms, p90 {p90 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, "
              f"max {max(latency) * 1000:.0f} ms (checkpoint read every {args.poll * 1000:.0f} ms)")
        if periods:
            print(f"checkpoints: {len(checkpoints)}, one every {sum(periods) / len(periods) * 1000:.0f} ms on "
                  f"average (--checkpoint_interval={args.checkpoint_interval}); bounded by the relays' idle "
                  f"poll (200 ms) + shipping + the sequencer's period")
        fig = {"figure": f"write-to-proof latency p99, mixed writes, {args.clients} clients", "goal": "< 2 s",
               "measured": f"{p99:.2f} s (p50 {p50:.2f} s, max {max(latency):.2f} s)", "ratio": "",
               "met": "yes" if p99 < 2 else "no",
               "command": f"tests/bench/write_to_proof.py --checkpoint_interval {args.checkpoint_interval}"}
        print("JSON " + json.dumps(fig))
        channel.close()
    finally:
        suite.stop()


if __name__ == "__main__":
    main()
