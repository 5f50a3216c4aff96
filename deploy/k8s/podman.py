#!/usr/bin/python3
"""Runs a rendered overlay (dev by default) in podman, with `podman kube play`, as close to
the manifests as podman allows. Used by tests/deploy/containers; usable by hand:

    deploy/k8s/podman.py render [--overlay DIR]   # the objects podman will play, and what changed
    deploy/k8s/podman.py up [--overlay DIR]       # play them (after make-secrets.sh, build-images.sh)
    deploy/k8s/podman.py down [--overlay DIR]     # remove pods, secrets, volumes, network

`podman kube play` (4.3, Debian 12) plays Pods, Deployments, PersistentVolumeClaims and
ConfigMaps. What this does to the rendered objects, each a difference from a cluster:

- Deployment (one replica) and StatefulSet -> a Pod with the template's spec unchanged and
  restartPolicy Always, named after the Service that selects it (podman's DNS answers pod
  names; there is no Service proxy, so each Service's port must equal its target port, which
  is checked). A StatefulSet's volumeClaimTemplates become named volumes "<claim>-<set>-0".
- Job -> a Pod with restartPolicy OnFailure (no Job controller: podman restarts the container
  until it exits 0).
- Secret -> a podman secret holding the Secret as YAML, which is what kube play's `secret`
  volumes read. Podman 4.3 writes a Secret's `data` into the files without base64-decoding
  it, so for 4.3 the values are stored decoded (text only).
- Secret volumes get `optional: false` written out (4.3 dereferences the absent field).
  Podman 4.3 makes a secret volume a named volume called after the Secret, filled once:
  stale ones are removed before playing, and every mount of one Secret must use the same
  items (checked).
- emptyDir volumes are renamed "<pod>-<volume>": 4.3 names the volume after the pod's volume
  name, so two pods' "tmp" would be one volume.
- Every container port is also published on 127.0.0.1 (a free host port), so that probes and
  tests reach the pods from the host on loopback.
- Probes stay in the objects, but podman 4.3 runs no gRPC probe and runs exec probes only
  from systemd timers: `wait_ready` runs the readiness probes itself (gRPC health checks on
  the published port, exec probes with `podman exec`, each within its timeoutSeconds), and
  only those: no liveness or startup probe runs, and a pod that is not ready still gets
  traffic (podman's DNS answers for it; a Service would not list it).
- A Job's container is restarted at once after a failure (podman has no back-off), so its
  backoffLimit cannot be counted: `wait_ready`'s deadline stands in for it, and its failure
  names the Job with the last lines of its log.
- Secret volumes are named volumes on disk (not tmpfs) called after the Secret, so the
  secrets stay on disk until `down`, and two overlays played at once would share them.
- Limits: the containers get the ulimits of .tuopin/containers/containers.conf (written by
  deploy/docker/build-images.sh; `up` refuses to run without it): nofile 1024 and nproc
  1000, and nproc counts per host user, so the six services (all user 65532, no user
  namespace) share 1,000 processes and threads.
- Namespace, ServiceAccount, Service, NetworkPolicy, HorizontalPodAutoscaler and
  PodDisruptionBudget are not played (listed by `render`); the pods share one podman
  network, `tuopin-<overlay>`.
- securityContext (user, read-only root, dropped capabilities, no privilege escalation,
  seccomp) and resources are played as written; fsGroup has no effect (podman gives new
  volumes to the container's user instead).
"""

import argparse
import base64
import copy
import json
import os
import re
import socket
import subprocess
import sys
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
NOT_PLAYED = {
    "Namespace": "podman has no namespaces",
    "ServiceAccount": "no API server: no account tokens (the manifests mount none)",
    "Service": "no Service proxy: pods are named after their Service and reached by podman's DNS",
    "NetworkPolicy": "podman enforces no network policy",
    "HorizontalPodAutoscaler": "no autoscaler",
    "PodDisruptionBudget": "no evictions",
}


class PlanError(Exception):
    pass


def podman_cmd():
    conf = os.path.join(REPO, ".tuopin", "containers", "containers.conf")
    env = dict(os.environ)
    if os.path.exists(conf):
        env.setdefault("CONTAINERS_CONF", conf)
    return ["podman", "--runtime", "runc", "--cgroup-manager=cgroupfs"], env


def podman(*args, check=True, capture=True, input=None, timeout=120, env_extra=None):
    """One podman command, bounded by timeout (seconds)."""
    cmd, env = podman_cmd()
    env.update(env_extra or {})
    r = subprocess.run(cmd + list(args), env=env, text=True, input=input, timeout=timeout,
                       stdout=subprocess.PIPE if capture else None, stderr=subprocess.PIPE if capture else None)
    if check and r.returncode != 0:
        raise RuntimeError(f"podman {' '.join(args[:3])}: exit {r.returncode}: {(r.stderr or '').strip()[-2000:]}")
    return r


