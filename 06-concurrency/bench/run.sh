#!/usr/bin/env bash
# Runs chapter 06's benchmark: the Go concurrent echo server (cmd/server),
# with LowMemoryEcho (-low-memory) and with Echo, against Python's
# socketserver.ThreadingTCPServer (threading_echo.py), side by side in one
# run, loopback only. Extra arguments go to the load generator, e.g.
#   06-concurrency/bench/run.sh -runs 5 -duration 10s -servers go-lowmem,python
#
# Usage (from the repository root, or anywhere):  06-concurrency/bench/run.sh
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
chapter="$(dirname "$here")"

# 10,000 idle connections need 10,000 descriptors in each server and in the
# load generator. Raising the hard limit needs root; the soft one may do.
want=65536
if ! ulimit -n "$want" 2>/dev/null; then
	ulimit -n "$(ulimit -Hn)"
fi
echo "file descriptor limit: $(ulimit -n)" >&2

command -v python3 >/dev/null || { echo "run.sh: python3 is needed for the baseline" >&2; exit 1; }

bin="$(mktemp -d)"
trap 'rm -rf "$bin"' EXIT
(cd "$chapter" && go build -o "$bin/server" ./cmd/server && go build -o "$bin/loadgen" ./bench/loadgen)

echo "go $(go env GOVERSION), $(python3 --version), $(nproc) CPUs, $(uname -sr)" >&2
# Other work on the machine skews every figure; say how busy it was.
echo "before: load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
"$bin/loadgen" -go-server "$bin/server" -python "python3 $here/threading_echo.py" "$@"
echo "after: load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
