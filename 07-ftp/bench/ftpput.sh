#!/usr/bin/env bash
# Uploads through ftpd's standard FTP listener with curl, alternating
# between builds of ftpd, to compare them on a noisy machine; prints each
# run, the medians, and the server's own log line of each build's last put
# (took = the whole upload, fsync = its final fsync).
#
# usage: bench/ftpput.sh SIZE_MiB RUNS DIR...
#   each DIR holds an ftpd binary (go build -o DIR/ ./07-ftp/cmd/ftpd);
#   run 0 is a warm-up and is not counted. Loopback only; needs curl.
set -euo pipefail
[ $# -ge 3 ] || { sed -n '2,10p' "$0" >&2; exit 2; }
SIZE=$1 RUNS=$2
shift 2
W=$(mktemp -d /tmp/ftpput.XXXXXX)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$W"' EXIT
dd if=/dev/urandom of="$W/src" bs=1M count="$SIZE" status=none
declare -A URL
for d in "$@"; do
  n=$(basename "$d")
  printf 'pw\n' | "$d/ftpd" useradd -data "$W/$n" -quota 64GiB u >/dev/null
  "$d/ftpd" -addr 127.0.0.1:0 -ftp-addr 127.0.0.1:0 -data "$W/$n" 2>"$W/$n.log" &
  pids+=($!)
  for _ in $(seq 100); do grep -q 'serving FTP' "$W/$n.log" && break; sleep 0.1; done
  URL[$n]=ftp://u:pw@$(sed -n 's/.*msg="serving FTP" addr=\([^ ]*\).*/\1/p' "$W/$n.log")
done
for r in $(seq 0 "$RUNS"); do
  for d in "$@"; do
    n=$(basename "$d")
    rm -f "$W/$n/users/u/files/up.bin"
    sync
    t0=$(date +%s.%N)
    curl -sS -T "$W/src" "${URL[$n]}/up.bin"
    t1=$(date +%s.%N)
    echo "run $r $n $(awk -v s="$SIZE" -v a="$t0" -v b="$t1" 'BEGIN {printf "%.0f", s / (b - a)}') MiB/s"
  done
done | tee "$W/runs"
echo "medians of runs 1-$RUNS (MiB/s):"
for d in "$@"; do
  n=$(basename "$d")
  awk -v n="$n" '$2 > 0 && $3 == n {print $4}' "$W/runs" | sort -n |
    awk -v n="$n" '{v[NR] = $1} END {m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "  %-12s %.0f  (%s-%s)\n", n, m, v[1], v[NR]}'
done
echo "last put, as each server logged it:"
for d in "$@"; do
  n=$(basename "$d")
  grep 'msg=put' "$W/$n.log" | tail -1 | grep -o 'bytes=[0-9]* .*took=[^ ]* fsync=[^ ]*' | sed "s/^/  $n: /; s/ sent=.*took=/ took=/"
done
