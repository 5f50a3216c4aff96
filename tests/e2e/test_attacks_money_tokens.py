#!/usr/bin/python3
"""Attacks of issue 18 (points 2, 9 and 10a) against the real binaries of the suite (every
service, audit-query and the gateway, the tiny Shuicheng demo loaded through the API),
each as the hostile but authenticated caller tried it:

- a county finance officer creates a SOURCE_LEVEL_CENTRAL source in its county, or
  appropriates out of the centre's source the admin made there: PERMISSION_DENIED
  (SOURCE_LEVEL_NOT_ALLOWED), no money moves; the county's own budget stays its to issue;
- tokens whose times are out of range or not numbers (exp 1e300, nbf "4102444800") are
  UNAUTHENTICATED MALFORMED_TOKEN, and one living longer than --jwt_max_lifetime (24 h)
  is UNAUTHENTICATED TOKEN_LIFETIME_TOO_LONG;
- with --host=127.0.0.1 every binary's metrics listen on 127.0.0.1 too (read from
  /proc/net/tcp), unless --metrics_host says otherwise.

Run by CTest: --build <build dir>; TUOPIN_TEST_DSN names the MariaDB administrator."""

import argparse
import base64
import hashlib
import hmac
import json
import os
import sys
import tempfile
import time
import unittest

import grpc

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "demo"))
from tuopin_testing import demo_suite, start_gateway, error_reason as reason  # noqa: E402

ARGS = None
COUNTY = "520221"
LOOPBACK = {"127.0.0.1", "::ffff:127.0.0.1"}
F = "/tuopin.funds.v1.FundsService/"


def listening(port):
    """The local addresses listening on a TCP port, from /proc/net/tcp and tcp6 (IPv4 as
    "127.0.0.1", IPv4 on an IPv6 socket as "::ffff:127.0.0.1", every interface "0.0.0.0"
    or "::")."""
    import socket
    import struct
    found = set()
    for table, family in (("/proc/net/tcp", socket.AF_INET), ("/proc/net/tcp6", socket.AF_INET6)):
        with open(table) as f:
            next(f)
            for line in f:
                fields = line.split()
                address, hex_port = fields[1].split(":")
                if int(hex_port, 16) != port or fields[3] != "0A":  # TCP_LISTEN
                    continue
                # The kernel prints each 32-bit word of the address in host (little-endian) order.
                words = [int(address[i:i + 8], 16) for i in range(0, len(address), 8)]
                found.add(socket.inet_ntop(family, b"".join(struct.pack("<I", w) for w in words)))
    return found


class MoneyAndTokenAttacksTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        sys.path.insert(0, f"{ARGS.build}/python")
        sys.path.insert(0, f"{ARGS.build}/python/third_party")
        cls.suite, cls.api, cls.demo = demo_suite(ARGS.build, "attacks-money-", seed=29)
        cls.channel = grpc.insecure_channel(cls.suite.target)

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        cls.suite.stop()

    def call(self, method, request, response_type, role=None, sub=None, regions=("*",), token=None):
        token = token or self.suite.token(role, sub=sub, regions=regions)
        rpc = self.channel.unary_unary(method, request_serializer=lambda m: m.SerializeToString(),
                                       response_deserializer=response_type.FromString)
        for attempt in range(400):  # the gateway's per-person rate limit: back off, bounded
            try:
                return rpc(request, metadata=(("authorization", f"Bearer {token}"),), timeout=60)
            except grpc.RpcError as e:
                if e.code() != grpc.StatusCode.RESOURCE_EXHAUSTED or attempt == 399:
                    raise
                time.sleep(0.05)

    def refused(self, method, request, response_type, **who):
        with self.assertRaises(grpc.RpcError) as caught:
            self.call(method, request, response_type, **who)
        return caught.exception

    def test_a_finance_officer_issues_no_money_from_above(self):
        from tuopin.funds.v1 import funds_pb2 as fv1
        officer = dict(role="finance_officer", sub="finance-shuicheng-attacker", regions=(COUNTY,))

        def source(code, level):
            return fv1.CreateAccountRequest(request_id=f"money-{code}", account=fv1.Account(
                code=code, kind=fv1.ACCOUNT_KIND_SOURCE, name=code, region_code=COUNTY, source_level=level))

        for level in (fv1.SOURCE_LEVEL_CENTRAL, fv1.SOURCE_LEVEL_PROVINCIAL, fv1.SOURCE_LEVEL_MUNICIPAL,
                      fv1.SOURCE_LEVEL_COUNTERPART_AID):
            name = fv1.SourceLevel.Name(level)
            e = self.refused(F + "CreateAccount", source(f"FORGED-{name}", level), fv1.Account, **officer)
            self.assertEqual(e.code(), grpc.StatusCode.PERMISSION_DENIED, name)
            self.assertEqual(reason(e), "SOURCE_LEVEL_NOT_ALLOWED", name)
        e = self.refused(F + "CreateAccount", source("OFFICIAL-BUDGET", fv1.SOURCE_LEVEL_COUNTY), fv1.Account,
                         role="county_official", sub="official-shuicheng", regions=(COUNTY,))
        self.assertEqual(reason(e), "SOURCE_LEVEL_NOT_ALLOWED")
        listed = self.call(F + "ListAccounts", fv1.ListAccountsRequest(
            region_code=COUNTY, kind=fv1.ACCOUNT_KIND_SOURCE, page_size=1000), fv1.ListAccountsResponse, "auditor")
        self.assertFalse([a.code for a in listed.accounts if a.code.startswith(("FORGED-", "OFFICIAL-"))])

        # The centre's money, in a source the admin made in the county (the demo's): the
        # officer cannot appropriate any of it, not even beside its own county's budget.
        central = [a.id for a in listed.accounts if a.source_level == fv1.SOURCE_LEVEL_CENTRAL]
        self.assertTrue(central, "the demo made a central source")
        own = self.call(F + "CreateAccount", source("OWN-BUDGET", fv1.SOURCE_LEVEL_COUNTY), fv1.Account, **officer)
        pool = self.demo["county_pool_id"]

        def pool_credits():
            return self.call(F + "GetAccount", fv1.GetAccountRequest(id=pool), fv1.Account, "auditor").credits_posted_fen

        before = pool_credits()
        e = self.refused(F + "CreateTransfers", fv1.CreateTransfersRequest(request_id="money-forged", transfers=[
            fv1.Transfer(id="money-own", debit_account_id=own.id, credit_account_id=pool, amount_fen=100,
                         kind=fv1.TRANSFER_KIND_APPROPRIATION),
            fv1.Transfer(id="money-forged", debit_account_id=central[0], credit_account_id=pool,
                         amount_fen=10 ** 15, kind=fv1.TRANSFER_KIND_APPROPRIATION)]),
            fv1.CreateTransfersResponse, **officer)
        self.assertEqual(e.code(), grpc.StatusCode.PERMISSION_DENIED)
        self.assertEqual(reason(e), "SOURCE_LEVEL_NOT_ALLOWED")
        self.assertEqual(pool_credits(), before, "money moved despite the refusal")
        self.assertEqual(self.suite.dbs["funds"].scalar(
            "SELECT COUNT(*) FROM transfers WHERE id IN ('money-own', 'money-forged')"), 0)

        # The county's own budget remains the officer's to appropriate.
        r = self.call(F + "CreateTransfers", fv1.CreateTransfersRequest(request_id="money-own", transfers=[
            fv1.Transfer(id="money-own", debit_account_id=own.id, credit_account_id=pool, amount_fen=100,
                         kind=fv1.TRANSFER_KIND_APPROPRIATION)]), fv1.CreateTransfersResponse, **officer)
        self.assertEqual(list(r.results), [fv1.TRANSFER_RESULT_OK])
        self.assertEqual(pool_credits(), before + 100)

    def token(self, claims):
        """An HS256 token over claims written by hand, signed with the suite's secret."""
        b = lambda x: base64.urlsafe_b64encode(x).rstrip(b"=").decode()
        payload = {"sub": "admin-times", "iss": "tuopin-local", "aud": "tuopin", "roles": ["admin"],
                   "regions": ["*"]}
        header = b(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        body = b((json.dumps(payload)[:-1] + "," + claims + "}").encode())
        sig = b(hmac.new(self.suite.secret, f"{header}.{body}".encode(), hashlib.sha256).digest())
        return f"{header}.{body}.{sig}"

    def test_token_times_are_range_checked_and_lifetimes_bounded(self):
        from tuopin.personnel.v1 import personnel_pb2 as pv1
        method = "/tuopin.personnel.v1.PersonnelService/ListRegions"
        req = pv1.ListRegionsRequest(parent_code=COUNTY)
        now = int(time.time())
        self.call(method, req, pv1.ListRegionsResponse, token=self.token(f'"iat":{now},"exp":{now + 3600}'))
        for claims, why in (('"exp":1e300', "MALFORMED_TOKEN"),
                            ('"exp":-1', "MALFORMED_TOKEN"),
                            (f'"exp":{now + 3600},"nbf":"4102444800"', "MALFORMED_TOKEN"),
                            (f'"exp":{now + 3600},"iat":1e300', "MALFORMED_TOKEN"),
                            (f'"iat":{now},"exp":{now + 30 * 86400}', "TOKEN_LIFETIME_TOO_LONG"),
                            (f'"exp":{now + 365 * 86400}', "TOKEN_LIFETIME_TOO_LONG")):
            e = self.refused(method, req, pv1.ListRegionsResponse, token=self.token(claims))
            self.assertEqual(e.code(), grpc.StatusCode.UNAUTHENTICATED, claims)
            self.assertEqual(reason(e), why, claims)

    def test_metrics_listen_where_grpc_listens(self):
        names = [*self.suite.SERVICES, "auditquery", "gateway"]
        for name in names:
            with open(f"{self.suite.d}/{name}.ports") as f:
                grpc_port, metrics_port = (int(p) for p in f.read().split()[:2])
            for what, port in (("gRPC", grpc_port), ("metrics", metrics_port)):
                bound = listening(port)
                self.assertTrue(bound, f"{name} {what}: nothing listens on {port}")
                self.assertLessEqual(bound, LOOPBACK, f"{name} {what} listens on {bound}")
        # --metrics_host overrides, e.g. for a scraper on another interface.
        with tempfile.TemporaryDirectory() as d:
            proc, _, _ = start_gateway(f"{ARGS.build}/services/gateway/tuopin-gateway", d, "--metrics_host=0.0.0.0")
            try:
                with open(f"{d}/ports") as f:
                    metrics_port = int(f.read().split()[1])
                self.assertEqual(listening(metrics_port), {"0.0.0.0"})
            finally:
                proc.terminate()
                proc.wait(20)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
