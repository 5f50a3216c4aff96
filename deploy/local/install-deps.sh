#!/usr/bin/env bash
# Installs the Debian 12 packages Tuopin builds, runs and tests with, when missing.
# Uses sudo when not root. Safe to run again: it does nothing when all are present.
set -euo pipefail
packages=(
  g++ cmake ninja-build ccache pkg-config git curl openssl
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler grpc-proto
  libabsl-dev libmysqlcppconn-dev libssl-dev prometheus-cpp-dev libcpp-httplib-dev libjemalloc-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  mariadb-server mariadb-client sysbench clang-14 libclang-rt-14-dev
  python3 python3-grpcio python3-protobuf python3-cryptography python3-yaml
  prometheus
)
# Node.js and npm validate the manifests offline (kubernetes-models); a Node.js that
# brings its own npm (NodeSource) does as well as Debian's packages.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)
# kubectl (with kustomize v5) renders the Kubernetes manifests in the tests; Debian's own
# kubernetes-client is too old, so it comes from the kubectl package of Google's Cloud
# SDK repository where that is configured.
command -v kubectl >/dev/null 2>&1 || packages+=(kubectl)
# `install-deps.sh --bench`: also Debian's nginx (nginx-light), the bare gRPC proxy that
# tests/bench/run measures beside the gateway.
if [ "${1:-}" = "--bench" ]; then packages+=(nginx-light); fi
# `install-deps.sh --containers`: only what deploy/docker/build-images.sh needs to build
# and run the images without a Docker engine (rootful podman, a debootstrapped base).
if [ "${1:-}" = "--containers" ]; then
  packages=(podman buildah debootstrap runc uidmap slirp4netns fuse-overlayfs netavark
    aardvark-dns iptables debian-archive-keyring catatonit)
fi
missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "install-deps: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# Debian's prometheus (its server and promtool, for prometheus_test and the alert rules'
# tests) would start and enable its own server on :9090, and nginx its own on :80: the
# tests and benchmarks start their own, so these are installed apart, with a policy-rc.d
# that denies service starts when the machine has none, and their services disabled afterwards.
others=()
daemons=()
for p in "${missing[@]}"; do
  case $p in prometheus | nginx-light) daemons+=("$p") ;; *) others+=("$p") ;; esac
done
[ ${#others[@]} -eq 0 ] || $sudo apt-get install -y -qq --no-install-recommends "${others[@]}" >/dev/null
if [ ${#daemons[@]} -ne 0 ]; then
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
    $sudo chmod 755 /usr/sbin/policy-rc.d
    trap '$sudo rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  $sudo apt-get install -y -qq --no-install-recommends "${daemons[@]}" >/dev/null
  if [ -d /run/systemd/system ]; then
    # nginx-light's service is nginx
    for p in "${daemons[@]}"; do $sudo systemctl disable --now "${p%-light}" >/dev/null 2>&1 || true; done
  fi
fi
