# syntax=docker/dockerfile:1
# The two images every service image is made from (deploy/docker/build-images.sh):
#   --target builder  Debian bookworm with the toolchain and Debian's gRPC, protobuf,
#                     Abseil and Connector/C++; builds every binary of the repository
#                     into /out (binaries in /out/bin, the shared proto libraries —
#                     contracts, google.rpc, grpc.health — in /out/lib).
#   --target runtime  bookworm-slim with only the shared libraries the binaries load.
# Build from the repository root. The base images are build arguments so that a machine
# without a registry can use local ones (build-images.sh debootstraps them); the defaults
# are the public images.
ARG BUILDER_BASE=debian:bookworm
ARG RUNTIME_BASE=debian:bookworm-slim

FROM ${BUILDER_BASE} AS builder
RUN apt-get update \
 && apt-get install -y --no-install-recommends g++ cmake ninja-build pkg-config \
      libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler grpc-proto \
      libabsl-dev libmysqlcppconn-dev libssl-dev prometheus-cpp-dev libcpp-httplib-dev \
      libjemalloc-dev libgtest-dev libgmock-dev libbenchmark-dev python3 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DTUOPIN_TESTS=OFF \
 && cmake --build /build --target tuopin-gateway tuopin-personnel tuopin-funds tuopin-tasks \
      tuopin-accountability tuopin-auditlog tuopin-auditquery tuopinctl \
 && mkdir -p /out/bin /out/lib \
 && find /build/services -mindepth 2 -maxdepth 2 -type f -name 'tuopin-*' -executable \
      -exec cp {} /out/bin/ \; \
 && cp /build/tools/tuopinctl /out/bin/ \
 && find /build/proto -name 'libtuopin_*.so*' -exec cp -P {} /out/lib/ \;

FROM ${RUNTIME_BASE} AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends libgrpc++1.51 libprotobuf32 libabsl20220623 \
      libmysqlcppconn7v5 libssl3 libprometheus-cpp-core1.0 libprometheus-cpp-pull1.0 \
      libcpp-httplib0.11 libjemalloc2 ca-certificates \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/log/apt /var/log/dpkg.log /var/cache/debconf/*-old
COPY --from=builder /out/lib/ /usr/local/lib/
RUN ldconfig
USER 65532:65532
