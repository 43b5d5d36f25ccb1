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

# BuildKit when the buildx plugin is installed. Without it the docker CLI can only use the
# legacy builder, which builds this FROM scratch context (COPY and two RUNs, no registry) just
# the same; its deprecation notice says nothing about this build, so it is filtered out
# (anything else it prints, errors included, still shows).
if docker buildx version >/dev/null 2>&1; then
  DOCKER_BUILDKIT=1 docker build -q -t "$tag" --label berth.image=test-agent "$ctx" >/dev/null
else
  DOCKER_BUILDKIT=0 docker build -q -t "$tag" --label berth.image=test-agent "$ctx" 2>"$ctx/build.err" >/dev/null || { cat "$ctx/build.err" >&2; exit 1; }
  grep -v -e '^DEPRECATED: The legacy builder' -e '^ \{2,\}\(Install the buildx\|BuildKit is currently disabled\|environment-variable\|https://docs.docker.com/go/buildx\)' -e '^$' "$ctx/build.err" >&2 || true
fi
echo "built $tag"
