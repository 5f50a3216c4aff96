#!/usr/bin/python3
"""deploy/k8s/check.py passes on the repository's manifests and fails, naming the
problem, on copies broken in the ways that would hurt in a cluster: a probe on the wrong
port, a flag the binary does not have, an object the schema refuses, a Dockerfile that
exposes other ports than its Deployment, a Secret that does not exist, a runtime image
without a shared library the built binaries load."""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
CHECK = os.path.join(REPO, "deploy", "k8s", "check.py")


def run(root):
    return subprocess.run([sys.executable, CHECK, "--root", root], capture_output=True, text=True)


class K8sCheckTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # The real tree first: it installs the schema validator (npm ci) and writes the dev
        # overlay's secrets once, so the broken copies below start from a complete tree.
        cls.repository = run(REPO)

    def test_the_repository_passes(self):
        out = self.repository
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertIn("manifests agree with the binaries", out.stdout)

    def broken(self, path, old, new, expect):
        with tempfile.TemporaryDirectory() as d:
            shutil.copytree(os.path.join(REPO, "deploy"), os.path.join(d, "deploy"), symlinks=True)
            os.makedirs(os.path.join(d, "docs"))
            shutil.copy(os.path.join(REPO, "docs", "FLAGS.md"), os.path.join(d, "docs"))
            shutil.copytree(os.path.join(REPO, "tools", "demo"), os.path.join(d, "tools", "demo"))
            for s in os.listdir(os.path.join(REPO, "services")):
                df = os.path.join(REPO, "services", s, "Dockerfile")
                if os.path.exists(df):
                    os.makedirs(os.path.join(d, "services", s))
                    shutil.copy(df, os.path.join(d, "services", s))
            # The built binaries, for the check of the runtime image's libraries.
            if os.path.isdir(os.path.join(REPO, "build")):
                os.symlink(os.path.join(REPO, "build"), os.path.join(d, "build"))
            target = os.path.join(d, path)
            with open(target) as f:
                text = f.read()
            self.assertIn(old, text, f"{path} changed; update this test")
            with open(target, "w") as f:
                f.write(text.replace(old, new, 1))
            out = run(d)
            self.assertEqual(out.returncode, 1, out.stdout + out.stderr)
            self.assertRegex(out.stdout, expect)

    def test_a_runtime_image_without_a_library_the_binaries_load_fails(self):
        if not os.path.exists(os.path.join(REPO, "build", "services", "gateway", "tuopin-gateway")):
            self.skipTest("needs the binaries built in build/")
        self.broken("deploy/docker/base.Dockerfile", "-name 'libtuopin_*.so*'", "-name 'libtuopin_proto.so*'",
                    r"tuopin-\w+ loads libtuopin_(rpc|health)_proto\.so .*which the runtime image lacks")

    def test_a_runtime_image_without_a_debian_library_the_binaries_load_fails(self):
        if not os.path.exists(os.path.join(REPO, "build", "services", "gateway", "tuopin-gateway")):
            self.skipTest("needs the binaries built in build/")
        if not shutil.which("apt-cache") or not shutil.which("dpkg"):
            self.skipTest("needs dpkg and apt-cache to map libraries to packages")
        self.broken("deploy/docker/base.Dockerfile", " libjemalloc2 ", " ",
                    r"tuopin-\w+ loads libjemalloc\.so\.2 from package libjemalloc2, which the runtime stage does not install")

    def test_a_base_image_argument_not_defaulting_to_debian_fails(self):
        self.broken("deploy/docker/base.Dockerfile", "ARG RUNTIME_BASE=debian:bookworm-slim",
                    "ARG RUNTIME_BASE=alpine:3.19", r"the stages are not from debian:bookworm")

    def test_a_probe_on_the_wrong_port_fails(self):
        self.broken("deploy/k8s/base/funds.yaml", "            grpc:\n              port: 50062",
                    "            grpc:\n              port: 50063", r"readinessProbe on port 50063 but --port 50062")

    def test_an_unknown_flag_fails(self):
        self.broken("deploy/k8s/base/tasks.yaml", "- --drain_timeout=20s", "- --drain_timeout_s=20",
                    r"--drain_timeout_s is not a flag of tuopin-tasks")

    def test_a_schema_violation_fails(self):
        self.broken("deploy/k8s/base/personnel.yaml", "  replicas: 1", "  replicas: one",
                    r"schema \(\w+\): Deployment/tuopin-personnel")

    def test_a_dockerfile_exposing_other_ports_fails(self):
        self.broken("services/auditquery/Dockerfile", "EXPOSE 50065 51065", "EXPOSE 50065",
                    r"Dockerfile of tuopin-auditquery exposes \[50065\]")

    def test_a_missing_secret_fails(self):
        self.broken("deploy/k8s/base/gateway.yaml", "secretName: tuopin-jwt", "secretName: tuopin-jwks",
                    r"mounts Secret tuopin-jwks, which does not exist")

    def test_a_grace_period_shorter_than_the_drain_fails(self):
        self.broken("deploy/k8s/base/accountability.yaml", "terminationGracePeriodSeconds: 40",
                    "terminationGracePeriodSeconds: 20", r"does not outlast the drain")


if __name__ == "__main__":
    unittest.main(verbosity=2)
