#!/usr/bin/env bash
# Builds the base images for berth's own image offline, from this host's files (no registry):
#   berth/node-base:local   runtime base: the host's node with its shared libraries, Debian's
#                           static busybox (sh for RUN steps), tini-static (PID 1), the CA bundle
#                           and /etc/passwd with root and nobody.
#   berth/node-build:local  build stage: the runtime base plus npm, node's headers and the C++
#                           toolchain (g++, make, python3: every file of those Debian packages and
#                           the packages they depend on) so better-sqlite3 compiles in the build.
# With a registry, the Dockerfile's defaults (official node images) replace both.
# Usage: images/build-node-base.sh [runtime|build|all]   (default all)
set -euo pipefail
what="${1:-all}"
engine="${ENGINE:-docker}"
base_tag="${BASE_TAG:-berth/node-base:local}"
build_tag="${BUILD_TAG:-berth/node-build:local}"
node_bin="$(readlink -f "$(command -v node)")"
busybox_bin="${BUSYBOX:-/bin/busybox}"

need_pkg() { # need_pkg <file> <debian package>
  [ -e "$1" ] && return 0
  if [ "$(id -u)" = "0" ] && [ -f /etc/debian_version ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
  else
    echo "build-node-base: need $1 (Debian: apt-get install $2)" >&2
    exit 1
  fi
}
need_pkg "$busybox_bin" busybox-static
file "$busybox_bin" 2>/dev/null | grep -q static || { echo "build-node-base: $busybox_bin is not static (install busybox-static)" >&2; exit 1; }
need_pkg /usr/bin/tini-static tini

ctx="$(mktemp -d)"
trap 'rm -rf "$ctx"' EXIT

# Debian 12 merges /usr: keep the same layout so paths from ldd and dpkg both resolve.
merged_usr_root() {
  local root="$1"
  mkdir -p "$root/usr/bin" "$root/usr/sbin" "$root/usr/lib" "$root/usr/lib64" "$root/etc" "$root/tmp"
  ln -s usr/bin "$root/bin"; ln -s usr/sbin "$root/sbin"; ln -s usr/lib "$root/lib"; ln -s usr/lib64 "$root/lib64"
  chmod 1777 "$root/tmp"
}

# Copies files (and symlinks) at their own paths into a root, following merged-usr links.
copy_paths() { # copy_paths <root> < list of absolute paths
  tar -C / -cf - --no-recursion -T - 2>/dev/null | tar -C "$1" -xf - --keep-directory-symlink
}

build_runtime() {
  local root="$ctx/runtime/rootfs"
  mkdir -p "$ctx/runtime"
  merged_usr_root "$root"
  cp "$node_bin" "$root/usr/bin/node"
  cp "$busybox_bin" "$root/usr/bin/busybox"
  cp /usr/bin/tini-static "$root/usr/bin/tini"
  # The dynamic loader and every library node links against, at the same paths.
  ldd "$node_bin" | awk '/=> \//{print $3} /^[ \t]*\/lib/{print $1}' | while read -r lib; do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
  # Outbound TLS (alert webhooks) trusts the same roots as the host.
  if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
    mkdir -p "$root/etc/ssl/certs"
    cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
  fi
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n' > "$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"
  printf 'hosts: files dns\n' > "$root/etc/nsswitch.conf"
  cat > "$ctx/runtime/Dockerfile" <<'EOF'
# Made by images/build-node-base.sh from the host's files; no registry involved.
FROM scratch
COPY rootfs/ /
RUN ["/usr/bin/busybox", "--install", "-s"]
ENV PATH=/usr/local/bin:/usr/bin:/bin
# node trusts the same extra roots as the host (e.g. a TLS-inspecting proxy in front of npm).
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
CMD ["/usr/bin/node"]
EOF
  "$engine" build -q -t "$base_tag" --label berth.image=node-base \
    --label "org.opencontainers.image.description=host node $(node --version) on scratch" "$ctx/runtime" >/dev/null
  echo "built $base_tag ($(node --version))"
}

# Every installed package the named ones depend on (Depends + Pre-Depends, first alternative).
closure() {
  local -A seen=()
  local queue=("$@") p st deps d
  while [ ${#queue[@]} -gt 0 ]; do
    p="${queue[0]%%:*}"; queue=("${queue[@]:1}")
    [ -n "${seen[$p]:-}" ] && continue
    seen[$p]=1
    st="$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)"
    [ "$st" = installed ] || continue
    echo "$p"
    deps="$(dpkg-query -W -f='${Depends},${Pre-Depends}' "$p" | tr ',' '\n' | sed 's/([^)]*)//g; s/|.*//; s/ //g' | grep -v '^$' || true)"
    for d in $deps; do queue+=("$d"); done
  done
}

build_toolchain() {
  command -v dpkg-query >/dev/null || { echo "build-node-base: the build image copies Debian packages; this host has no dpkg" >&2; exit 1; }
  for pair in /usr/bin/g++:g++ /usr/bin/make:make /usr/bin/python3:python3; do need_pkg "${pair%%:*}" "${pair#*:}"; done
  [ -d /usr/include/node ] || { echo "build-node-base: node's headers (/usr/include/node) are missing; node-gyp needs them offline" >&2; exit 1; }
  local npm_dir
  npm_dir="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")"
  local root="$ctx/build/rootfs"
  mkdir -p "$ctx/build"
  merged_usr_root "$root"
  # shellcheck disable=SC2046
  for p in $(closure g++ make python3); do dpkg -L "$p"; done | sort -u | while read -r f; do
    if [ -L "$f" ] || [ -f "$f" ]; then echo "${f#/}"; fi
  done | copy_paths "$root"
  mkdir -p "$root/usr/include" "$root/usr/lib/node_modules"
  cp -a /usr/include/node "$root/usr/include/node"
  cp -a "$npm_dir" "$root/usr/lib/node_modules/npm"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/bin/npx"
  # cc and c++ are alternatives links (/etc/alternatives), which dpkg -L does not list.
  ln -sf gcc "$root/usr/bin/cc"; ln -sf g++ "$root/usr/bin/c++"
  cat > "$ctx/build/Dockerfile" <<EOF
# Made by images/build-node-base.sh: the runtime base plus npm, node headers and g++/make/python3.
FROM $base_tag
COPY rootfs/ /
# node-gyp compiles native addons against these headers instead of downloading them.
ENV npm_config_nodedir=/usr npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
EOF
  "$engine" build -q -t "$build_tag" --label berth.image=node-build "$ctx/build" >/dev/null
  echo "built $build_tag"
}

case "$what" in
  runtime) build_runtime ;;
  build) build_toolchain ;;
  all) build_runtime; build_toolchain ;;
  *) echo "usage: $0 [runtime|build|all]" >&2; exit 2 ;;
esac
