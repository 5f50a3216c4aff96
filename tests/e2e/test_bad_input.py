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
Every mutating RPC of the exit workflow (ExitService, ExitCriteriaService,
AssessmentService) must have a baseline; the steps the demo cannot reach get one here.
Last, a request over the 4 MiB message limit is refused without reaching a service.

The limits read only the fields an update mask names (AIP-134), so every update RPC (a
request with an update_mask, found from the contract) must store only those: each limited
input field of an existing demo object that the mask does not name is sent out of its
limits (or, where no such value exists, a different valid one) beside a valid masked
change, and a fresh Get must show it unchanged whether the update was accepted or refused.

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
              "AccountabilityService": "accountability", "ExitService": "personnel",
              "ExitCriteriaService": "personnel", "AssessmentService": "accountability"}
# Every mutating RPC of these must have a baseline (issue 20: the exit workflow).
FULLY_COVERED = ("tuopin.personnel.v1.ExitService", "tuopin.personnel.v1.ExitCriteriaService",
                 "tuopin.accountability.v1.AssessmentService")


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
            if f.type == f.TYPE_MESSAGE and limits(f) is not None and limits(f).checked_by:
                # Elements the method checks one by one (ImportHouseholds refuses a bad row
                # alone, in its answer: household_import_test); the list's own bounds stay.
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


def update_rpcs():
    """(service descriptor, method descriptor) of every RPC whose request has an update_mask,
    over every compiled Tuopin contract."""
    import glob
    import importlib
    found = []
    for path in sorted(glob.glob(f"{ARGS.build}/python/tuopin/*/v1/*_pb2.py")):
        module = importlib.import_module(os.path.relpath(path, f"{ARGS.build}/python")[:-3].replace("/", "."))
        for service in module.DESCRIPTOR.services_by_name.values():
            for m in service.methods:
                mask = m.input_type.fields_by_name.get("update_mask")
                if mask is not None and mask.message_type.full_name == "google.protobuf.FieldMask":
                    found.append((service, m))
    return found


def unmasked_values(f, current):
    """(kind, value) for an unmasked field: out of its limits, else a different valid value."""
    from tuopin.common.v1 import common_pb2
    lim = limits(f)
    values = [(kind, v) for kind, v in mutations(f) if kind not in ("utf8", "empty")]
    if f.type == f.TYPE_STRING and lim.format in (common_pb2.FieldLimits.FORMAT_ID,
                                                  common_pb2.FieldLimits.FORMAT_EMPLOYEE_NUMBER):
        values.append(("format", "not an id!"))
    if f.type == f.TYPE_STRING and lim.format == common_pb2.FieldLimits.FORMAT_TEXT:
        values.append(("control character", "bad\x01text"))
    if f.type == f.TYPE_STRING and current != "":
        values.append(("empty", ""))
    if not values:  # no value outside the limits: a different valid one
        if f.type == f.TYPE_BOOL:
            values.append(("different", not current))
        elif f.type == f.TYPE_ENUM:
            values += [("different", v.number) for v in f.enum_type.values if v.number not in (0, current)][:1]
        elif f.type == f.TYPE_STRING:
            values.append(("different", current + "x"))
        elif f.type in (f.TYPE_INT64, f.TYPE_INT32):
            values.append(("different", current + 1))
    return values


def toggled(text, max_len):
    """A small valid change of a text value, undone by applying it again."""
    if text.endswith(" x"):
        return text[:-2]
    if len((text + " x").encode()) <= max_len:
        return text + " x"
    return text[:-1] + ("y" if text[-1] != "y" else "z")


def stored_part(msg, masked):
    """msg without the masked field and the fields the server sets."""
    copy = type(msg)()
    copy.CopyFrom(msg)
    for f in copy.DESCRIPTOR.fields:
        if f.name == masked or output_only(f):
            copy.ClearField(f.name)
    return copy


def value_at(msg, path):
    target = msg
    for part in path.split("."):
        name, _, idx = part.partition("[")
        target = getattr(target, name)[int(idx[:-1])] if idx else getattr(target, name)
    return target


class BadInputTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        sys.path.insert(0, f"{ARGS.build}/python")
        sys.path.insert(0, f"{ARGS.build}/python/third_party")
        cls.suite, cls.api, cls.summary = demo_suite(ARGS.build, "bad-input-", seed=11)
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

    def baselines(self):
        """The demo's first request of each method, and valid requests of the exit steps the
        demo cannot reach (the 7-day notice does not pass during a load): the confirmation of
        the demo's application and the reversal of an exited household. Valid in form; the
        service may still refuse them for their state."""
        from tuopin.accountability.v1 import assessment_pb2  # noqa: F401 (descriptors)
        from tuopin.personnel.v1 import exit_pb2 as ev1
        from tuopin.personnel.v1 import personnel_pb2 as pv1
        out = dict(self.api.first)
        exited_household = self.call_admin("/tuopin.personnel.v1.PersonnelService/ListHouseholds",
                                           pv1.ListHouseholdsRequest(region_code=self.summary["county"],
                                                                     status=pv1.HOUSEHOLD_STATUS_LIFTED_OUT,
                                                                     page_size=1),
                                           pv1.ListHouseholdsResponse).households[0]
        exited = exited_household.id
        # The demo registers households one by one; a page of a register file is built here.
        imported = pv1.Household(
            village_code=exited_household.village_code, head_name="Bad Input", member_count=1,
            status=pv1.HOUSEHOLD_STATUS_REGISTERED_POOR, national_household_number="990000000077",
            members=[pv1.Member(name="Bad Input", relation=pv1.MEMBER_RELATION_HEAD, sex=pv1.SEX_MALE,
                                birth_year=1980, id_card_number="52022119800101123X", phone="13812345678")])
        extra = {
            "/tuopin.personnel.v1.ExitService/ConfirmExit": (ev1.ConfirmExitRequest(
                request_id="bad-confirm", application_id=self.summary["exit_application_id"],
                confirmation="Signed by the head, file 2019-041"), ev1.ExitApplication, "cadre"),
            "/tuopin.personnel.v1.ExitService/ReverseExit": (ev1.ReverseExitRequest(
                request_id="bad-reverse", household_id=exited, reference="findings/bad-input-1",
                note="Income found below the line"), pv1.Household, "inspector"),
            "/tuopin.personnel.v1.PersonnelService/ImportHouseholds": (pv1.ImportHouseholdsRequest(
                request_id="bad-import", first_row_number=2, rows=[imported]),
                pv1.ImportHouseholdsResponse, "county_official"),
        }
        for method, baseline in extra.items():
            out.setdefault(method, baseline)
        return out

    def call_admin(self, method, request, response_type):
        token = self.suite.token("admin", sub="bad-input-setup")
        rpc = self.channel.unary_unary(method, request_serializer=lambda m: m.SerializeToString(),
                                       response_deserializer=response_type.FromString)
        return rpc(request, metadata=(("authorization", f"Bearer {token}"),), timeout=30)

    def test_every_mutating_rpc_refuses_bad_fields_and_writes_nothing(self):
        from tuopin.common.v1 import common_pb2
        from google.protobuf import descriptor_pool
        pool = descriptor_pool.Default()
        baselines = self.baselines()
        before = self.recorded()
        accepted = collections.Counter()
        checked, methods, failures = 0, set(), []
        for service in FULLY_COVERED:
            for m in pool.FindServiceByName(service).methods:
                if m.GetOptions().Extensions[common_pb2.policy].mutating and f"/{service}/{m.name}" not in baselines:
                    failures.append(f"/{service}/{m.name}: no baseline request (the demo never makes it)")
        for method, (baseline, _, role) in sorted(baselines.items()):
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
        self.assertGreaterEqual(len(methods), 43, sorted(methods))
        print(f"{checked} broken requests over {len(methods)} mutating RPCs")
        self.assertEqual(failures, [], "\n".join(failures))
        after = self.recorded()
        for s in after:
            self.assertEqual(after[s] - before[s], accepted[s], f"{s}: only the accepted requests wrote")

    def call(self, service, method, request, role, regions, sub):
        from google.protobuf import symbol_database
        response = symbol_database.Default().GetSymbol(method.output_type.full_name)
        token = self.suite.token(role, sub=sub, regions=regions)
        rpc = self.channel.unary_unary(f"/{service.full_name}/{method.name}",
                                       request_serializer=lambda m: m.SerializeToString(),
                                       response_deserializer=response.FromString)
        return rpc(request, metadata=(("authorization", f"Bearer {token}"),), timeout=30)

    def test_update_rpcs_store_only_masked_fields(self):
        from tuopin.common.v1 import common_pb2
        from google.protobuf import symbol_database
        symbols = symbol_database.Default()
        rpcs = update_rpcs()
        self.assertNotEqual(rpcs, [], "no RPC takes an update_mask: the contract walk is broken")
        county = self.summary["county"]
        checked, failures, tally = 0, [], {}
        for service, method in rpcs:
            full = f"/{service.full_name}/{method.name}"
            self.assertIn(full, self.api.first, f"{full}: the demo loader never calls it; add a call so this "
                                                "test has an object to update")
            baseline = self.api.first[full][0]
            resource_field = next(f for f in method.input_type.fields
                                  if f.type == f.TYPE_MESSAGE and f.name != "update_mask")
            get = service.FindMethodByName(f"Get{resource_field.message_type.name}")
            self.assertIsNotNone(get, f"{full}: no Get{resource_field.message_type.name}")
            object_id = getattr(baseline, resource_field.name).id
            roles = [common_pb2.Role.Name(r)[len("ROLE_"):].lower()
                     for r in method.GetOptions().Extensions[common_pb2.policy].roles
                     if r != common_pb2.ROLE_SERVICE]
            role = "county_official" if "county_official" in roles else roles[0]
            sub = f"mask-probe-{role}"

            def fetch():
                request = symbols.GetSymbol(get.input_type.full_name)(id=object_id)
                return self.call(service, get, request, role, (county,), sub)

            current = fetch()
            # The masked field: a mutable single-line text field the object has, changed a little.
            masked = next((f for f in resource_field.message_type.fields
                          if f.type == f.TYPE_STRING and limits(f) is not None and not output_only(f)
                          and not limits(f).immutable and limits(f).format == common_pb2.FieldLimits.FORMAT_TEXT
                          and f.containing_oneof is None and getattr(current, f.name) != ""), None)
            self.assertIsNotNone(masked, f"{full}: no mutable text field to name in the mask; pick another kind")
            accepted = 0
            for path, _, f, _ in field_paths(current):
                if path == masked.name or limits(f) is None:
                    continue
                for kind, value in unmasked_values(f, value_at(current, path)):
                    before = fetch()
                    update = symbols.GetSymbol(method.input_type.full_name)(
                        request_id=f"mask-{uuid.uuid4().hex[:24]}")
                    resource = getattr(update, resource_field.name)
                    resource.CopyFrom(before)
                    setattr(resource, masked.name, toggled(getattr(before, masked.name), limits(masked).max_len))
                    update.update_mask.paths.append(masked.name)
                    update = with_value(update, f"{resource_field.name}.{path}", value)
                    outcome = "accepted"
                    try:
                        self.call(service, method, update, role, (county,), sub)
                        accepted += 1
                    except grpc.RpcError as e:
                        outcome = f"{e.code().name}: {e.details()[:100]}"
                        if e.code() != grpc.StatusCode.INVALID_ARGUMENT:
                            failures.append(f"{full} unmasked {path} ({kind}): {outcome}")
                    after = fetch()
                    if stored_part(after, masked.name) != stored_part(before, masked.name):
                        failures.append(f"{full} unmasked {path} ({kind}, {outcome}): stored "
                                        f"{str(value_at(after, path))[:40]!r}, was "
                                        f"{str(value_at(before, path))[:40]!r}")
                    checked += 1
            # Refusals alone would pass without ever reaching the method's copy of the mask.
            self.assertGreater(accepted, 0, f"{full}: no update with a bad unmasked field was accepted")
            tally[method.name] = f"{accepted} accepted"
        print(f"{checked} updates with a bad unmasked field over {len(rpcs)} update RPCs: {tally}")
        self.assertEqual(failures, [], "\n".join(failures))

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
