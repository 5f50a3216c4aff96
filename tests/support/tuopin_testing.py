"""Helpers shared by the Python tests that drive the real binaries."""

import hashlib
import hmac
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "demo"))
from dev_token import hs256  # noqa: E402


def hs256_token(secret, sub="cadre-1", roles=("cadre",), regions=("520221",), ttl=600):
    """A development JWT as tuopinctl mints it (issuer tuopin-local, audience tuopin)."""
    return hs256(secret, sub, roles, regions, ttl)


def wait_for_ports(path, timeout=20):
    """The ports a binary wrote to its --port_file: [grpc, metrics]."""
    deadline = time.monotonic() + timeout
    def read():
        if not os.path.exists(path):
            return ""
        with open(path) as f:
            return f.read().strip()
    while not read():
        if time.monotonic() > deadline:
            raise TimeoutError(f"no port file {path}")
        time.sleep(0.05)
    return [int(p) for p in read().split()]


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


class TestDatabase:
    """A fresh database on the test MariaDB (TUOPIN_TEST_DSN), dropped by drop(). The
    server's administrator is the OS user's socket-authenticated account
    (deploy/local/mariadb.sh): no password, and only over the unix socket."""

    def __init__(self, prefix="py", server_dsn=None):
        import secrets
        import urllib.parse
        dsn = urllib.parse.urlparse(server_dsn or os.environ["TUOPIN_TEST_DSN"])
        self.socket = urllib.parse.parse_qs(dsn.query)["socket"][0]
        self.port = dsn.port
        self.user = dsn.username or "root"
        self.name = f"{prefix}_{secrets.token_hex(6)}"
        self.sql(f"CREATE DATABASE {self.name}")

    def dsn(self, pool=8):
        return f"mysql://{self.user}@127.0.0.1:{self.port}/{self.name}?socket={self.socket}&pool={pool}"

    def dsn_file(self, directory, pool=8):
        """The DSN in a file of mode 0600 in `directory`, for --db_dsn_file: DSNs stay off
        command lines."""
        path = os.path.join(directory, f"{self.name}.dsn")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(self.dsn(pool) + "\n")
        return path

    def sql(self, statement):
        """Runs statements; returns the rows as lists of strings (tab-separated output)."""
        out = subprocess.run(["mariadb", "--no-defaults", f"--socket={self.socket}", f"-u{self.user}", "-N", "-B",
                              "-e", statement], check=True, capture_output=True, text=True).stdout
        return [line.split("\t") for line in out.splitlines()]

    def scalar(self, query):
        return int(self.sql(f"USE {self.name}; {query}")[0][0])

    def drop(self):
        self.sql(f"DROP DATABASE IF EXISTS {self.name}")


def error_reason(e):
    """The ErrorInfo reason of an RpcError."""
    from google.rpc import error_details_pb2, status_pb2
    for key, value in e.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            for d in status_pb2.Status.FromString(value).details:
                if d.type_url.endswith("google.rpc.ErrorInfo"):
                    return error_details_pb2.ErrorInfo.FromString(d.value).reason
    return ""


def principal_metadata(cv1, internal_key, method, subject, roles, regions, ttl=600):
    """The principal headers the gateway sends a service for a call of `method`
    ("/pkg.Service/Method"), signed with the internal key for that method only."""
    principal = cv1.Principal(subject=subject, roles=[getattr(cv1, "ROLE_" + r.upper()) for r in roles],
                              region_scopes=list(regions))
    principal.expires_at.FromSeconds(int(time.time()) + ttl)
    raw = principal.SerializeToString()
    signed = b"tuopin principal\n" + method.encode() + b"\n" + raw
    return (("x-tuopin-principal-bin", raw),
            ("x-tuopin-principal-sig-bin", hmac.new(internal_key, signed, hashlib.sha256).digest()))


class PrivateMariaDB:
    """A MariaDB server of its own (deploy/local/mariadb.sh) in state_dir on a free
    loopback port, for tests that kill the database itself."""

    def __init__(self, state_dir):
        import socket
        repo = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
        self.script = os.path.join(repo, "deploy", "local", "mariadb.sh")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.env = dict(os.environ, TUOPIN_STATE_DIR=state_dir, TUOPIN_DB_NAME="chaos-mariadb",
                        TUOPIN_DB_PORT=str(port), TUOPIN_DB_BUFFER_POOL="64M")
        self.pid_file = os.path.join(state_dir, "chaos-mariadb", "mysqld.pid")

    def _run(self, command):
        return subprocess.run([self.script, command], env=self.env, check=True, capture_output=True,
                              text=True).stdout.strip()

    def start(self):
        self._run("start")

    def stop(self):
        self._run("stop")

    def dsn(self):
        return self._run("dsn")

    def kill(self):
        """SIGKILL, as a crash or an OOM kill would."""
        import signal
        with open(self.pid_file) as f:
            pid = int(f.read().strip())
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.02)


def reserve_port():
    """A loopback port held by a bound socket (no other bind, not even another process's
    bind to port 0, gets it) until the caller closes the socket just before its server
    binds the port: (socket, port). The servers refuse to share a port (no SO_REUSEPORT),
    so a port taken in the moment between is a failure to start, never shared traffic."""
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    return s, s.getsockname()[1]


