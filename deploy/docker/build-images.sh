#!/usr/bin/env bash
# Builds the images: the shared builder and runtime stages of base.Dockerfile, then
# services/<name>/Dockerfile for each service (tuopin/tuopin-<name>:TAG) and
# tools/tuopinctl/Dockerfile (tuopin/tuopinctl:TAG), and prints their sizes.
#
#   deploy/docker/build-images.sh [--smoke] [--base-only] [TAG]     (default TAG: dev)
#
#   --smoke      then start every image: each binary finds all its shared libraries (ldd in
#                the image) and answers --help; the gateway, read-only as user 65532 with
#                no capabilities, serves on loopback and exits 0 on SIGTERM.
#   --base-only  only make (or find) the base images.
#
# Engine: podman (Debian's, rootful; deploy/local/install-deps.sh --containers installs it)
# unless TUOPIN_CONTAINER_ENGINE=docker. Podman runs with .tuopin/containers/containers.conf,
# written here and exported as CONTAINERS_CONF (runc, cgroupfs, and ulimits no higher
# than a sandbox lets a container have), and with the same settings on its command line.
#
# Base images (TUOPIN_IMAGE_BASE): `local`, podman's default, needs no registry: Debian 12
# minbase is debootstrapped once from the mirror apt is configured with (or
# TUOPIN_DEBIAN_MIRROR), cached as tarballs in .tuopin/images/ and imported as
# localhost/debian:bookworm and a slimmed localhost/debian:bookworm-slim (no docs, man
# pages, locales or apt lists, as the public slim image). `public`, docker's default,
# builds FROM debian:bookworm and debian:bookworm-slim of the registry.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
state=$repo/.tuopin
smoke=0 base_only=0 tag=dev
for a in "$@"; do
  case $a in
    --smoke) smoke=1 ;;
    --base-only) base_only=1 ;;
    -*) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
    *) tag=$a ;;
  esac
done
cd "$repo"
start=$SECONDS

engine=${TUOPIN_CONTAINER_ENGINE:-podman}
case $engine in
  podman)
    "$repo/deploy/local/install-deps.sh" --containers  # nothing to do when all are there
    mkdir -p "$state/containers"
    cat >"$state/containers/containers.conf" <<'EOF'
# Written by deploy/docker/build-images.sh: podman's settings for this kind of machine.
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1000:1000"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
EOF
    export CONTAINERS_CONF=$state/containers/containers.conf
    eng=(podman --runtime runc --cgroup-manager=cgroupfs)
    limits=(--ulimit nofile=1024:1024 --ulimit nproc=1000:1000)
    quiet=(--quiet)
    base_mode=${TUOPIN_IMAGE_BASE:-local}
    ;;
  docker)
    eng=(docker)
    limits=()
    quiet=()
    base_mode=${TUOPIN_IMAGE_BASE:-public}
    ;;
  *) echo "build-images: TUOPIN_CONTAINER_ENGINE must be podman or docker" >&2; exit 2 ;;
esac

image_exists() { "${eng[@]}" image inspect "$1" >/dev/null 2>&1; }

