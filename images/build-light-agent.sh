#!/usr/bin/env bash
# Builds berth/light-agent:local offline: a FROM scratch image holding Debian's static busybox
# and one file, /www/health, served by busybox httpd on port 8080 (GET /health answers 200).
# The bench uses it for large populations (--light), where the node test agent's memory would
# cap the count; scenarios that need the node agent's endpoints (recover, /fail) keep it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tag="${1:-berth/light-agent:local}"
busybox_bin="${BUSYBOX:-/bin/busybox}"

if [ ! -x "$busybox_bin" ] || ! file "$busybox_bin" 2>/dev/null | grep -q static; then
  if [ "$(id -u)" = "0" ] && [ -f /etc/debian_version ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq busybox-static >/dev/null
    busybox_bin=/bin/busybox
  else
    echo "build-light-agent: need a static busybox (Debian: apt-get install busybox-static)" >&2
    exit 1
  fi
fi

ctx="$(mktemp -d)"
trap 'rm -rf "$ctx"' EXIT
root="$ctx/rootfs"
mkdir -p "$root/bin" "$root/www" "$root/tmp" "$root/workspace" "$root/etc"
cp "$busybox_bin" "$root/bin/busybox"
printf '{"ok":true}\n' > "$root/www/health"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n' > "$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"
chmod 1777 "$root/tmp"
cp "$here/light-agent/Dockerfile" "$ctx/Dockerfile"

if docker buildx version >/dev/null 2>&1; then
  DOCKER_BUILDKIT=1 docker build -q -t "$tag" --label berth.image=light-agent "$ctx" >/dev/null
else
  DOCKER_BUILDKIT=0 docker build -q -t "$tag" --label berth.image=light-agent "$ctx" 2>"$ctx/build.err" >/dev/null || { cat "$ctx/build.err" >&2; exit 1; }
  grep -v -e '^DEPRECATED: The legacy builder' -e '^ \{2,\}\(Install the buildx\|BuildKit is currently disabled\|environment-variable\|https://docs.docker.com/go/buildx\)' -e '^$' "$ctx/build.err" >&2 || true
fi
echo "built $tag"
