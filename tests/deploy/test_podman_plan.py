"""deploy/k8s/podman.py's plan (offline, no podman): what the development overlay becomes
when podman plays it, and the manifests podman could not play as written refused by name.
The run itself is tests/deploy/containers.

Run by CTest: --repo <repository>."""

import argparse
import base64
import copy
import itertools
import json
import os
import subprocess
import sys
import unittest

ARGS = None


class PodmanPlanTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        sys.path.insert(0, os.path.join(ARGS.repo, "deploy", "k8s"))
        import podman
        cls.kube = podman
        overlay = os.path.join(ARGS.repo, "deploy", "k8s", "overlays", "dev")
        # The overlay renders only with its secret files (kept once made; CTest runs this and
        # k8s_manifests_test, which also writes them, one at a time).
        subprocess.run([os.path.join(overlay, "make-secrets.sh")], check=True, capture_output=True)
        cls.docs = podman.render(overlay)
        ports = iter(range(40000, 41000))
        cls.plan = podman.translate(copy.deepcopy(cls.docs), "tuopin-dev", (4, 3), host_port=lambda: next(ports))

    def pods(self):
        return {o["metadata"]["name"]: o for o in self.plan.played if o["kind"] == "Pod"}

    def test_every_workload_is_one_pod_named_after_its_service(self):
        pods = self.pods()
        services = {d["metadata"]["name"] for d in self.docs if d["kind"] == "Service"}
        deployments = [d for d in self.docs if d["kind"] in ("Deployment", "StatefulSet")]
        jobs = [d["metadata"]["name"] for d in self.docs if d["kind"] == "Job"]
        self.assertEqual(len(pods), len(deployments) + len(jobs))
        self.assertTrue(services <= set(pods), "each Service's name is a pod's, for podman's DNS")
        self.assertEqual(sorted(self.plan.jobs), sorted(jobs))
        # MariaDB first, then the migrations, then the services.
        self.assertEqual(self.plan.pods[0], "tuopin-mariadb")
        self.assertEqual(set(self.plan.pods[1:1 + len(jobs)]), set(jobs))
        for job in jobs:
            self.assertEqual(pods[job]["spec"]["restartPolicy"], "OnFailure")
        for d in deployments:
            self.assertEqual(pods[d["metadata"]["name"]]["spec"]["restartPolicy"], "Always")

    def test_the_pod_specs_are_the_templates_but_for_the_listed_changes(self):
        pods = self.pods()
        for d in self.docs:
            if d["kind"] not in ("Deployment", "StatefulSet", "Job"):
                continue
            want = copy.deepcopy(d["spec"]["template"]["spec"])
            got = copy.deepcopy(pods[d["metadata"]["name"]]["spec"])
            # Undo exactly the documented changes; what is left must be the manifest.
            got.pop("restartPolicy")
            want.pop("restartPolicy", None)
            for c in got["containers"]:
                for p in c.get("ports", []):
                    self.assertEqual(p.pop("hostIP"), "127.0.0.1", "published on loopback only")
                    self.assertIn(p.pop("hostPort"), range(40000, 41000))
            for v in got.get("volumes", []):
                if "secret" in v:
                    self.assertIs(v["secret"].pop("optional"), False)
                if "emptyDir" in v:
                    self.assertTrue(v["name"].startswith(d["metadata"]["name"] + "-"))
                    v["name"] = v["name"][len(d["metadata"]["name"]) + 1:]
            for c in got["containers"]:
                for m in c.get("volumeMounts", []):
                    prefix = d["metadata"]["name"] + "-"
                    if m["name"].startswith(prefix):
                        m["name"] = m["name"][len(prefix):]
            if d["kind"] == "StatefulSet":
                claims = [v for v in got["volumes"] if "persistentVolumeClaim" in v]
                self.assertEqual([c["persistentVolumeClaim"]["claimName"] for c in claims], ["data-tuopin-mariadb-0"])
                got["volumes"] = [v for v in got["volumes"] if "persistentVolumeClaim" not in v]
            self.assertEqual(got, want, d["metadata"]["name"])

    def test_security_contexts_and_probes_are_kept_for_the_runner(self):
        by_pod = {(p, c): sc for p, c, sc in self.plan.containers}
        self.assertEqual(by_pod[("tuopin-gateway", "gateway")]["runAsUser"], 65532)
        self.assertTrue(by_pod[("tuopin-gateway", "gateway")]["readOnlyRootFilesystem"])
        self.assertEqual(by_pod[("tuopin-mariadb", "mariadb")]["runAsUser"], 999)
        probed = {p for p, _, _ in self.plan.probes}
        self.assertEqual(probed, {d["metadata"]["name"] for d in self.docs if d["kind"] == "Service"})
        self.assertEqual(self.plan.ports[("tuopin-gateway", "grpc")], self.plan.ports[("tuopin-gateway", 50051)])

    def test_secrets_are_held_decoded_for_podman_4_3_and_encoded_after(self):
        raw = next(d for d in self.docs if d["kind"] == "Secret" and d["metadata"]["name"] == "tuopin-internal-key")
        key = base64.b64decode(raw["data"]["key"]).decode()
        held = json.loads(self.plan.secrets["tuopin-internal-key"])
        self.assertEqual(held["kind"], "Secret")
        self.assertEqual(held["data"]["key"], key)
        later = self.kube.translate(copy.deepcopy(self.docs), "n", (4, 4), host_port=itertools.count(42000).__next__)
        self.assertEqual(json.loads(later.secrets["tuopin-internal-key"])["data"]["key"], raw["data"]["key"])
        binary = copy.deepcopy(self.docs)
        next(d for d in binary if d["kind"] == "Secret")["data"]["key"] = base64.b64encode(b"\xff\xfe").decode()
        with self.assertRaisesRegex(self.kube.PlanError, "binary"):
            self.kube.translate(binary, "n", (4, 3), host_port=itertools.count(42000).__next__)

    def test_what_podman_cannot_play_is_refused_by_name(self):
        def broken(change):
            docs = copy.deepcopy(self.docs)
            change(docs)
            return docs

        def service(docs, name):
            return next(d for d in docs if d["kind"] == "Service" and d["metadata"]["name"] == name)

        def deployment(docs, name):
            return next(d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == name)

        cases = {
            "port 9999 goes to": lambda docs: service(docs, "tuopin-funds")["spec"]["ports"][0].update(port=9999),
            "2 replicas": lambda docs: deployment(docs, "tuopin-funds")["spec"].update(replicas=2),
            "selects no workload": lambda docs: service(docs, "tuopin-funds")["spec"].update(
                selector={"app.kubernetes.io/name": "nothing"}),
            "different items": lambda docs: deployment(docs, "tuopin-funds")["spec"]["template"]["spec"][
                "volumes"].append({"name": "again", "secret": {"secretName": "tuopin-internal-key",
                                                               "items": [{"key": "key", "path": "k"}]}}),
            "CronJob": lambda docs: docs.append({"kind": "CronJob", "metadata": {"name": "x"}}),
        }
        for message, change in cases.items():
            with self.subTest(message):
                with self.assertRaisesRegex(self.kube.PlanError, message):
                    self.kube.translate(broken(change), "n", (4, 3), host_port=itertools.count(42000).__next__)

    def test_host_ports_are_never_handed_out_twice_and_jobs_keep_their_backoff_limit(self):
        picks = iter([41000, 41000, 41001, 41001, 41001] + list(range(41002, 42000)))
        plan = self.kube.translate(copy.deepcopy(self.docs), "n", (4, 3), host_port=lambda: next(picks))
        published = {p for (pod, name), p in plan.ports.items() if isinstance(name, str)}
        named = [k for k in plan.ports if isinstance(k[1], str)]
        self.assertEqual(len(published), len(named), "one host port per container port")
        jobs = {d["metadata"]["name"]: d["spec"].get("backoffLimit", 6) for d in self.docs if d["kind"] == "Job"}
        self.assertEqual(plan.jobs, jobs)

    def test_cluster_only_objects_are_listed_not_played(self):
        kinds = {k for k, _, _ in self.plan.skipped}
        self.assertEqual(kinds, {"Namespace", "ServiceAccount", "Service", "NetworkPolicy"})
        self.assertFalse({o["kind"] for o in self.plan.played} - {"ConfigMap", "Pod"})


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--repo", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest)