def podman_version():
    out = podman("version", "--format", "{{.Client.Version}}").stdout.strip()
    return tuple(int(x) for x in re.findall(r"\d+", out)[:2])


def render(overlay):
    import yaml
    out = subprocess.run(["kubectl", "kustomize", overlay], check=True, capture_output=True, text=True).stdout
    return [d for d in yaml.safe_load_all(out) if d]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Plan:
    def __init__(self, network):
        self.network = network
        self.played = []        # objects for kube play (ConfigMaps first, then Pods)
        self.secrets = {}       # name -> YAML text of the Secret as podman keeps it
        self.secret_items = {}  # name -> items of its volume mounts (must agree)
        self.claims = []        # named volumes made before playing
        self.scratch = []       # named volumes podman makes (emptyDir, secret): removed before and after
        self.pods = []          # names, in playing order
        self.jobs = {}          # pod name -> backoffLimit: its container must exit 0
        self.ports = {}         # (pod, port name or number) -> host port on 127.0.0.1
        self.probes = []        # (pod, container, probe)
        self.containers = []    # (pod, container name, effective securityContext)
        self.skipped = []       # (kind, name, why)


def _selects(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def _secret_yaml(obj, decode):
    data = {}
    for key, value in (obj.get("data") or {}).items():
        raw = base64.b64decode(value)
        if decode:
            try:
                data[key] = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise PlanError(f"Secret {obj['metadata']['name']}/{key} is binary: podman 4.3 can hold only text")
        else:
            data[key] = value
    for key, value in (obj.get("stringData") or {}).items():
        data[key] = value if decode else base64.b64encode(value.encode()).decode()
    # JSON is YAML: no quoting rule of YAML can change a value.
    return json.dumps({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": obj["metadata"]["name"]},
                       "data": data})


def translate(docs, network, version=(4, 3), host_port=free_port):
    """The plan for podman: see the module's docstring for every change."""
    plan = Plan(network)
    taken = set()

    def unique_port():
        for _ in range(100):  # free_port may hand out a port twice
            p = host_port()
            if p not in taken:
                taken.add(p)
                return p
        raise PlanError("no free host port")
    decode = version <= (4, 3)
    services = [d for d in docs if d["kind"] == "Service"]
    configmaps = [d for d in docs if d["kind"] == "ConfigMap"]
    for d in docs:
        if d["kind"] in NOT_PLAYED:
            plan.skipped.append((d["kind"], d["metadata"]["name"], NOT_PLAYED[d["kind"]]))
        elif d["kind"] == "Secret":
            plan.secrets[d["metadata"]["name"]] = _secret_yaml(d, decode)
        elif d["kind"] not in ("ConfigMap", "Deployment", "StatefulSet", "Job"):
            raise PlanError(f"{d['kind']} {d['metadata']['name']}: no way to play it in podman")
    for cm in configmaps:
        plan.played.append({"apiVersion": "v1", "kind": "ConfigMap",
                            "metadata": {"name": cm["metadata"]["name"]}, "data": cm.get("data", {})})

    named_by_service = set()
    for kind in ("StatefulSet", "Job", "Deployment"):  # the database first, then migrations, then the rest
        for d in (x for x in docs if x["kind"] == kind):
            name = d["metadata"]["name"]
            template = d["spec"]["template"]
            labels = template.get("metadata", {}).get("labels", {})
            spec = copy.deepcopy(template["spec"])
            pod_name = name
            if kind != "Job":
                if d["spec"].get("replicas", 1) != 1:
                    raise PlanError(f"{kind} {name}: {d['spec']['replicas']} replicas; podman plays one pod")
                mine = [s for s in services if _selects(s["spec"].get("selector"), labels)]
                if len(mine) > 1:
                    raise PlanError(f"{kind} {name} is selected by {len(mine)} Services; a pod has one name")
                if mine:
                    pod_name = mine[0]["metadata"]["name"]
                    named_by_service.add(pod_name)
                    _check_service_ports(mine[0], spec)
                spec["restartPolicy"] = "Always"
            else:
                spec["restartPolicy"] = "OnFailure"
                plan.jobs[pod_name] = d["spec"].get("backoffLimit", 6)
            for claim in d["spec"].get("volumeClaimTemplates", []) if kind == "StatefulSet" else []:
                vol = f"{claim['metadata']['name']}-{name}-0"
                plan.claims.append(vol)
                spec.setdefault("volumes", []).append(
                    {"name": claim["metadata"]["name"], "persistentVolumeClaim": {"claimName": vol}})
            _adapt_volumes(plan, pod_name, spec)
            for c in spec.get("containers", []):
                for p in c.get("ports", []):
                    hp = unique_port()
                    p["hostIP"] = "127.0.0.1"
                    p["hostPort"] = hp
                    plan.ports[(pod_name, p.get("name") or p["containerPort"])] = hp
                    plan.ports[(pod_name, p["containerPort"])] = hp
                if c.get("readinessProbe"):
                    plan.probes.append((pod_name, c["name"], c["readinessProbe"]))
                effective = dict(spec.get("securityContext", {}))
                effective.update(c.get("securityContext", {}))
                plan.containers.append((pod_name, c["name"], effective))
            plan.pods.append(pod_name)
            plan.played.append({"apiVersion": "v1", "kind": "Pod",
                                "metadata": {"name": pod_name, "labels": labels,
                                             "annotations": template.get("metadata", {}).get("annotations", {})},
                                "spec": spec})
    for s in services:
        if s["metadata"]["name"] not in named_by_service:
            raise PlanError(f"Service {s['metadata']['name']} selects no workload")
    return plan


def _check_service_ports(service, spec):
    by_name = {p.get("name"): p["containerPort"] for c in spec.get("containers", []) for p in c.get("ports", [])}
    for p in service["spec"].get("ports", []):
        target = p.get("targetPort", p["port"])
        number = by_name.get(target) if isinstance(target, str) else target
        if number != p["port"]:
            raise PlanError(f"Service {service['metadata']['name']}: port {p['port']} goes to {target} "
                            f"({number}); without a Service proxy they must be the same")


def _adapt_volumes(plan, pod, spec):
    renamed = {}
    for v in spec.get("volumes", []):
        if "secret" in v:
            s = v["secret"]
            s.setdefault("optional", False)
            items = json.dumps(s.get("items"), sort_keys=True)
            seen = plan.secret_items.setdefault(s["secretName"], items)
            if seen != items:
                raise PlanError(f"Secret {s['secretName']} is mounted with different items; podman 4.3 "
                                f"keeps one volume per Secret")
            if s["secretName"] not in plan.scratch:
                plan.scratch.append(s["secretName"])
        elif "emptyDir" in v:
            renamed[v["name"]] = f"{pod}-{v['name']}"
            v["name"] = renamed[v["name"]]
            plan.scratch.append(v["name"])
    for c in spec.get("containers", []) + spec.get("initContainers", []):
        for m in c.get("volumeMounts", []):
            m["name"] = renamed.get(m["name"], m["name"])


def _yaml(objs):
    return "".join("---\n" + json.dumps(o, indent=1) + "\n" for o in objs)


def down(plan, quiet=False):
    """Removes what `up` made; what is not there is no error."""
    # All at once: each service drains for its --shutdown_grace, and podman removes the pods
    # of one command one after another.
    cmd, env = podman_cmd()
    removing = [subprocess.Popen(cmd + ["pod", "rm", "--force", "--ignore", "--time", "10", pod], env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for pod in plan.pods]
    for p in removing:
        p.wait()
    for name in plan.secrets:
        podman("secret", "rm", name, check=False)
    for vol in plan.scratch + plan.claims:
        podman("volume", "rm", "--force", vol, check=False)
    podman("network", "rm", "--force", plan.network, check=False)
    if not quiet:
        print(f"podman: removed pods {', '.join(plan.pods)}, their secrets, volumes and network {plan.network}")


def up(plan, workdir):
    """Plays the plan on a fresh network, after removing anything left from a former run.
    workdir must be private to root (the played objects are written there)."""
    conf = os.path.join(REPO, ".tuopin", "containers", "containers.conf")
    if not os.path.exists(conf):
        raise PlanError(f"no {conf}: run deploy/docker/build-images.sh first (it writes podman's settings)")
    down(plan, quiet=True)
    podman("network", "create", plan.network)
    for name, text in plan.secrets.items():
        podman("secret", "create", name, "-", input=text)
    for vol in plan.claims:
        podman("volume", "create", vol)
    os.makedirs(workdir, mode=0o700, exist_ok=True)
    os.chmod(workdir, 0o700)
    path = os.path.join(workdir, "played.yaml")
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600), "w") as f:
        f.write(_yaml(plan.played))
    podman("kube", "play", "--network", plan.network, path, timeout=600)
    return path


