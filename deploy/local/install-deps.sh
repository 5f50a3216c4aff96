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
)
# Node.js and npm validate the manifests offline (kubernetes-models); a Node.js that
# brings its own npm (NodeSource) does as well as Debian's packages.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)
# kubectl (with kustomize v5) renders the Kubernetes manifests in the tests; Debian's own
# kubernetes-client is too old, so it comes from the kubectl package of Google's Cloud
# SDK repository where that is configured.
command -v kubectl >/dev/null 2>&1 || packages+=(kubectl)
# `install-deps.sh --containers`: only what deploy/docker/build-images.sh needs to build
# and run the images without a Docker engine (rootful podman, a debootstrapped base).
if [ "${1:-}" = "--containers" ]; then
  packages=(podman buildah debootstrap runc uidmap slirp4netns fuse-overlayfs netavark
    aardvark-dns iptables debian-archive-keyring)
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
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
