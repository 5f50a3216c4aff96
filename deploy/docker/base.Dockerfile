# syntax=docker/dockerfile:1
# The two images every service image is made from (deploy/docker/build-images.sh):
#   --target builder  Debian bookworm with the toolchain and Debian's gRPC, protobuf,
#                     Abseil and Connector/C++; builds every binary of the repository
#                     into /out (binaries in /out/bin, the shared proto libraries —
#                     contracts, google.rpc, grpc.health — in /out/lib).
#   --target runtime  bookworm-slim with only the shared libraries the binaries load.
# Build from the repository root.

FROM debian:bookworm AS builder
RUN apt-get update \
 && apt-get install -y --no-install-recommends g++ cmake ninja-build pkg-config \
      libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler grpc-proto \
      libabsl-dev libmysqlcppconn-dev libssl-dev prometheus-cpp-dev libcpp-httplib-dev \
      libjemalloc-dev libgtest-dev libgmock-dev libbenchmark-dev python3 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release \
 && cmake --build /build --target tuopin-gateway tuopin-personnel tuopin-funds tuopin-tasks \
      tuopin-accountability tuopin-auditlog tuopin-auditquery tuopinctl \
 && mkdir -p /out/bin /out/lib \
 && cp /build/services/*/tuopin-* /build/tools/tuopinctl /out/bin/ \
 && find /build/proto -name 'libtuopin_*.so*' -exec cp -P {} /out/lib/ \;

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends libgrpc++1.51 libprotobuf32 libabsl20220623 \
      libmysqlcppconn7v5 libssl3 libprometheus-cpp-core1.0 libprometheus-cpp-pull1.0 \
      libcpp-httplib0.11 libjemalloc2 ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=builder /out/lib/ /usr/local/lib/
RUN ldconfig
USER 65532:65532
