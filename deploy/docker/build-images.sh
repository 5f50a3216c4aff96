#!/usr/bin/env bash
# Builds the service images: the shared builder and runtime stages of base.Dockerfile,
# then services/<name>/Dockerfile for each binary, tagged tuopin/tuopin-<name>:$TAG.
#
#   deploy/docker/build-images.sh [TAG]     (default TAG: dev)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
tag=${1:-dev}
cd "$repo"
docker build -f deploy/docker/base.Dockerfile --target builder -t "tuopin/tuopin-builder:$tag" .
docker build -f deploy/docker/base.Dockerfile --target runtime -t "tuopin/tuopin-runtime:$tag" .
for s in gateway personnel funds tasks accountability auditlog auditquery; do
  docker build -f "services/$s/Dockerfile" --build-arg "TAG=$tag" -t "tuopin/tuopin-$s:$tag" .
done
