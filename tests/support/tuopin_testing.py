"""Helpers shared by the Python tests that drive the real binaries."""

import base64
import hashlib
import hmac
import json
import os
import subprocess
import time


def hs256_token(secret, sub="cadre-1", roles=("cadre",), regions=("520221",), ttl=600):
    """A development JWT as tuopinctl mints it (issuer tuopin-local, audience tuopin)."""
    b = lambda x: base64.urlsafe_b64encode(x).rstrip(b"=").decode()
    header = b(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = b(json.dumps({"sub": sub, "iss": "tuopin-local", "aud": "tuopin", "exp": int(time.time()) + ttl,
                            "roles": list(roles), "regions": list(regions)}).encode())
    sig = b(hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest())
    return f"{header}.{payload}.{sig}"


def wait_for_ports(path, timeout=20):
    """The ports a binary wrote to its --port_file: [grpc, metrics]."""
    deadline = time.monotonic() + timeout
    while not os.path.exists(path) or not open(path).read().strip():
        if time.monotonic() > deadline:
            raise TimeoutError(f"no port file {path}")
        time.sleep(0.05)
    return [int(p) for p in open(path).read().split()]


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def start_gateway(gateway, d, *flags):
    """Starts the real gateway on a free loopback port with a fresh HS256 secret and
    internal key in directory d. Returns (process, grpc port, secret)."""
    secret = os.urandom(32).hex().encode()
    with open(f"{d}/jwt.secret", "wb") as f:
        f.write(secret)
    with open(f"{d}/internal.key", "w") as f:
        f.write(os.urandom(32).hex())
    proc = subprocess.Popen([
        gateway, "--port=0", "--metrics_port=0", "--http_port=-1", "--host=127.0.0.1", f"--port_file={d}/ports",
        f"--internal_key_file={d}/internal.key", f"--jwt_hs256_secret_file={d}/jwt.secret",
        "--shutdown_grace=0s", "--access_log=false", *flags], stderr=subprocess.DEVNULL)
    try:
        port = wait_for_ports(f"{d}/ports")[0]
    except Exception:
        proc.kill()
        raise
    return proc, port, secret
