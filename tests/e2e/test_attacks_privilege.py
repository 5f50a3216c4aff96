#!/usr/bin/python3
"""Least privilege for services and principals bound to one hop, against the real
binaries of the suite (tiny Shuicheng demo loaded through the API), as issue 18's review
tried them:

- audit-query's service token (a database-less reader) cannot edit a household, neither
  through the gateway nor straight at personnel with a principal signed for that call:
  the contract names which services may call a method;
- a forwarded principal captured on one hop (signed for GetHousehold) is refused on
  another method of the same service, and on the same method of another service.

Run by CTest: --build <build dir>; TUOPIN_TEST_DSN names the MariaDB (root)."""

import argparse
import os
import sys
import unittest

import grpc

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "demo"))
from tuopin_testing import demo_suite, principal_metadata, error_reason as reason  # noqa: E402

ARGS = None
COUNTY = "520221"
P = "/tuopin.personnel.v1.PersonnelService/"


class PrivilegeAttacksTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        sys.path.insert(0, f"{ARGS.build}/python")
        sys.path.insert(0, f"{ARGS.build}/python/third_party")
        cls.suite, cls.api, cls.demo = demo_suite(ARGS.build, "attacks-privilege-", seed=29)
        cls.channel = grpc.insecure_channel(cls.suite.target)
        with open(f"{cls.suite.d}/personnel.ports") as f:
            cls.personnel = grpc.insecure_channel(f"127.0.0.1:{int(f.read().split()[0])}")
        with open(f"{cls.suite.d}/funds.ports") as f:
            cls.funds = grpc.insecure_channel(f"127.0.0.1:{int(f.read().split()[0])}")
        with open(f"{cls.suite.d}/internal.key", "rb") as f:
            cls.internal_key = f.read().strip()

    @classmethod
    def tearDownClass(cls):
        for c in (cls.channel, cls.personnel, cls.funds):
            c.close()
        cls.suite.stop()

    def rpc(self, channel, method, response_type):
        return channel.unary_unary(method, request_serializer=lambda m: m.SerializeToString(),
                                   response_deserializer=response_type.FromString)

    def household(self):
        from tuopin.personnel.v1 import personnel_pb2 as pv1
        token = self.suite.token("admin")
        return self.rpc(self.channel, P + "ListHouseholds", pv1.ListHouseholdsResponse)(
            pv1.ListHouseholdsRequest(region_code=COUNTY, page_size=1),
            metadata=(("authorization", f"Bearer {token}"),), timeout=30).households[0]

    def rename(self, h, request_id):
        from tuopin.personnel.v1 import personnel_pb2 as pv1
        from google.protobuf import field_mask_pb2
        return pv1.UpdateHouseholdRequest(request_id=request_id, household=pv1.Household(
            id=h.id, etag=h.etag, head_name="Renamed By Service"),
            update_mask=field_mask_pb2.FieldMask(paths=["head_name"]))

    def test_audit_query_cannot_edit_a_household(self):
        from tuopin.common.v1 import common_pb2 as cv1
        from tuopin.personnel.v1 import personnel_pb2 as pv1
        h = self.household()
        token = self.suite.token("service", sub="service:auditquery")
        with self.assertRaises(grpc.RpcError) as err:
            self.rpc(self.channel, P + "UpdateHousehold", pv1.Household)(
                self.rename(h, "svc-edit-1"), metadata=(("authorization", f"Bearer {token}"),), timeout=30)
        self.assertEqual(err.exception.code(), grpc.StatusCode.PERMISSION_DENIED)
        self.assertEqual(reason(err.exception), "SERVICE_NOT_ALLOWED")
        # Past the gateway, with a principal validly signed for this very call, personnel
        # refuses it too.
        md = principal_metadata(cv1, self.internal_key, P + "UpdateHousehold", "service:auditquery",
                                ["service"], ["*"])
        with self.assertRaises(grpc.RpcError) as err:
            self.rpc(self.personnel, P + "UpdateHousehold", pv1.Household)(
                self.rename(h, "svc-edit-2"), metadata=md, timeout=30)
        self.assertEqual(err.exception.code(), grpc.StatusCode.PERMISSION_DENIED)
        self.assertEqual(reason(err.exception), "SERVICE_NOT_ALLOWED")
        # The service whose work it is (tasks sets indicators) may.
        md = principal_metadata(cv1, self.internal_key, P + "UpdateHousehold", "service:tasks", ["service"], ["*"])
        out = self.rpc(self.personnel, P + "UpdateHousehold", pv1.Household)(
            self.rename(h, "svc-edit-3"), metadata=md, timeout=30)
        self.assertEqual(out.head_name, "Renamed By Service")

    def test_a_captured_principal_works_for_its_own_method_only(self):
        from tuopin.common.v1 import common_pb2 as cv1
        from tuopin.funds.v1 import funds_pb2 as fv1
        from tuopin.personnel.v1 import personnel_pb2 as pv1
        h = self.household()
        # What a hop carried: an admin's principal, signed for GetHousehold.
        md = principal_metadata(cv1, self.internal_key, P + "GetHousehold", "admin-1", ["admin"], ["*"])
        got = self.rpc(self.personnel, P + "GetHousehold", pv1.Household)(
            pv1.GetHouseholdRequest(id=h.id), metadata=md, timeout=30)
        self.assertEqual(got.id, h.id)
        with self.assertRaises(grpc.RpcError) as err:
            self.rpc(self.personnel, P + "UpdateHousehold", pv1.Household)(
                self.rename(got, "replay-1"), metadata=md, timeout=30)
        self.assertEqual(err.exception.code(), grpc.StatusCode.UNAUTHENTICATED)
        self.assertEqual(reason(err.exception), "BAD_PRINCIPAL_SIGNATURE")
        with self.assertRaises(grpc.RpcError) as err:
            self.rpc(self.funds, "/tuopin.funds.v1.FundsService/ListAccounts", fv1.ListAccountsResponse)(
                fv1.ListAccountsRequest(region_code=COUNTY), metadata=md, timeout=30)
        self.assertEqual(err.exception.code(), grpc.StatusCode.UNAUTHENTICATED)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)
