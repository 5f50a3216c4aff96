"""Development tokens as `tuopinctl token mint` makes them: HS256 JWTs with the local
secret, issuer tuopin-local, audience tuopin. For local use and tests only."""

import base64
import hashlib
import hmac
import json
import time


def hs256(secret, sub, roles, regions=("*",), ttl=86400):
    b = lambda x: base64.urlsafe_b64encode(x).rstrip(b"=").decode()
    header = b(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = b(json.dumps({"sub": sub, "iss": "tuopin-local", "aud": "tuopin", "exp": int(time.time()) + ttl,
                            "roles": list(roles), "regions": list(regions)}).encode())
    sig = b(hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest())
    return f"{header}.{payload}.{sig}"
