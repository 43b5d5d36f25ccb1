#!/usr/bin/env bash
# Builds berth/test-agent:local offline: a FROM scratch image holding the host's node binary
# with its shared libraries, Debian's static busybox (for sh and friends), and server.js.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tag="${1:-berth/test-agent:local}"
node_bin="$(readlink -f "$(command -v node)")"
busybox_bin="${BUSYBOX:-/bin/busybox}"

if [ ! -x "$busybox_bin" ] || ! file "$busybox_bin" 2>/dev/null | grep -q static; then
  if [ "$(id -u)" = "0" ] && [ -f /etc/debian_version ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq busybox-static >/dev/null
    busybox_bin=/bin/busybox
  else
    echo "build-test-agent: need a static busybox (Debian: apt-get install busybox-static)" >&2
    exit 1
  fi
fi

ctx="$(mktemp -d)"
trap 'rm -rf "$ctx"' EXIT
root="$ctx/rootfs"
mkdir -p "$root/usr/bin" "$root/bin" "$root/app" "$root/tmp" "$root/workspace" "$root/etc"
cp "$node_bin" "$root/usr/bin/node"
cp "$busybox_bin" "$root/bin/busybox"
# The dynamic loader and every library node links against, at the same paths.
ldd "$node_bin" | awk '/=> \//{print $3} /^[ \t]*\/lib/{print $1}' | while read -r lib; do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
cp "$here/test-agent/server.js" "$root/app/server.js"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n' > "$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"
chmod 1777 "$root/tmp"
# A fresh named volume copies this directory's owner, so the non-root agent can write to it.
chown 65534:65534 "$root/workspace"
cp "$here/test-agent/Dockerfile" "$ctx/Dockerfile"

docker build -q -t "$tag" --label berth.image=test-agent "$ctx" >/dev/null
echo "built $tag"
