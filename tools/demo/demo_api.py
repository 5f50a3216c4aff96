"""The demo loader's client of the suite: calls through the gateway with development
tokens, retried while the suite is busy, and run concurrently with a progress bar."""

import concurrent.futures
import hashlib
import sys
import threading
import time

from dev_token import hs256

RETRYABLE = ("UNAVAILABLE", "RESOURCE_EXHAUSTED", "DEADLINE_EXCEEDED", "ABORTED")


class Api:
    """Calls through the gateway, each retried (same request) while the suite is busy.
    The caller's subject is chosen from the request id, so a replay of a request comes
    from the same subject (idempotency is per subject) while load spreads over 16
    principals (the gateway's rate limit is per principal)."""

    def __init__(self, target, secret, pyout, workers=16):
        import grpc
        sys.path.insert(0, pyout)
        self.grpc = grpc
        self.channel = grpc.insecure_channel(target, options=[("grpc.max_receive_message_length", 64 << 20)])
        self.secret = secret
        self.tokens = {}
        self.pool = concurrent.futures.ThreadPoolExecutor(workers)
        self.calls = 0
        self.lock = threading.Lock()
        # The first successful request of each method, with the role that made it (tests
        # use them as valid baselines to break field by field).
        self.first = {}
        self.answers = {}

    def token(self, role, shard, regions=("*",)):
        key = (role, shard, tuple(regions))
        if key not in self.tokens:
            # A narrower scope is another person (e.g. the province's assessors).
            sub = f"demo-{role}-{shard}" if tuple(regions) == ("*",) else f"demo-{role}-{'-'.join(regions)}-{shard}"
            self.tokens[key] = hs256(self.secret, sub, [role], regions)
        return self.tokens[key]

    def call(self, service, method, request, response_type, role="admin", shard=None, regions=("*",)):
        rid = getattr(request, "request_id", "") or method
        if shard is None:
            shard = int(hashlib.sha256(rid.encode()).hexdigest()[:4], 16) % 16
        rpc = self.channel.unary_unary(f"/{service}/{method}", request_serializer=lambda m: m.SerializeToString(),
                                       response_deserializer=response_type.FromString)
        md = (("authorization", f"Bearer {self.token(role, shard, regions)}"),)
        for attempt in range(60):
            try:
                resp = rpc(request, metadata=md, timeout=30)
                with self.lock:
                    self.calls += 1
                    self.first.setdefault(f"/{service}/{method}", (request, response_type, role))
                    self.answers.setdefault(f"/{service}/{method}", resp)
                return resp
            except self.grpc.RpcError as e:
                if e.code().name not in RETRYABLE or attempt == 59:
                    raise RuntimeError(f"{method} {rid}: {e.code().name}: {e.details()}") from None
                time.sleep(min(2.0, 0.02 * (attempt + 1)))

    def each(self, label, items, fn):
        """fn(item) for every item, concurrently, with a progress bar; results in order."""
        items = list(items)
        results = [None] * len(items)
        done = 0
        futures = {self.pool.submit(fn, it): i for i, it in enumerate(items)}
        width = 30
        for f in concurrent.futures.as_completed(futures):
            results[futures[f]] = f.result()
            done += 1
            step = max(1, len(items) // (100 if sys.stderr.isatty() else 4))
            if done == len(items) or done % step == 0:
                filled = width * done // max(1, len(items))
                sys.stderr.write(f"{chr(13) if sys.stderr.isatty() else chr(10)}  {label:<28} [{'#' * filled}{'.' * (width - filled)}] {done}/{len(items)}")
                sys.stderr.flush()
        if sys.stderr.isatty():
            sys.stderr.write("\n")
        return results


def date(pb, d):
    return pb(year=d.year, month=d.month, day=d.day)