def container_name(pod, container):
    return f"{pod}-{container}"


def state(pod, container):
    r = podman("inspect", "--format", "{{.State.Status}} {{.State.ExitCode}} {{.RestartCount}}",
               container_name(pod, container), check=False)
    if r.returncode != 0:
        return None, None, None
    status, code, restarts = r.stdout.split()
    return status, int(code), int(restarts)


PYOUT = os.path.join(REPO, "build", "python")
_health = []


def health_pb2():
    """grpc.health.v1's messages, generated into build/python (grpcio's package has the same
    top-level name, so the file is loaded by path)."""
    if not _health:
        import importlib.util
        spec = importlib.util.spec_from_file_location(
            "tuopin_health_pb2", os.path.join(PYOUT, "third_party", "grpc", "health", "v1", "health_pb2.py"))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _health.append(module)
    return _health[0]


def grpc_serving(port, service="", timeout=2):
    """One gRPC health check on 127.0.0.1:port (grpc.health.v1, as the kubelet's probe)."""
    import grpc
    h = health_pb2()
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    try:
        check = channel.unary_unary("/grpc.health.v1.Health/Check",
                                    request_serializer=h.HealthCheckRequest.SerializeToString,
                                    response_deserializer=h.HealthCheckResponse.FromString)
        return check(h.HealthCheckRequest(service=service), timeout=timeout).status == h.HealthCheckResponse.SERVING
    except grpc.RpcError:
        return False
    finally:
        channel.close()


