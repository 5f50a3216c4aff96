#!/usr/bin/python3
"""Offline checks of the Kubernetes manifests and Dockerfiles (no cluster, no Docker):

1. `kubectl kustomize` renders every overlay (dev after make-secrets.sh, prod), and the
   prod Secret template parses;
2. every rendered object validates against the Kubernetes schemas of the npm package
   kubernetes-models (check/validate.mjs; `npm ci` installs it when missing);
3. the manifests agree with the binaries: every `--flag` in a container's args and every
   TUOPIN_* variable of the ConfigMap is a flag the binary accepts (docs/FLAGS.md, which
   flags_doc_test keeps equal to the binaries' --helpfull); the container ports, the
   native gRPC probes and the Services' target ports match --port, --metrics_port and
   --http_port; the grace period outlasts --shutdown_grace + --drain_timeout; every
   Secret a pod mounts exists (dev) or is in the template (prod); each Dockerfile runs
   its own binary and exposes exactly the ports its Deployment declares; and every
   shared library a built binary loads is in the runtime image (the repository's own
   copied by the builder stage, the rest from a Debian package the runtime stage
   installs, found with ldd, dpkg -S and apt-cache depends).

Exits 1 with one line per problem. `--root` points at another checkout (the tests break
a copy on purpose and expect a failure)."""

import argparse
import fnmatch
import os
import re
import shutil
import subprocess
import sys

import yaml

problems = []
_cache = {}


def fail(msg):
    problems.append(msg)
    print(f"FAIL {msg}")


def render(root, overlay):
    out = subprocess.run(["kubectl", "kustomize", os.path.join(root, "deploy/k8s/overlays", overlay)],
                         capture_output=True, text=True)
    if out.returncode != 0:
        fail(f"kustomize {overlay}: {out.stderr.strip()[:400]}")
        return "", []
    return out.stdout, [d for d in yaml.safe_load_all(out.stdout) if d]


def validate_schema(root, label, text):
    check = os.path.join(root, "deploy/k8s/check")
    if not os.path.isdir(os.path.join(check, "node_modules")):
        installed = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--silent"], cwd=check,
                                   capture_output=True, text=True)
        if installed.returncode != 0:
            fail(f"schema ({label}): npm ci failed: {installed.stderr.strip()[-300:]}")
            return
    out = subprocess.run(["node", os.path.join(check, "validate.mjs")], input=text, capture_output=True, text=True)
    for line in out.stdout.splitlines():
        if line.startswith("FAIL"):
            fail(f"schema ({label}): {line[5:]}")
    if out.returncode != 0 and "FAIL" not in out.stdout:
        fail(f"schema ({label}): {out.stdout.strip()} {out.stderr.strip()[:300]}")
    print(f"ok   schema ({label}): {out.stdout.strip().splitlines()[-1] if out.stdout.strip() else '?'}")


def binary_flags(root):
    """{binary: {flag names}} from docs/FLAGS.md."""
    flags, current = {}, None
    with open(os.path.join(root, "docs/FLAGS.md")) as f:
        for line in f:
            m = re.match(r"^## (tuopin-\w+)", line)
            if m:
                current = m.group(1)
                flags[current] = set()
            m = re.match(r"^\| `--(\w+)`", line)
            if m and current:
                flags[current].add(m.group(1))
    return flags


def args_of(container):
    out = {}
    for a in container.get("args", []):
        m = re.match(r"^--(no)?(\w+)(?:=(.*))?$", a)
        if not m:
            continue
        out[m.group(2)] = m.group(3) if m.group(3) is not None else ("false" if m.group(1) else "true")
    return out


def seconds(value):
    m = re.match(r"^(\d+)(ms|s|m)$", value or "")
    if not m:
        return None
    return int(m.group(1)) * {"ms": 0.001, "s": 1, "m": 60}[m.group(2)]


