#!/usr/bin/python3
"""A village merger through the real gateway and services (issue 21, point 4): the demo
loader ends with one (tools/demo/shuicheng_merger.py). Read as of a time before it, the
tree holds both villages and the kept village only its own households, each moved one in
the village it was in then; read now (or as of the merger's time), the merged village is
out of the tree (valid_to, successor_code, the decision) and its households are in the kept
village. This is the issue's "an as_of read across a village merger returns what was true
then".

Run by CTest: --build <build dir>; TUOPIN_TEST_DSN names the MariaDB (root)."""

import argparse
import os
import sys
import unittest

import grpc

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "demo"))
from tuopin_testing import demo_suite  # noqa: E402

ARGS = None
COUNTY = "520221"
P = "/tuopin.personnel.v1.PersonnelService/"


class VillageMergerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        sys.path.insert(0, f"{ARGS.build}/python")
        sys.path.insert(0, f"{ARGS.build}/python/third_party")
        cls.suite, cls.api, cls.demo = demo_suite(ARGS.build, "merger-", seed=23)
        cls.channel = grpc.insecure_channel(cls.suite.target)
        cls.merger = cls.demo["merger"]

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        cls.suite.stop()

    def call(self, method, request, response_type, role="county_official"):
        token = self.suite.token(role, sub=f"merger-{role}", regions=(COUNTY,))
        rpc = self.channel.unary_unary(P + method, request_serializer=lambda m: m.SerializeToString(),
                                       response_deserializer=response_type.FromString)
        return rpc(request, metadata=(("authorization", f"Bearer {token}"),), timeout=30)

    def times(self):
        """(a microsecond before the merger, the merger's time) as Timestamps."""
        from google.protobuf import timestamp_pb2
        from tuopin.personnel.v1 import personnel_pb2 as pv1
        merged = self.call("GetRegion", pv1.GetRegionRequest(code=self.merger["merged"]), pv1.Region, "auditor")
        at = merged.valid_to.ToNanoseconds()
        before, then = timestamp_pb2.Timestamp(), timestamp_pb2.Timestamp()
        before.FromNanoseconds(at - 1000)
        then.FromNanoseconds(at)
        return before, then

    def children(self, as_of=None):
        from tuopin.personnel.v1 import personnel_pb2 as pv1
        req = pv1.ListRegionsRequest(parent_code=self.merger["into"][:9], page_size=1000)
        if as_of is not None:
            req.as_of.CopyFrom(as_of)
        return [r.code for r in self.call("ListRegions", req, pv1.ListRegionsResponse, "auditor").regions]

    def households(self, village, as_of=None):
        from tuopin.personnel.v1 import personnel_pb2 as pv1
        req = pv1.ListHouseholdsRequest(region_code=village, page_size=1000)
        if as_of is not None:
            req.as_of.CopyFrom(as_of)
        return {h.id: h.village_code for h in self.call("ListHouseholds", req, pv1.ListHouseholdsResponse).households}

    def test_the_demo_ends_with_a_merger(self):
        from tuopin.personnel.v1 import personnel_pb2 as pv1
        self.assertTrue(self.merger, "the demo made no merger")
        self.assertGreater(self.merger["households_moved"], 0)
        merged = self.call("GetRegion", pv1.GetRegionRequest(code=self.merger["merged"]), pv1.Region, "auditor")
        self.assertTrue(merged.HasField("valid_to"))
        self.assertEqual(merged.successor_code, self.merger["into"])
        self.assertIn("illustrative", merged.change_reference)
        into = self.call("GetRegion", pv1.GetRegionRequest(code=self.merger["into"]), pv1.Region, "auditor")
        self.assertFalse(into.HasField("valid_to"))

    def test_the_tree_as_of_before_and_after(self):
        from tuopin.personnel.v1 import personnel_pb2 as pv1
        before, then = self.times()
        merged, into = self.merger["merged"], self.merger["into"]
        self.assertIn(merged, self.children(before))
        self.assertIn(into, self.children(before))
        self.assertNotIn(merged, self.children(then))
        self.assertNotIn(merged, self.children())
        self.assertIn(into, self.children())
        req = pv1.GetRegionRequest(code=merged)
        req.as_of.CopyFrom(before)
        self.assertEqual(self.call("GetRegion", req, pv1.Region, "auditor").code, merged)
        req.as_of.CopyFrom(then)
        with self.assertRaises(grpc.RpcError) as e:
            self.call("GetRegion", req, pv1.Region, "auditor")
        self.assertEqual(e.exception.code(), grpc.StatusCode.NOT_FOUND)

    def test_the_register_as_of_before_and_after(self):
        from tuopin.personnel.v1 import personnel_pb2 as pv1
        before, then = self.times()
        merged, into = self.merger["merged"], self.merger["into"]
        own = self.households(into, before)
        moved = self.households(merged, before)
        self.assertEqual(len(moved), self.merger["households_moved"])
        self.assertEqual(set(own.values()), {into})
        self.assertEqual(set(moved.values()), {merged})
        for as_of in (then, None):
            now = self.households(into, as_of)
            self.assertEqual(set(now), set(own) | set(moved))
            self.assertEqual(set(now.values()), {into})
            self.assertEqual(self.households(merged, as_of), {})
        one = sorted(moved)[0]
        req = pv1.GetHouseholdRequest(id=one)
        req.as_of.CopyFrom(before)
        self.assertEqual(self.call("GetHousehold", req, pv1.Household).village_code, merged)
        self.assertEqual(self.call("GetHousehold", pv1.GetHouseholdRequest(id=one), pv1.Household).village_code,
                         into)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
