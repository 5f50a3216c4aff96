#!/usr/bin/python3
"""Bad input on every mutating RPC of the suite, through the real gateway and services.

The Shuicheng demo (tiny) is loaded through the API; the first successful request of each
mutating method is the valid baseline. Each baseline is then broken one field at a time,
walking the request's fields from the compiled contract:

  strings      oversize (70,000 bytes), invalid UTF-8 (same length on the wire)
  enums        an unknown value (999)
  amounts      negative, and past 10^15 fen (every int64 *_fen field)
  counts       negative (every other integer field)
  dates        a day that does not exist (2026-02-30)
  regions      a malformed code ("52x") in every *region_code / *village_code field
  limits       one past each bound the contract declares on the field
               (tuopin.common.v1.limits: max_len + 1 bytes, min - 1, max + 1)

and each must be answered INVALID_ARGUMENT with a BadRequest violation naming exactly
that field (or a field inside it), and write nothing: the idempotency records of the
test's own callers do not grow. Empty strings are sent too; they may be valid (optional
text), so only their effect is counted: every accepted one wrote exactly one record.
Last, a request over the 4 MiB message limit is refused without reaching a service.

Run by CTest: --build <build dir>; TUOPIN_TEST_DSN names the MariaDB (root)."""

import argparse
import collections
import os
import sys
import unittest
import uuid

import grpc

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "demo"))
from tuopin_testing import demo_suite  # noqa: E402

ARGS = None
MARK = "\u00e9" * 4  # 8 bytes of UTF-8 that become 8 bytes that are not UTF-8 on the wire
SERVICE_OF = {"PersonnelService": "personnel", "FundsService": "funds", "TaskService": "tasks",
              "AccountabilityService": "accountability"}


def output_only(f):
    from tuopin.common.v1 import common_pb2
    return f.GetOptions().Extensions[common_pb2.output_only]


def field_paths(msg, prefix=""):
    """(path, parent message, field descriptor, index) of every input field worth
    breaking: scalars and dates, inside set sub-messages and the first element of lists.
    Fields the contract marks output-only are ignored by the server (AIP-203): skipped."""
    out = []
    for f in msg.DESCRIPTOR.fields:
        name = prefix + f.name
        if output_only(f):
            continue
        if f.label == f.LABEL_REPEATED:
            items = getattr(msg, f.name)
            if len(items) == 0:
                continue
            if f.type == f.TYPE_MESSAGE:
                sub = items[0]
                if sub.DESCRIPTOR.full_name == "tuopin.common.v1.Date":
                    out.append((f"{name}[0]", msg, f, 0))
                else:
                    out.extend(field_paths(sub, f"{name}[0]."))
            else:
                out.append((f"{name}[0]", msg, f, 0))
        elif f.type == f.TYPE_MESSAGE:
            if not msg.HasField(f.name):
                continue
            sub = getattr(msg, f.name)
            if sub.DESCRIPTOR.full_name == "tuopin.common.v1.Date":
                out.append((name, msg, f, None))
            elif not sub.DESCRIPTOR.full_name.startswith("google.protobuf."):
                out.extend(field_paths(sub, name + "."))
        else:
            out.append((name, msg, f, None))
    return out


def limits(f):
    from tuopin.common.v1 import common_pb2
    options = f.GetOptions()
    return options.Extensions[common_pb2.limits] if options.HasExtension(common_pb2.limits) else None


def bounds(f):
    """(kind, value) one past each bound the field's limits declare."""
    from tuopin.common.v1 import common_pb2
    lim = limits(f)
    if lim is None or lim.checked_by:
        return
    text = (common_pb2.FieldLimits.FORMAT_TEXT, common_pb2.FieldLimits.FORMAT_ABSOLUTE_URI,
            common_pb2.FieldLimits.FORMAT_OPAQUE)
    if f.type == f.TYPE_STRING and lim.max_len and lim.format in text:
        yield "over max_len", "x" * (lim.max_len + 1)
    if f.type in (f.TYPE_INT64, f.TYPE_INT32):
        if lim.HasField("max") and lim.max < 2 ** 31 - 1:
            yield "over max", lim.max + 1
        if lim.HasField("min") and lim.min > 0 and not (lim.optional and lim.min == 1):
            yield "under min", lim.min - 1


def mutations(f):
    """(kind, value) pairs for a field; 'utf8' is patched on the wire."""
    yield from bounds(f)
    base = f.name
    if f.type == f.TYPE_STRING:
        if base.endswith("region_code") or base.endswith("village_code") or base.endswith("region_codes"):
            yield "region", "52x"
        yield "oversize", "x" * 70000
        yield "utf8", MARK
        yield "empty", ""
    elif f.type == f.TYPE_ENUM:
        yield "enum", 999
    elif f.type in (f.TYPE_INT64, f.TYPE_INT32, f.TYPE_SINT64, f.TYPE_SINT32):
        yield "negative", -1
        if base.endswith("_fen"):
            yield "overflow", 10 ** 15 + 1
    elif f.type == f.TYPE_MESSAGE and f.message_type.full_name == "tuopin.common.v1.Date":
        yield "date", (2026, 2, 30)