def check_objects(root, label, objects, flags, secret_names, default_ports):
    services = {o["metadata"]["name"]: o for o in objects if o["kind"] == "Service"}
    config = {}
    for o in objects:
        if o["kind"] == "ConfigMap" and o["metadata"]["name"].startswith("tuopin-config"):
            config.update(o.get("data", {}))
    all_flags = set().union(*flags.values())
    for var in config:
        if var.startswith("TUOPIN_") and var[len("TUOPIN_"):].lower() not in all_flags:
            fail(f"{label}: ConfigMap variable {var} is no binary's flag")
    for o in objects:
        if o["kind"] not in ("Deployment", "Job", "StatefulSet"):
            continue
        spec = o["spec"]["template"]["spec"]
        name = o["metadata"]["name"]
        for c in spec.get("containers", []):
            image = c.get("image", "")
            m = re.search(r"(tuopin-\w+)(?::[\w.-]+)?$", image)
            if not m:
                continue  # not one of ours (MariaDB)
            binary = m.group(1)
            if binary not in flags:
                fail(f"{label}: {name} runs {binary}, which docs/FLAGS.md does not know")
                continue
            a = args_of(c)
            for flag in a:
                if flag not in flags[binary]:
                    fail(f"{label}: {name}: --{flag} is not a flag of {binary}")
            for vm in c.get("volumeMounts", []):
                pass
            if o["kind"] == "Job":
                if "migrate_only" not in a:
                    fail(f"{label}: Job {name} does not run --migrate_only")
                continue
            if a.get("migrate", "true") != "false" and "db_dsn_file" in a:
                fail(f"{label}: {name} migrates at start; migrations are the Job's")
            port = int(a.get("port", default_ports.get(binary, -1)))
            metrics = int(a.get("metrics_port", port + 1000))
            ports = {p.get("name"): p["containerPort"] for p in c.get("ports", [])}
            if ports.get("grpc") != port:
                fail(f"{label}: {name}: container port grpc {ports.get('grpc')} but --port {port}")
            if ports.get("metrics") != metrics:
                fail(f"{label}: {name}: container port metrics {ports.get('metrics')} but metrics port {metrics}")
            if binary == "tuopin-gateway" and ports.get("http") != int(a.get("http_port", 8080)):
                fail(f"{label}: {name}: container port http {ports.get('http')} but --http_port "
                     f"{a.get('http_port', 8080)}")
            for probe in ("readinessProbe", "livenessProbe"):
                grpc_probe = c.get(probe, {}).get("grpc")
                if not grpc_probe:
                    fail(f"{label}: {name}: {probe} is not a native gRPC probe")
                elif grpc_probe.get("port") != port:
                    fail(f"{label}: {name}: {probe} on port {grpc_probe.get('port')} but --port {port}")
            grace = spec.get("terminationGracePeriodSeconds", 30)
            need = (seconds(a.get("shutdown_grace", "2s")) or 0) + (seconds(a.get("drain_timeout", "10s")) or 0)
            if grace <= need:
                fail(f"{label}: {name}: terminationGracePeriodSeconds {grace} does not outlast the drain ({need} s)")
            sc = c.get("securityContext", {})
            if sc.get("readOnlyRootFilesystem") is not True or sc.get("allowPrivilegeEscalation") is not False:
                fail(f"{label}: {name}: not read-only and unprivileged")
            if spec.get("securityContext", {}).get("runAsNonRoot") is not True:
                fail(f"{label}: {name}: may run as root")
            svc = services.get(name)
            if svc is None:
                fail(f"{label}: Deployment {name} has no Service of its name")
            else:
                for sp in svc["spec"]["ports"]:
                    if sp.get("targetPort") not in ports and sp.get("targetPort") not in ports.values():
                        fail(f"{label}: Service {name} port {sp.get('name')} targets {sp.get('targetPort')}, "
                             "which the container does not have")
            expose = dockerfile_ports(root, binary)
            if expose is None:
                fail(f"{label}: no Dockerfile runs {binary}")
            elif expose != set(ports.values()):
                fail(f"{label}: Dockerfile of {binary} exposes {sorted(expose)}, the Deployment declares "
                     f"{sorted(ports.values())}")
        for v in spec.get("volumes", []):
            s = v.get("secret", {}).get("secretName")
            if s and not secret_names(s):
                fail(f"{label}: {name} mounts Secret {s}, which does not exist")