class Suite:
    """The whole suite from the real binaries in `build`: every service on its own fresh
    database of the test MariaDB (TUOPIN_TEST_DSN), audit-query, and the gateway in front,
    all on loopback ports, with keys and logs in directory d. token(role, ...) mints a
    JWT the gateway accepts; stop() stops every process and drops the databases."""

    # The audit log (auditlog) calls nobody: no service token.
    SERVICES = ("personnel", "funds", "tasks", "accountability", "auditlog")

    def __init__(self, build, d, server_dsn=None, gateway_flags=(), service_flags=(), auditlog_flags=()):
        self.build, self.d = build, d
        self.procs, self.dbs = {}, {}
        self.secret = os.urandom(32).hex().encode()
        with open(f"{d}/jwt.secret", "wb") as f:
            f.write(self.secret)
        with open(f"{d}/internal.key", "w") as f:
            f.write(os.urandom(32).hex())
        subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", f"{d}/checkpoint.pem"], check=True,
                       capture_output=True)
        # Personnel's key of the members' personal data (--pii_key_file).
        with open(f"{d}/pii.keys", "w") as f:
            f.write(f"test-1 {os.urandom(32).hex()}\n")
        # The services are told where the gateway will listen before it starts (it needs
        # their ports): its port stays reserved until then.
        reservation, self.gateway_port = reserve_port()
        common = [f"--internal_key_file={d}/internal.key", f"--gateway=127.0.0.1:{self.gateway_port}",
                  "--host=127.0.0.1", "--port=0", "--metrics_port=0", "--shutdown_grace=0s", *service_flags]
        try:
            ports = {}
            for s in self.SERVICES:
                self.dbs[s] = TestDatabase(s[:5], server_dsn)
                extra = [f"--signing_key_file={d}/checkpoint.pem", "--checkpoint_interval=200ms",
                         *auditlog_flags] if s == "auditlog" else [f"--service_token_file={self._service_token(s)}"]
                if s == "personnel":
                    extra.append(f"--pii_key_file={d}/pii.keys")
                ports[s] = self._start(s, f"{build}/services/{s}/tuopin-{s}",
                                       f"--db_dsn_file={self.dbs[s].dsn_file(d)}", *common, *extra)
            ports["auditquery"] = self._start("auditquery", f"{build}/services/auditquery/tuopin-auditquery",
                                              f"--service_token_file={self._service_token('auditquery')}",
                                              *common)
            reservation.close()
            self._start("gateway", f"{build}/services/gateway/tuopin-gateway", f"--port={self.gateway_port}",
                        "--metrics_port=0", "--http_port=-1", "--host=127.0.0.1",
                        f"--internal_key_file={d}/internal.key", f"--jwt_hs256_secret_file={d}/jwt.secret",
                        "--shutdown_grace=0s", "--access_log=false",
                        *[f"--{s}_target=127.0.0.1:{p}" for s, p in ports.items()], *gateway_flags)
        except Exception:
            reservation.close()
            self.stop()
            raise
        self.target = f"127.0.0.1:{self.gateway_port}"

    def _service_token(self, name):
        path = f"{self.d}/{name}.jwt"
        with open(path, "w") as f:
            f.write(hs256_token(self.secret, sub=f"service:{name}", roles=["service"], regions=["*"], ttl=3600))
        return path

    def _start(self, name, binary, *flags):
        port_file = f"{self.d}/{name}.ports"
        if os.path.exists(port_file):
            os.remove(port_file)
        with open(f"{self.d}/{name}.log", "ab") as log:
            self.procs[name] = subprocess.Popen([binary, f"--port_file={port_file}", *flags], stderr=log,
                                                stdout=subprocess.DEVNULL)
        try:
            ports = wait_for_ports(port_file)
            port = ports[0]
            # Every port the process wrote (the gateway's: gRPC, metrics, HTTP).
            self.ports = getattr(self, "ports", {})
            self.ports[name] = ports
        except TimeoutError:
            with open(f"{self.d}/{name}.log") as f:
                raise RuntimeError(f"{name} did not start: {f.read()[-2000:]}")
        # A restart listens where the others already look for it.
        self.launch = getattr(self, "launch", {})
        self.launch[name] = (binary, [f if f != "--port=0" else f"--port={port}" for f in flags])
        return port

    def kill(self, name):
        """SIGKILL, as a crash or an OOM kill would; waits until it is gone."""
        import signal
        self.procs[name].send_signal(signal.SIGKILL)
        self.procs[name].wait(20)

    def restart(self, name):
        binary, flags = self.launch[name]
        deadline = time.monotonic() + 20
        while True:  # the port may linger a moment after a kill
            try:
                return self._start(name, binary, *flags)
            except RuntimeError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def token(self, role, sub=None, regions=("*",), ttl=600):
        return hs256_token(self.secret, sub=sub or f"{role}-test", roles=[role], regions=list(regions), ttl=ttl)

    def stop(self):
        import signal
        for p in self.procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs.values():
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
        for db in self.dbs.values():
            db.drop()


def demo_suite(build, prefix, seed, server_dsn=None):
    """A Suite in a new directory with the tiny Shuicheng demo loaded through the API:
    (suite, the loader's Api, the demo's summary). The caller stops the suite."""
    import tempfile
    import shuicheng_demo
    suite = Suite(build, tempfile.mkdtemp(prefix=prefix), server_dsn)
    try:
        api = shuicheng_demo.Api(suite.target, suite.secret, f"{build}/python", workers=8)
        return suite, api, shuicheng_demo.load(api, size="tiny", seed=seed)
    except Exception:
        suite.stop()
        raise
