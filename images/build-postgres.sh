#!/usr/bin/env bash
# Builds berth/postgres:local offline for the compose stack: Debian's PostgreSQL 15 server
# binaries, its lib and share dirs and every shared library they link, on a FROM scratch image
# with static busybox and tini; runs as the postgres user and creates the cluster on first start.
# With a registry, compose can use the official postgres:15 image instead (same env names).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tag="${1:-berth/postgres:local}"
engine="${ENGINE:-docker}"
pg=/usr/lib/postgresql/15
if [ ! -x "$pg/bin/postgres" ]; then
  if [ "$(id -u)" = 0 ] && [ -f /etc/debian_version ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 >/dev/null
  else
    echo "build-postgres: need Debian's postgresql-15 ($pg/bin/postgres)" >&2; exit 1
  fi
fi
for f in /bin/busybox /usr/bin/tini-static; do
  [ -x "$f" ] || { echo "build-postgres: need $f (apt-get install busybox-static tini)" >&2; exit 1; }
done

ctx="$(mktemp -d)"
trap 'rm -rf "$ctx"' EXIT
root="$ctx/rootfs"
mkdir -p "$root/usr/bin" "$root/usr/lib" "$root/usr/lib64" "$root/usr/share" "$root/etc" "$root/tmp" \
  "$root/var/run/postgresql" "$root/var/lib/postgresql/data" "$root/usr/lib/postgresql/15/bin"
ln -s usr/bin "$root/bin"; ln -s usr/bin "$root/sbin"; ln -s usr/lib "$root/lib"; ln -s usr/lib64 "$root/lib64"
chmod 1777 "$root/tmp"
cp /bin/busybox "$root/usr/bin/busybox"
cp /usr/bin/tini-static "$root/usr/bin/tini"
for b in postgres initdb pg_ctl pg_isready psql; do cp "$pg/bin/$b" "$root$pg/bin/$b"; done
# The server's extension modules without LLVM bitcode (JIT is off here).
mkdir -p "$root$pg/lib"
find "$pg/lib" -maxdepth 1 -name '*.so' ! -name 'llvmjit*' -exec cp {} "$root$pg/lib/" \;
cp -a /usr/share/postgresql "$root/usr/share/postgresql"
cp -a /usr/share/zoneinfo "$root/usr/share/zoneinfo"
# Every shared library the binaries and modules link, at the same paths.
{ for f in "$root$pg"/bin/* "$root$pg"/lib/*.so; do ldd "$f" 2>/dev/null || true; done; } |
  awk '/=> \//{print $3} /^[ \t]*\/lib/{print $1}' | sort -u | while read -r lib; do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
cp "$here/postgres/entrypoint.sh" "$root/usr/bin/postgres-entrypoint"
chmod 0755 "$root/usr/bin/postgres-entrypoint"
printf 'root:x:0:0:root:/root:/bin/sh\npostgres:x:999:999:PostgreSQL:/var/lib/postgresql:/bin/sh\n' > "$root/etc/passwd"
printf 'root:x:0:\npostgres:x:999:\n' > "$root/etc/group"
cat > "$ctx/Dockerfile" <<'DOCKERFILE'
# Made by images/build-postgres.sh from the host's Debian PostgreSQL 15; no registry involved.
FROM scratch
COPY rootfs/ /
RUN ["/usr/bin/busybox", "--install", "-s"]
RUN chown -R 999:999 /var/run/postgresql /var/lib/postgresql && chmod 0700 /var/lib/postgresql/data
ENV PATH=/usr/lib/postgresql/15/bin:/usr/bin PGDATA=/var/lib/postgresql/data TZ=UTC LANG=C.UTF-8
VOLUME ["/var/lib/postgresql/data"]
EXPOSE 5432
USER 999:999
STOPSIGNAL SIGINT
HEALTHCHECK --interval=5s --timeout=5s --start-period=30s --retries=5 CMD ["pg_isready", "-q", "-h", "127.0.0.1"]
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/bin/postgres-entrypoint"]
DOCKERFILE
"$engine" build -q -t "$tag" --label berth.image=postgres "$ctx" >/dev/null
echo "built $tag ($("$pg/bin/postgres" --version))"