def runtime_packages(base):
    """The Debian packages the runtime stage installs, and everything they depend on,
    with what debian:bookworm-slim has already (apt's dependencies): None when apt-cache
    is not there to tell."""
    if not shutil.which("apt-cache"):
        return None
    runtime = base[base.index("AS runtime"):]
    m = re.search(r"apt-get install -y --no-install-recommends((?:[^\\\n&]|\\\n)+)", runtime)
    if not m:
        fail("deploy/docker/base.Dockerfile: the runtime stage installs no packages")
        return set()
    listed = m.group(1).replace("\\\n", " ").split()
    out = subprocess.run(["apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests",
                          "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances",
                          "apt", *listed], capture_output=True, text=True).stdout
    closure = set(listed)
    for line in out.splitlines():
        dep = re.match(r"\s*(?:\|?(?:Pre)?Depends): (\S+)", line)
        if dep:
            closure.add(dep.group(1).split(":")[0])
        elif line and not line[0].isspace() and not line.startswith("<"):
            closure.add(line.split(":")[0])
    return closure


def packages_of(paths):
    """The Debian package owning each library file (merged /usr or not), asked of dpkg
    once for all of them and remembered: {path: package}; unknown files are left out."""
    known = _cache.setdefault("packages", {})
    variants = {}
    for path in paths:
        if path in known:
            continue
        real = os.path.realpath(path)
        for v in {path, real, real.replace("/usr/lib/", "/lib/", 1), real.replace("/lib/", "/usr/lib/", 1)}:
            variants.setdefault(v, set()).add(path)
    if variants:
        out = subprocess.run(["dpkg", "-S", *sorted(variants)], capture_output=True, text=True).stdout
        for line in out.splitlines():
            package, _, owned = line.partition(": ")
            for path in variants.get(owned.strip(), ()):
                known[path] = package.split(":")[0]
        for path in paths:
            known.setdefault(path, None)
    return known


def check_image_libraries(root, binary, base, packages):
    """Every shared library the built binary loads (ldd of build/services/<name>/<binary>,
    when built) is in the runtime image: the repository's own are built under
    /build/proto and matched by the pattern the builder stage copies; every other one
    belongs to a Debian package the runtime stage installs (or that comes with them or
    with the slim base image)."""
    built = os.path.join(root, "build", "services", binary[len("tuopin-"):], binary)
    if not os.path.exists(built) or not shutil.which("ldd"):
        return
    m = re.search(r"find /build/proto -name '([^']+)' -exec cp -P \{\} /out/lib/", base)
    if not m:
        fail("deploy/docker/base.Dockerfile: does not copy the repository's shared libraries into /out/lib")
        return
    out = subprocess.run(["ldd", built], capture_output=True, text=True).stdout
    libs = [(m.group(1), m.group(2)) for m in re.finditer(r"^\s*(lib\S*) => (/\S+)", out, re.M)]
    owners = {}
    if packages is not None and shutil.which("dpkg"):
        owners = packages_of([path for name, path in libs if not name.startswith("libtuopin")])
    for name, path in libs:
        if name.startswith("libtuopin"):
            proto_dir = os.path.realpath(os.path.join(root, "build", "proto")) + os.sep
            if not fnmatch.fnmatch(name, m.group(1)) or not os.path.realpath(path).startswith(proto_dir):
                fail(f"deploy/docker/base.Dockerfile: {binary} loads {name} ({path}), which the runtime image lacks")
            continue
        package = owners.get(path)
        if package is not None and package not in packages:
            fail(f"deploy/docker/base.Dockerfile: {binary} loads {name} from package {package}, "
                 "which the runtime stage does not install")


