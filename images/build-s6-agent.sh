#!/usr/bin/env bash
# Builds berth/s6-agent:local offline: a FROM scratch image holding Debian's s6 binaries with
# their shared libraries and a static busybox. s6-svscan is PID 1 on /run/service, supervising
# three services: web (busybox httpd, GET /health), worker (crashes on demand) and ticker
# (logs through s6-log to /var/log/ticker). It runs as 65534:65534 with no capabilities.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tag="${1:-berth/s6-agent:local}"
busybox_bin="${BUSYBOX:-/bin/busybox}"
s6_tools="s6-svscan s6-supervise s6-svc s6-svstat s6-svok s6-svwait s6-svscanctl s6-log"

need_pkg() {
  if [ "$(id -u)" = "0" ] && [ -f /etc/debian_version ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  else
    echo "build-s6-agent: need Debian packages: $* (apt-get install $*)" >&2
    exit 1
  fi
}
command -v s6-svscan >/dev/null 2>&1 || need_pkg s6
if [ ! -x "$busybox_bin" ] || ! file "$busybox_bin" 2>/dev/null | grep -q static; then
  need_pkg busybox-static
  busybox_bin=/bin/busybox
fi

ctx="$(mktemp -d)"
trap 'rm -rf "$ctx"' EXIT
root="$ctx/rootfs"
mkdir -p "$root/usr/bin" "$root/bin" "$root/etc/s6" "$root/run" "$root/var/log" "$root/tmp" "$root/workspace" "$root/srv/www"
cp "$busybox_bin" "$root/bin/busybox"
for tool in $s6_tools; do
  bin="$(readlink -f "$(command -v "$tool")")"
  cp "$bin" "$root/usr/bin/$tool"
  # The dynamic loader and every library the tool links against, at the same paths.
  ldd "$bin" | awk '/=> \//{print $3} /^[ \t]*\/lib/{print $1}' | while read -r lib; do
    [ -e "$root$lib" ] && continue
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
done
cp -R "$here/s6-agent/services" "$root/etc/s6/services"
cp "$here/s6-agent/start" "$root/etc/s6/start"
cp "$here/s6-agent/www/health" "$root/srv/www/health"
chmod -R a+rX "$root/etc/s6" "$root/srv"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n' > "$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"
chmod 1777 "$root/tmp"
cp "$here/s6-agent/Dockerfile" "$ctx/Dockerfile"

docker build -q -t "$tag" --label berth.image=s6-agent "$ctx" >/dev/null
echo "built $tag"
