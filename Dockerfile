# syntax=docker/dockerfile:1
# pytuner's container image: the controller (and the CLI) as one esbuild bundle on distroless Node.js 24, non-root;
# the controller starts from a V8 startup snapshot of its own code (src/cli/snapshot.ts).
# The runtime stage copies exactly the files scripts/runtime-files.ts lists (RUNTIME_COPIES); test/integration/
# chart-image.test.ts checks these COPY lines against that list, builds the same file set into a temporary
# directory and runs the controller from it with production settings against a real API server.
#
#   docker build -t pytuner:0.1.0 .
#   docker run --rm pytuner:0.1.0 --version
#
# Pin both bases by digest in production (docker buildx imagetools inspect <image>): the compile cache and the startup
# snapshot are only accepted by the very Node binary that wrote them, so the cache stage and the runtime stage must
# use the same one.
ARG BUILD_IMAGE=node:24-bookworm-slim
ARG RUNTIME_IMAGE=gcr.io/distroless/nodejs24-debian13:nonroot

# Build: dependencies (esbuild among the dev ones; no install scripts: esbuild's binary comes as an optional
# dependency, and the "node" devDependency's download is not needed here), then the bundle and the snapshot's one
# CommonJS script (scripts/bundle.ts).
FROM ${BUILD_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts/ scripts/
COPY src/ src/
COPY docs/rules/ docs/rules/
RUN node scripts/bundle.ts

# Startup snapshot and compile cache, both by the runtime image's own Node (it refuses a snapshot or a code cache of
# another build) at the runtime's own paths. The snapshot first: the heap of a Node that has evaluated pytuner's
# controller code (the blob holds the script's source, so the runtime needs the blob, not the script); written as
# root, beside the bundle, where the runtime reads it (src/cli/snapshot.ts finds the bundle from it). Then Node's V8
# code cache for every file of the bundle, written by the runtime's own command (its node flags and that snapshot:
# V8 rejects a cache written by a process that started from another, scripts/warm-compile-cache.ts) as the runtime's
# own user: Node keys the cache by all of them (its directory is named v<node>-<arch>-<flags>-<uid>). The :nonroot
# user owns /home/nonroot; the RUNs need no shell (distroless has none).
FROM ${RUNTIME_IMAGE} AS compile-cache
COPY --from=build /src/package.json /app/package.json
COPY --from=build /src/dist/bundle/ /app/dist/bundle/
COPY --from=build /src/scripts/warm-compile-cache.ts /home/nonroot/warm-compile-cache.ts
COPY --from=build /src/dist/snapshot/pytuner.cjs /app/dist/snapshot/pytuner.cjs
USER 0:0
RUN ["/nodejs/bin/node", "--snapshot-blob", "/app/dist/snapshot/pytuner.blob", "--build-snapshot", "/app/dist/snapshot/pytuner.cjs"]
USER 65532:65532
ENV NODE_COMPILE_CACHE=/home/nonroot/node-compile-cache
RUN ["/nodejs/bin/node", "/home/nonroot/warm-compile-cache.ts", "/app/dist/bundle/pytuner.js", "--max-old-space-size-percentage=50", "--max-semi-space-size=8", "--snapshot-blob", "/app/dist/snapshot/pytuner.blob", "--"]

# Runtime: the bundle, package.json ("type": "module" and the version), the rule docs (pytuner explain), the
# compile cache and the snapshot. No node_modules, no sources. Read-only at run time (the chart sets
# readOnlyRootFilesystem).
FROM ${RUNTIME_IMAGE}
WORKDIR /app
COPY --from=build /src/package.json /app/package.json
COPY --from=build /src/dist/bundle/ /app/dist/bundle/
COPY --from=build /src/docs/rules/ /app/docs/rules/
COPY --from=compile-cache /home/nonroot/node-compile-cache/ /app/node-compile-cache/
COPY --from=compile-cache /app/dist/snapshot/pytuner.blob /app/dist/snapshot/pytuner.blob
# MALLOC_ARENA_MAX=2: glibc gives each thread that allocates (V8's GC helpers, libuv's pool) an arena of its own, up to
# 8 per core, and keeps what they freed: in bench:scale at 2,000 workloads the controller's RSS outside V8's heap was
# 97 MB with the default and 81 MB with 2 arenas (same cluster, one after the other, 2026-12-07).
ENV NODE_ENV=production NODE_COMPILE_CACHE=/app/node-compile-cache MALLOC_ARENA_MAX=2
# distroless's nonroot user (the :nonroot tag's default, stated so the chart's runAsUser matches it): the compile
# cache is found only by the user that wrote it.
USER 65532:65532
EXPOSE 8080
# V8's heap from the container's memory limit: Node reads the cgroup's limit (memory.max, v1 memory.limit_in_bytes)
# and gives the old space half of it (131 MB in a 256 MiB container). Without it V8 sizes its heap to about the whole
# limit (259 MB there), so a growing heap meets the OOM killer before a full collection; the other half covers the
# young generation, code and the connections' buffers. Outside a cgroup: half of the host's memory.
# The young generation fixed at 8 MB semi-spaces: V8 sizes it from the memory it sees, 1 MB semi-spaces in a 256 MiB
# cgroup (every reconcile's garbage promoted early: 39 % more controller CPU in bench:scale) and 64 MB on a large
# host (up to 128 MB more RSS); at 8 MB the controller used the least CPU and the least RSS of the three (2026-12-07).
# The startup snapshot: `controller` runs in the heap it restores, its code already evaluated (bench/startup.ts,
# 2026-12-08 at load 9-13: 10-20 % less CPU to /readyz than the bundle with its compile cache, about 6 MB more RSS, as
# Node keeps the blob in memory); any other command is handed to /app/dist/bundle/pytuner.js (src/cli/snapshot.ts).
# The `--` ends Node's options, which would otherwise take `--version` or `--help` as its own, there being no script.
ENTRYPOINT ["/nodejs/bin/node", "--max-old-space-size-percentage=50", "--max-semi-space-size=8", "--snapshot-blob", "/app/dist/snapshot/pytuner.blob", "--"]
CMD ["controller"]