def with_value(request, path, value):
    """A copy of request with the field at path set to value."""
    copy = type(request)()
    copy.CopyFrom(request)
    target = copy
    parts = path.split(".")
    for part in parts[:-1]:
        name, _, idx = part.partition("[")
        target = getattr(target, name)[int(idx[:-1])] if idx else getattr(target, name)
    last = parts[-1]
    name, _, idx = last.partition("[")
    if isinstance(value, tuple):  # a date
        d = getattr(target, name)[int(idx[:-1])] if idx else getattr(target, name)
        d.year, d.month, d.day = value
    elif idx:
        getattr(target, name)[int(idx[:-1])] = value
    else:
        setattr(target, name, value)
    return copy


def violated(e):
    """The fields of an RpcError's BadRequest violations."""
    from google.rpc import error_details_pb2, status_pb2
    fields = []
    for key, value in e.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            status = status_pb2.Status.FromString(value)
            for d in status.details:
                if d.type_url.endswith("google.rpc.BadRequest"):
                    fields += [v.field for v in error_details_pb2.BadRequest.FromString(d.value).field_violations]
    return fields


class BadInputTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        sys.path.insert(0, f"{ARGS.build}/python")
        sys.path.insert(0, f"{ARGS.build}/python/third_party")
        cls.suite, cls.api, _ = demo_suite(ARGS.build, "bad-input-", seed=11)
        try:
            cls.channel = grpc.insecure_channel(cls.suite.target,
                                                options=[("grpc.max_send_message_length", 16 << 20)])
        except Exception:
            cls.suite.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        cls.suite.stop()

    def send(self, method, request, role, wire=None):
        token = self.suite.token(role, sub=f"bad-input-{role}")
        rpc = self.channel.unary_unary(method, request_serializer=lambda b: b, response_deserializer=lambda b: b)
        return rpc(wire if wire is not None else request.SerializeToString(),
                   metadata=(("authorization", f"Bearer {token}"),), timeout=30)

    def recorded(self):
        """Idempotency records the test's own callers made, per service database."""
        return {s: self.suite.dbs[s].scalar("SELECT COUNT(*) FROM idempotency WHERE subject LIKE 'bad-input-%'")
                for s in SERVICE_OF.values()}

    def test_every_mutating_rpc_refuses_bad_fields_and_writes_nothing(self):
        from tuopin.common.v1 import common_pb2
        from google.protobuf import descriptor_pool
        pool = descriptor_pool.Default()
        before = self.recorded()
        accepted = collections.Counter()
        checked, methods, failures = 0, set(), []
        for method, (baseline, _, role) in sorted(self.api.first.items()):
            _, service, name = method.split("/")
            short = service.split(".")[-1]
            if short not in SERVICE_OF:
                continue
            m = pool.FindMethodByName(f"{service}.{name}")
            if not m.GetOptions().Extensions[common_pb2.policy].mutating:
                continue
            methods.add(method)
            masked = [f"{baseline.DESCRIPTOR.fields[1].name}.{p}" for p in baseline.update_mask.paths] \
                if "update_mask" in baseline.DESCRIPTOR.fields_by_name else None
            for path, parent, f, idx in field_paths(baseline):
                if masked is not None and "." in path and not any(path.startswith(m) for m in masked):
                    continue  # outside the update mask: not read
                for kind, value in mutations(f):
                    bad = with_value(baseline, path, value)
                    if path != "request_id" and hasattr(bad, "request_id"):
                        bad.request_id = f"bad-{uuid.uuid4().hex[:24]}"
                    wire = None
                    if kind == "utf8":
                        wire = bad.SerializeToString()
                        assert wire.count(MARK.encode()) == 1, (method, path)
                        wire = wire.replace(MARK.encode(), b"\xff\xfe" * 4)
                    try:
                        self.send(method, bad, role, wire)
                        if kind == "empty":
                            accepted[SERVICE_OF[short]] += 1
                        else:
                            failures.append(f"{method} {path} ({kind}): accepted")
                    except grpc.RpcError as e:
                        if kind == "empty":
                            continue
                        fields = violated(e)
                        ok = e.code() == grpc.StatusCode.INVALID_ARGUMENT and any(
                            v == path or v.startswith(path + ".") or v.startswith(path + "[") for v in fields)
                        if not ok:
                            failures.append(f"{method} {path} ({kind}): {e.code().name} naming {fields}: "
                                            f"{e.details()[:120]}")
                    checked += 1
        self.assertGreaterEqual(len(methods), 31, sorted(methods))
        print(f"{checked} broken requests over {len(methods)} mutating RPCs")
        self.assertEqual(failures, [], "\n".join(failures))
        after = self.recorded()
        for s in after:
            self.assertEqual(after[s] - before[s], accepted[s], f"{s}: only the accepted requests wrote")

    def test_a_request_over_the_message_limit_is_refused(self):
        from tuopin.personnel.v1 import personnel_pb2 as pv1
        req = pv1.CreateHouseholdRequest(request_id="too-big")
        req.household.village_code = "520221100001"
        req.household.head_name = "x" * (5 << 20)
        with self.assertRaises(grpc.RpcError) as e:
            self.send("/tuopin.personnel.v1.PersonnelService/CreateHousehold", req, "admin")
        self.assertEqual(e.exception.code(), grpc.StatusCode.RESOURCE_EXHAUSTED, e.exception.details())
        self.assertEqual(self.suite.dbs["personnel"].scalar(
            "SELECT COUNT(*) FROM idempotency WHERE request_id = 'too-big'"), 0)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
