#!/usr/bin/python3
"""Four eyes on money, through the real gateway and services: a pending transfer cannot
be posted by the principal who created it (PERMISSION_DENIED, ErrorInfo reason
FOUR_EYES), the refused post moves nothing and the transfer stays pending; a second
finance officer of the same county posts it, and the ledger shows who created and who
posted it. The demo loader's own pending allocation is posted by a second person too
(the demo loads with the rule in force).

Run by CTest: --build <build dir>; TUOPIN_TEST_DSN names the MariaDB (root)."""

import argparse
import os
import sys
import unittest

import grpc

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "demo"))
from tuopin_testing import demo_suite, error_reason as reason  # noqa: E402

ARGS = None
COUNTY, VILLAGE = "520221", "520221104001"
F = "/tuopin.funds.v1.FundsService/"


class FourEyesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        sys.path.insert(0, f"{ARGS.build}/python")
        sys.path.insert(0, f"{ARGS.build}/python/third_party")
        cls.suite, cls.api, cls.demo = demo_suite(ARGS.build, "four-eyes-", seed=19)
        cls.channel = grpc.insecure_channel(cls.suite.target)

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        cls.suite.stop()

    def call(self, method, request, response_type, sub, role="finance_officer"):
        token = self.suite.token(role, sub=sub, regions=(COUNTY,))
        rpc = self.channel.unary_unary(F + method, request_serializer=lambda m: m.SerializeToString(),
                                       response_deserializer=response_type.FromString)
        return rpc(request, metadata=(("authorization", f"Bearer {token}"),), timeout=30)

    def test_the_demo_approval_is_a_second_persons(self):
        posted = self.api.answers[F + "PostPendingTransfer"]
        self.assertTrue(posted.created_by)
        self.assertTrue(posted.resolved_by)
        self.assertNotEqual(posted.created_by, posted.resolved_by)

    def test_creator_cannot_post_a_second_officer_can(self):
        from tuopin.common.v1 import common_pb2 as cv1
        from tuopin.funds.v1 import funds_pb2 as fv1
        a, b = "finance-a-shuicheng", "finance-b-shuicheng"
        ids = {}
        for code, kind, region, extra in (
                ("FE-SRC", fv1.ACCOUNT_KIND_SOURCE, COUNTY, {"source_level": fv1.SOURCE_LEVEL_COUNTY}),
                ("FE-POOL", fv1.ACCOUNT_KIND_POOL, COUNTY, {}),
                ("FE-PRJ", fv1.ACCOUNT_KIND_PROJECT, VILLAGE, {"sector": cv1.SECTOR_HOUSING_SAFETY})):
            acc = self.call("CreateAccount", fv1.CreateAccountRequest(
                request_id=f"fe-{code}", account=fv1.Account(code=code, kind=kind, name=code, region_code=region,
                                                             **extra)), fv1.Account, a)
            ids[code] = acc.id
        pending = fv1.Transfer(id="fe-pending", debit_account_id=ids["FE-POOL"], credit_account_id=ids["FE-PRJ"],
                               amount_fen=600, kind=fv1.TRANSFER_KIND_ALLOCATION, pending=True)
        pending.timeout.FromSeconds(3600)
        resp = self.call("CreateTransfers", fv1.CreateTransfersRequest(request_id="fe-batch", transfers=[
            fv1.Transfer(id="fe-fund", debit_account_id=ids["FE-SRC"], credit_account_id=ids["FE-POOL"],
                         amount_fen=1000, kind=fv1.TRANSFER_KIND_APPROPRIATION), pending]),
            fv1.CreateTransfersResponse, a)
        self.assertEqual(list(resp.results), [fv1.TRANSFER_RESULT_OK] * 2)

        def balances():
            pool = self.call("GetAccount", fv1.GetAccountRequest(id=ids["FE-POOL"]), fv1.Account, b)
            prj = self.call("GetAccount", fv1.GetAccountRequest(id=ids["FE-PRJ"]), fv1.Account, b)
            return (pool.debits_pending_fen, pool.debits_posted_fen, prj.credits_pending_fen, prj.credits_posted_fen)

        self.assertEqual(balances(), (600, 0, 600, 0))
        with self.assertRaises(grpc.RpcError) as refused:
            self.call("PostPendingTransfer", fv1.PostPendingTransferRequest(
                request_id="fe-post-by-creator", transfer_id="fe-pending"), fv1.Transfer, a)
        self.assertEqual(refused.exception.code(), grpc.StatusCode.PERMISSION_DENIED)
        self.assertEqual(reason(refused.exception), "FOUR_EYES")
        self.assertIn("second person", refused.exception.details())
        self.assertEqual(balances(), (600, 0, 600, 0), "the refused post moved money")
        listed = self.call("ListTransfers", fv1.ListTransfersRequest(account_id=ids["FE-PRJ"]),
                           fv1.ListTransfersResponse, b)
        self.assertEqual([(t.id, t.state, t.created_by, t.resolved_by) for t in listed.transfers],
                         [("fe-pending", fv1.TRANSFER_STATE_PENDING, a, "")])

        posted = self.call("PostPendingTransfer", fv1.PostPendingTransferRequest(
            request_id="fe-post-by-second", transfer_id="fe-pending"), fv1.Transfer, b)
        self.assertEqual((posted.state, posted.created_by, posted.resolved_by), (fv1.TRANSFER_STATE_POSTED, a, b))
        self.assertEqual(balances(), (0, 600, 0, 600))
        listed = self.call("ListTransfers", fv1.ListTransfersRequest(account_id=ids["FE-PRJ"]),
                           fv1.ListTransfersResponse, a)
        self.assertEqual([(t.id, t.state, t.created_by, t.resolved_by) for t in listed.transfers],
                         [("fe-pending", fv1.TRANSFER_STATE_POSTED, a, b)])


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