def dockerfile_ports(root, binary):
    path = os.path.join(root, "services", binary[len("tuopin-"):], "Dockerfile")
    if not os.path.exists(path):
        return None
    text = open(path).read()
    if f'ENTRYPOINT ["/usr/local/bin/{binary}"]' not in text:
        fail(f"{path}: does not run /usr/local/bin/{binary}")
    if "\nUSER " not in text or "USER root" in text or "USER 0" in text:
        fail(f"{path}: does not run as a non-root user")
    if "FROM tuopin/tuopin-builder:" not in text or "FROM tuopin/tuopin-runtime:" not in text:
        fail(f"{path}: not built on the shared builder and runtime stages")
    base = open(os.path.join(root, "deploy/docker/base.Dockerfile")).read()
    # The stages' FROM may be build arguments (a local base where no registry is reachable)
    # whose defaults are the public images.
    if not (re.search(r"^FROM (debian:bookworm|\$\{BUILDER_BASE\}) AS builder$", base, re.M)
            and re.search(r"^FROM (debian:bookworm-slim|\$\{RUNTIME_BASE\}) AS runtime$", base, re.M)
            and ("${BUILDER_BASE}" not in base or "ARG BUILDER_BASE=debian:bookworm\n" in base)
            and ("${RUNTIME_BASE}" not in base or "ARG RUNTIME_BASE=debian:bookworm-slim\n" in base)):
        fail("deploy/docker/base.Dockerfile: the stages are not from debian:bookworm")
    if "runtime_packages" not in _cache:
        _cache["runtime_packages"] = runtime_packages(base)
    if ("libraries", binary) not in _cache:
        _cache[("libraries", binary)] = True
        check_image_libraries(root, binary, base, _cache["runtime_packages"])
    ports = set()
    for m in re.finditer(r"^EXPOSE (.*)$", text, re.M):
        ports |= {int(p) for p in m.group(1).split()}
    return ports


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--root", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    args = p.parse_args()
    root = os.path.abspath(args.root)
    if not shutil.which("kubectl"):
        print("FAIL kubectl is not installed")
        return 1
    made = subprocess.run([os.path.join(root, "deploy/k8s/overlays/dev/make-secrets.sh")], capture_output=True,
                          text=True)
    if made.returncode != 0:
        print(f"FAIL overlays/dev/make-secrets.sh: {made.stderr.strip()[-400:]}")
        return 1
    flags = binary_flags(root)
    default_ports = {"tuopin-gateway": 50051, "tuopin-personnel": 50061, "tuopin-funds": 50062,
                     "tuopin-tasks": 50063, "tuopin-accountability": 50064, "tuopin-auditquery": 50065,
                     "tuopin-auditlog": 50066}
    with open(os.path.join(root, "deploy/k8s/overlays/prod/secrets.template.yaml")) as f:
        template_text = f.read()
    template = [d for d in yaml.safe_load_all(template_text) if d]
    families = {re.sub(r"-(personnel|funds|tasks|accountability|auditlog|auditquery)$", "-", d["metadata"]["name"])
                for d in template}
    validate_schema(root, "prod secrets template", template_text)
    for overlay in ("dev", "prod"):
        text, objects = render(root, overlay)
        if not objects:
            continue
        print(f"ok   kustomize {overlay}: {len(objects)} objects")
        validate_schema(root, overlay, text)
        if overlay == "dev":
            names = {o["metadata"]["name"] for o in objects if o["kind"] == "Secret"}
            exists = lambda s, names=names: s in names
        else:
            exists = lambda s: s in families or re.sub(
                r"-(personnel|funds|tasks|accountability|auditlog|auditquery)$", "-", s) in families
        check_objects(root, overlay, objects, flags, exists, default_ports)
    print("ok   manifests agree with the binaries" if not problems else f"{len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