# The first URI apt fetches suite $1 from (one-line and deb822 sources).
apt_uri() {
  local f
  {
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
      [ -f "$f" ] || continue
      awk -v s="$1" '$1 == "deb" { i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
                                   if ($(i + 1) == s) print $i }' "$f"
    done
    for f in /etc/apt/sources.list.d/*.sources; do
      [ -f "$f" ] || continue
      awk -v s="$1" 'BEGIN { RS = ""; FS = "\n" }
        { t = u = x = ""; on = 1
          for (i = 1; i <= NF; i++) {
            if ($i ~ /^Types:/) t = $i " "; if ($i ~ /^URIs:/) u = $i
            if ($i ~ /^Suites:/) x = $i " "; if ($i ~ /^Enabled: *no/) on = 0 }
          if (on && t ~ /[ \t]deb[ \t]/ && x ~ ("[ \t]" s "[ \t]")) { split(u, w, /[ \t]+/); print w[2] } }' "$f"
    done
  } | head -1
}

tar_rootfs() {  # rootfs dir, tarball
  tar --numeric-owner -C "$1" --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' \
    -cf "$2.tmp" . && mv "$2.tmp" "$2"
}

make_base() {
  local images=$state/images full=$state/images/debian-bookworm.tar
  local slim=$state/images/debian-bookworm-slim.tar
  if image_exists localhost/debian:bookworm && image_exists localhost/debian:bookworm-slim; then
    echo "build-images: base images localhost/debian:bookworm{,-slim} present"
    return
  fi
  mkdir -p "$images"
  if [ ! -s "$full" ] || [ ! -s "$slim" ]; then
    if [ "$(id -u)" != 0 ]; then
      echo "build-images: debootstrap needs root; run as root or with TUOPIN_IMAGE_BASE=public" >&2
      exit 1
    fi
    local mirror security root=$images/rootfs
    mirror=${TUOPIN_DEBIAN_MIRROR:-$(apt_uri bookworm)}
    mirror=${mirror:-http://deb.debian.org/debian}
    security=$(apt_uri bookworm-security)
    security=${security:-http://deb.debian.org/debian-security}
    echo "build-images: debootstrap --variant=minbase bookworm from $mirror"
    rm -rf "$root"
    debootstrap --variant=minbase bookworm "$root" "$mirror" >"$images/debootstrap.log" 2>&1 || {
      tail -20 "$images/debootstrap.log" >&2; exit 1; }
    printf 'deb %s bookworm main\ndeb %s bookworm-updates main\ndeb %s bookworm-security main\n' \
      "$mirror" "$mirror" "$security" >"$root/etc/apt/sources.list"
    # As the public images: apt keeps no package files or caches in a layer.
    cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
    rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
      "$root"/var/log/*.log "$root"/var/log/apt/* "$root/etc/hostname" "$root/etc/resolv.conf"
    tar_rootfs "$root" "$full"
    # The slim one, as debian:bookworm-slim: dpkg leaves out documentation and locales
    # (copyright files stay) now and in every later install.
    cat >"$root/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
    find "$root/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
    find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
    find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
    rm -rf "$root"/usr/share/{man,groff,info,lintian,linda}/*
    tar_rootfs "$root" "$slim"
    rm -rf "$root"
  fi
  "${eng[@]}" import "${quiet[@]}" --change 'CMD ["bash"]' "$full" localhost/debian:bookworm >/dev/null
  "${eng[@]}" import "${quiet[@]}" --change 'CMD ["bash"]' "$slim" localhost/debian:bookworm-slim \
    >/dev/null
  echo "build-images: imported localhost/debian:bookworm{,-slim} from $images"
}

base_args=()
if [ "$base_mode" = local ]; then
  make_base
  base_args=(--build-arg BUILDER_BASE=localhost/debian:bookworm
             --build-arg RUNTIME_BASE=localhost/debian:bookworm-slim)
fi
[ $base_only = 1 ] && exit 0

build() {
  echo "== build $*"
  "${eng[@]}" build "${limits[@]}" "$@" "$repo"
}
services=(gateway personnel funds tasks accountability auditlog auditquery)
build -f deploy/docker/base.Dockerfile --target builder "${base_args[@]}" -t "tuopin/tuopin-builder:$tag"
build -f deploy/docker/base.Dockerfile --target runtime "${base_args[@]}" -t "tuopin/tuopin-runtime:$tag"
images=()
for s in "${services[@]}"; do
  build -f "services/$s/Dockerfile" --build-arg "TAG=$tag" -t "tuopin/tuopin-$s:$tag"
  images+=("tuopin/tuopin-$s:$tag")
done
build -f tools/tuopinctl/Dockerfile --build-arg "TAG=$tag" -t "tuopin/tuopinctl:$tag"
images+=("tuopin/tuopinctl:$tag")
# The development overlay's database: with no registry, a stand-in for the official
# mariadb:10.11 from Debian's MariaDB 10.11 (deploy/docker/mariadb/Dockerfile says what of the
# official image's contract it keeps). With public bases the official image is used.
extra=()
if [ "$base_mode" = local ]; then
  echo "== build the MariaDB stand-in (its own folder as context)"
  "${eng[@]}" build "${limits[@]}" -f deploy/docker/mariadb/Dockerfile \
    --build-arg RUNTIME_BASE=localhost/debian:bookworm-slim -t localhost/mariadb:10.11 deploy/docker/mariadb
  extra=(localhost/mariadb:10.11)
fi
built=$((SECONDS - start))

echo
printf '%-34s %8s\n' IMAGE "SIZE MB"
for i in "tuopin/tuopin-builder:$tag" "tuopin/tuopin-runtime:$tag" "${images[@]}" "${extra[@]}"; do
  bytes=$("${eng[@]}" image inspect --format '{{.Size}}' "$i")
  printf '%-34s %8d\n' "$i" $(((bytes + 500000) / 1000000))
done
echo "build-images: built in ${built} s"

[ $smoke = 1 ] || exit 0

run=("${eng[@]}" run --rm "${limits[@]}")
for i in "${images[@]}"; do
  bin=${i#tuopin/}; bin=${bin%:*}
  missing=$("${run[@]}" --entrypoint ldd "$i" "/usr/local/bin/$bin" | grep 'not found' || true)
  if [ -n "$missing" ]; then
    echo "smoke: $i lacks libraries: $missing" >&2; exit 1
  fi
  rc=0; out=$("${run[@]}" "$i" --help 2>&1) || rc=$?
  # Abseil's --help exits 1; anything else (127: not found, 139: crash) is a failure.
  if [ $rc -gt 1 ] || ! grep -q "$bin" <<<"$out"; then
    echo "smoke: $i --help exited $rc: ${out:0:400}" >&2; exit 1
  fi
  echo "smoke: $i runs as $("${eng[@]}" image inspect --format '{{.Config.User}}' "$i"), libraries resolve, --help answers"
done

# The gateway as the manifests run it: read-only root, user 65532, no capabilities, keys
# mounted read-only as files; reachable only on the host's loopback.
mkdir -p "$state/images"
keys=$(mktemp -d "$state/images/smoke-keys.XXXXXX")
cid=""
cleanup() {
  [ -z "$cid" ] || "${eng[@]}" rm -f "$cid" >/dev/null 2>&1 || true
  rm -rf "$keys"
}
trap cleanup EXIT
head -c 48 /dev/urandom | base64 -w0 >"$keys/internal.key"
head -c 48 /dev/urandom | base64 -w0 >"$keys/jwt-hs256.secret"
chmod 755 "$keys" && chmod 644 "$keys"/*
read -r grpc_port http_port metrics_port < <(python3 -c '
import socket
s = [socket.socket() for _ in range(3)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')
cid=$("${eng[@]}" run -d "${limits[@]}" --read-only --cap-drop=all --security-opt=no-new-privileges \
  -v "$keys:/keys:ro" -p "127.0.0.1:$grpc_port:50051" -p "127.0.0.1:$http_port:8080" \
  -p "127.0.0.1:$metrics_port:51051" "tuopin/tuopin-gateway:$tag" \
  --internal_key_file=/keys/internal.key --jwt_hs256_secret_file=/keys/jwt-hs256.secret \
  --shutdown_grace=1s --drain_timeout=2s)
ok=0
for _ in $(seq 1 60); do
  if curl -fsS -o /dev/null "http://127.0.0.1:$metrics_port/metrics" 2>/dev/null; then ok=1; break; fi
  sleep 0.5
done
if [ $ok = 0 ]; then
  echo "smoke: the gateway did not serve metrics on 127.0.0.1:$metrics_port" >&2
  "${eng[@]}" logs "$cid" 2>&1 | tail -20 >&2; exit 1
fi
# JSON/HTTP answers (a call without a token is refused, which proves the route is served).
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$http_port/v1/export/x/y" || true)
if [ "$code" = 000 ]; then echo "smoke: the gateway's JSON/HTTP port does not answer" >&2; exit 1; fi
stop_start=$SECONDS
"${eng[@]}" stop -t 30 "$cid" >/dev/null
rc=$("${eng[@]}" inspect --format '{{.State.ExitCode}}' "$cid")
if [ "$rc" != 0 ]; then
  echo "smoke: the gateway exited $rc on SIGTERM" >&2
  "${eng[@]}" logs "$cid" 2>&1 | tail -20 >&2; exit 1
fi
echo "smoke: tuopin/tuopin-gateway:$tag served metrics and JSON/HTTP (HTTP $code without a token)" \
  "on loopback, stopped on SIGTERM with exit 0 in $((SECONDS - stop_start)) s"
echo "build-images: done in $((SECONDS - start)) s"
