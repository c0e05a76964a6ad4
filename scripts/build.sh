#!/bin/sh
# Builds the handoff binary as the container image ships it, and checks it
# runs. The Dockerfile's build stage and CI (.ci/run) both call this script,
# so these steps are tested even where no container engine runs.
#
#   OUT=path      where to write the binary (default bin/handoff)
#   VERSION=v1.2  the version it reports (default: git describe, else dev)
set -eu
cd "$(dirname "$0")/.."

OUT=${OUT:-bin/handoff}
if [ -z "${VERSION:-}" ]; then
  VERSION=$(git describe --tags --always --dirty 2>/dev/null || echo dev)
fi

# cgo for the SQLite driver (mattn/go-sqlite3 compiles SQLite in); the
# binary links glibc dynamically, so the runtime image needs glibc.
export CGO_ENABLED=1
# -buildvcs=auto records the git revision (handoff_build_info) where .git is
# present, whatever GOFLAGS says, and skips it quietly where it is not.
go build -trimpath -buildvcs=auto -ldflags "-s -w -X main.version=${VERSION}" -o "$OUT" ./cmd/handoff

# The built binary must start and answer: its version, and the health check
# subcommand's usage (the image's HEALTHCHECK runs it).
"$OUT" version
"$OUT" healthcheck -h >/dev/null 2>&1
echo "built $OUT (${VERSION})"
