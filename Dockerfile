# berth's own image. Multi-stage: the build stage installs every dependency and compiles;
# the runtime stage holds production dependencies and dist only.
#
# With a registry the defaults below are official Node images. Without one, build the bases
# from this host's files first (images/build-node-base.sh) and pass them in; `make build-image`
# does that for you:
#   docker build --build-arg BUILD_IMAGE=berth/node-build:local \
#                --build-arg BASE_IMAGE=berth/node-base:local --build-arg VERSION=0.1.0 -t berth:0.1.0 .
ARG BUILD_IMAGE=node:20-bookworm
ARG BASE_IMAGE=node:20-bookworm-slim

FROM ${BUILD_IMAGE} AS build
# better-sqlite3 is a native addon: the build image needs g++, make and python3 (the official
# node:20-bookworm has them; berth/node-build:local copies the host's).
ARG SOURCEMAPS=false
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY tsconfig.json tsconfig.build.json rolldown.config.mjs ./
COPY src ./src
# The dashboard's sources: Vite bundles them into dist/web, served at /ui/. The generated API types
# (web/src/api/schema.d.ts) are committed and only matter to the typecheck, so Vite alone builds it.
COPY web ./web
COPY scripts/vendor-redoc.mjs ./scripts/vendor-redoc.mjs
# Compile; keep production dependencies only. berth serves just one file of redoc (its
# self-contained browser bundle): redoc is a devDependency and the build copies the bundle to
# dist/vendor/redoc. Also dropped: the addon's objects, static library and C sources,
# type declarations, markdown, and source maps unless SOURCEMAPS=true.
RUN npx tsc -p tsconfig.build.json --sourceMap "${SOURCEMAPS}" \
 && npx rolldown -c rolldown.config.mjs --logLevel warn \
 && npx vite build --config web/vite.config.ts --logLevel warn \
 && test -f dist/web/index.html \
 && node scripts/vendor-redoc.mjs dist/vendor/redoc \
 && npm prune --omit=dev --no-audit --no-fund --loglevel=error \
 && rm -rf node_modules/better-sqlite3/build/Release/obj* node_modules/better-sqlite3/build/Release/*.a \
           node_modules/better-sqlite3/build/Release/test_extension.node node_modules/better-sqlite3/deps \
           node_modules/better-sqlite3/src \
 && find node_modules -type f \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.md' \) -exec rm -f {} + \
 && if [ "${SOURCEMAPS}" != "true" ]; then find dist -name '*.map' -type f -exec rm -f {} +; fi
# tini as PID 1: forwards SIGTERM to berth and reaps zombies. A static binary runs on any base.
RUN set -e; t=""; for c in /usr/bin/tini-static /usr/bin/tini; do [ -x "$c" ] && t="$c" && break; done; \
    if [ -z "$t" ]; then apt-get update -qq && apt-get install -y -qq --no-install-recommends tini >/dev/null && t=/usr/bin/tini-static; fi; \
    cp "$t" /tini

FROM ${BASE_IMAGE}
ARG VERSION=dev
ARG REVISION=unknown
# Where the source lives (set by CI: --build-arg SOURCE=https://…).
ARG SOURCE=""
ARG TARGETARCH=amd64
ARG CREATED=""
LABEL org.opencontainers.image.title="berth" \
      org.opencontainers.image.description="Self-hosted control plane that runs AI-agent runtimes in containers and keeps them alive" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      io.berth.arch="${TARGETARCH}" \
      berth.image="berth"
# A fixed non-root uid/gid (10001) so volumes and socket groups can be granted to it.
RUN echo 'berth:x:10001:10001:berth:/data:/sbin/nologin' >> /etc/passwd \
 && echo 'berth:x:10001:' >> /etc/group \
 && mkdir -p /data \
 && chown 10001:10001 /data && chmod 0700 /data
COPY --from=build /tini /usr/bin/tini
WORKDIR /app
# Root-owned and read-only to berth: only /data is its to write.
COPY package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist/src ./dist/src
COPY --from=build /src/dist/web ./dist/web
COPY --from=build /src/dist/vendor ./dist/vendor
COPY images/berth/healthcheck.mjs ./healthcheck.mjs
COPY images/berth/berth.yml /etc/berth/berth.yml
ENV NODE_ENV=production \
    BERTH_CONFIG=/etc/berth/berth.yml \
    BERTH_DATA_DIR=/data \
    BERTH_HOST=127.0.0.1 \
    BERTH_PORT=8081
VOLUME ["/data"]
EXPOSE 8081
USER 10001:10001
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 CMD ["node", "/app/healthcheck.mjs"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/dist/src/bundle/berth.js"]
CMD ["serve"]