def probe_passes(plan, pod, container, probe):
    timeout = max(probe.get("timeoutSeconds", 1), 2)
    if "grpc" in probe:
        return grpc_serving(plan.ports[(pod, probe["grpc"]["port"])], probe["grpc"].get("service", ""), timeout)
    if "exec" in probe:
        try:
            return podman("exec", container_name(pod, container), *probe["exec"]["command"], check=False,
                          timeout=timeout).returncode == 0
        except subprocess.TimeoutExpired:
            return False
    if "tcpSocket" in probe:
        with socket.socket() as s:
            s.settimeout(2)
            return s.connect_ex(("127.0.0.1", plan.ports[(pod, probe["tcpSocket"]["port"])])) == 0
    raise PlanError(f"{pod}/{container}: a probe this runner does not know: {sorted(probe)}")


def wait_ready(plan, timeout=300, log=print):
    """Until every Job's pod exited 0 and every readiness probe passes; raises at the
    deadline, naming what is not ready (with the last lines of a Job's log)."""
    deadline = time.monotonic() + timeout
    while True:
        waiting = []
        for job in plan.jobs:
            containers = [c for p, c, _ in plan.containers if p == job]
            for c in containers:
                status, code, restarts = state(job, c)
                if status != "exited" or code != 0:
                    log = podman("logs", "--tail", "3", container_name(job, c), check=False)
                    waiting.append(f"job {job} ({status}, exit {code}, {restarts} restarts: "
                                   f"{(log.stdout + log.stderr).strip()[-300:]})")
        for pod, container, probe in plan.probes:
            if not probe_passes(plan, pod, container, probe):
                status, code, restarts = state(pod, container)
                waiting.append(f"{pod}/{container} ({status}, {restarts} restarts)")
        if not waiting:
            return
        if time.monotonic() > deadline:
            raise TimeoutError("not ready after %d s: %s" % (timeout, "; ".join(waiting)))
        time.sleep(1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["render", "up", "down"])
    parser.add_argument("--overlay", default=os.path.join(REPO, "deploy", "k8s", "overlays", "dev"))
    parser.add_argument("--pyout", default=os.path.join(REPO, "build", "python"),
                        help="the generated Python modules (for the gRPC health checks)")
    args = parser.parse_args()
    global PYOUT
    PYOUT = args.pyout
    overlay = os.path.abspath(args.overlay)
    plan = translate(render(overlay), "tuopin-" + os.path.basename(overlay), podman_version())
    if args.command == "render":
        sys.stdout.write(_yaml(plan.played))
        for kind, name, why in plan.skipped:
            print(f"# not played: {kind} {name}: {why}", file=sys.stderr)
        return
    if args.command == "down":
        down(plan)
        return
    up(plan, os.path.join(REPO, ".tuopin", "podman"))
    wait_ready(plan)
    print(f"podman: {len(plan.pods)} pods ready; published on 127.0.0.1:")
    for (pod, name), p in sorted(plan.ports.items(), key=lambda x: str(x)):
        if isinstance(name, str):
            print(f"  {pod} {name}: {p}")


if __name__ == "__main__":
    main()
