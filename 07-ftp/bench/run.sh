#!/usr/bin/env bash
# Benchmark of 07-ftp: upload (put) and download (get) of one big random file
# over loopback, every tool doing the same durable work, side by side in the
# same run:
#
#   copy    bench/tcpcopy: io.Copy of the file through a loopback TCP
#           connection into a file, then fsync; checks nothing: the ceiling.
#   ours    ftpd + ftp: SHA-256 on both sides, fsync of the part file, rename.
#   ourftp  ftpd's standard FTP listener with curl as the client; ftpd
#           fsyncs an upload before its 226 reply, curl's download is synced
#           (sync -d) as for vsftpd.
#   vsftpd  vsftpd (anonymous, loopback) with curl as the client; after each
#           transfer `sync -d` of the file received, so that it is on disk
#           too, as ours is.
#
# Each tool is a row: a set of shell functions TOOL_start, TOOL_stop,
# TOOL_pid (the server process whose CPU is counted, children included),
# TOOL_out OP (the file a put or get writes, removed before each run) and
# TOOL_put, TOOL_get (one transfer into $OUT, durable when they return). To
# add a row, write those functions and add TOOL to TOOLS and LABEL: curl_put
# and curl_get below drive any FTP server.
#
# Rounds: one warm-up round (not counted), then RUNS rounds; in each round
# every tool does a put then a get, tools one after the other, so that a
# noisy machine spreads over all of them. Every tool writes files of its
# own; the one a run writes is removed, and the removal synced, outside the
# timing. Every copy is
# compared with cmp after the run, outside the timing.
#
# The table gives, per tool and direction: the median throughput and the
# spread (min-max), the median CPU seconds per GiB of the client and of the
# server (user+sys: GNU time for clients; /proc/PID/stat of the server,
# children included, for servers), and the peak RSS of client and server.
#
# usage: bench/run.sh [SIZE_MiB (default 512)] [RUNS (default 5)]
# env:   TOOLS="copy ours ourftp vsftpd" (the rows, in that order), KEEP=1 (keep the
#        work directory, with GNU time outputs and server logs), BASE=DIR
#        with TOOLS="base ours": the ftp and ftpd binaries in DIR (an earlier
#        build) as the row "base", to compare two builds in the same run
# needs: go, /usr/bin/time, vsftpd and curl (apt-get install -y vsftpd curl
#        time), root (vsftpd); loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MIB=${1:-512}
RUNS=${2:-5}
read -r -a TOOLS <<<"${TOOLS:-copy ours ourftp vsftpd}"

for tool in /usr/bin/time curl /usr/sbin/vsftpd sync cmp; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install -y time curl vsftpd)" >&2; exit 1; }
done

W=$(mktemp -d /tmp/ftp-bench.XXXXXX)
chmod 755 "$W"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -n "${KEEP:-}" ]; then echo "kept $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT

HZ=$(getconf CLK_TCK)
now() { date +%s.%N; }
# ticks PID: user+sys CPU of PID and of its children that it has waited for.
ticks() { awk '{print $14 + $15 + $16 + $17}' "/proc/$1/stat"; }
# settle PID: wait until the server PID has no child left (vsftpd serves each
# session in processes of its own, whose CPU reaches the parent when they end).
settle() {
  for _ in $(seq 200); do
    pgrep -P "$1" >/dev/null || return 0
    sleep 0.05
  done
  echo "server $1 still has children" >&2
}
cpu_s() { awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {printf "%.3f", u + s}' "$1"; }
rss_kib() { awk -F': ' '/Maximum resident/ {print $2}' "$1"; }
free_port() { # a loopback port nobody listens on now
  local p
  while :; do
    p=$((20000 + RANDOM % 40000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}
# wait_for FILE PATTERN: until a server's log says it is up.
wait_for() {
  for _ in $(seq 100); do grep -q "$2" "$1" && return 0; sleep 0.1; done
  cat "$1" >&2; return 1
}

# curl_put URL / curl_get URL: curl as the client of any FTP server; curl_get
# writes $OUT and syncs it (sync -d); after curl_put the caller syncs $OUT,
# where the server stores the file.
curl_put() { /usr/bin/time -v -o "$W/cli.time" curl -sS --ftp-pasv -T "$SRC" "$1"; }
curl_get() {
  /usr/bin/time -v -o "$W/cli.time" curl -sS --ftp-pasv -o "$OUT" "$1"
  sync -d "$OUT"
}

# ---- copy: the ceiling ----
copy_start() { :; }
copy_stop() { :; }
copy_pid() { echo ""; }
copy_out() { echo "$W/copy-$1.bin"; }
copy_put() { /usr/bin/time -v -o "$W/cli.time" "$W/bin/tcpcopy" -src "$SRC" -dst "$OUT" >/dev/null; }
copy_get() { copy_put; }

# ---- ours: ftpd + ftp (and base: the same from the build in $BASE) ----
declare -A BIN ADDR SRVPID SRVTIME
BIN[ours]=$W/bin
BIN[base]=${BASE:-}
ftpd_start() { # ftpd_start ROW
  local r=$1
  printf 'benchpw\n' | "${BIN[$r]}/ftpd" useradd -data "$W/$r" -quota 64GiB bench >/dev/null
  /usr/bin/time -v -o "$W/$r-server.time" "${BIN[$r]}/ftpd" -addr 127.0.0.1:0 -ftp-addr "" -data "$W/$r" 2>"$W/$r.log" &
  SRVTIME[$r]=$!
  pids+=("${SRVTIME[$r]}")
  wait_for "$W/$r.log" 'msg=serving'
  ADDR[$r]=$(sed -n 's/.*msg=serving addr=\([^ ]*\).*/\1/p' "$W/$r.log")
  SRVPID[$r]=$(pgrep -P "${SRVTIME[$r]}")
  # the file to get, stored by an upload (its SHA-256 is then recorded)
  ftp_cmd "$r" "put $SRC big.bin" >/dev/null
}
ftp_cmd() { echo "$2" | FTP_PASSWORD=benchpw /usr/bin/time -v -o "$W/cli.time" "${BIN[$1]}/ftp" -addr "${ADDR[$1]}" -user bench; }
ftpd_stop() { kill -INT "${SRVPID[$1]}"; wait "${SRVTIME[$1]}" || true; }
ftpd_out() { if [ "$2" = put ]; then echo "$W/$1/users/bench/files/up.bin"; else echo "$W/down-$1.bin"; fi; }
ftpd_put() { ftp_cmd "$1" "put $SRC up.bin" >/dev/null; }
ftpd_get() { ftp_cmd "$1" "get big.bin $OUT" >/dev/null; }
for r in ours base; do
  for f in start stop put get out; do eval "${r}_$f() { ftpd_$f $r \"\$@\"; }"; done
  eval "${r}_pid() { echo \"\${SRVPID[$r]}\"; }"
done

# ---- ftpd's standard FTP listener + curl ----
ourftp_start() {
  printf 'benchpw\n' | "$W/bin/ftpd" useradd -data "$W/ourftp" -quota 64GiB bench >/dev/null
  /usr/bin/time -v -o "$W/ourftp-server.time" "$W/bin/ftpd" -addr 127.0.0.1:0 -ftp-addr 127.0.0.1:0 -data "$W/ourftp" 2>"$W/ourftp.log" &
  OF_TIME=$!
  pids+=("$OF_TIME")
  wait_for "$W/ourftp.log" 'msg="serving FTP"'
  OF_URL=ftp://bench:benchpw@$(sed -n 's/.*msg="serving FTP" addr=\([^ ]*\).*/\1/p' "$W/ourftp.log")
  OF_PID=$(pgrep -P "$OF_TIME")
  # the file to get, stored by an upload (its SHA-256 is then recorded)
  curl -sS -T "$SRC" "$OF_URL/big.bin"
}
ourftp_pid() { echo "$OF_PID"; }
ourftp_stop() { kill -INT "$OF_PID"; wait "$OF_TIME" || true; }
ourftp_out() { if [ "$1" = put ]; then echo "$W/ourftp/users/bench/files/up.bin"; else echo "$W/down-ourftp.bin"; fi; }
# ftpd answers a STOR with 226 only after the file is fsynced and renamed
ourftp_put() { curl_put "$OF_URL/up.bin"; }
ourftp_get() { curl_get "$OF_URL/big.bin"; }

# ---- vsftpd + curl ----
vsftpd_start() {
  local port pmin
  port=$(free_port)
  pmin=$(free_port)
  mkdir -p "$W/vs/pub"
  chown ftp "$W/vs/pub"
  cat >"$W/vsftpd.conf" <<CONF
listen=YES
listen_address=127.0.0.1
listen_port=$port
background=NO
anonymous_enable=YES
no_anon_password=YES
local_enable=NO
write_enable=YES
anon_upload_enable=YES
anon_other_write_enable=YES
anon_umask=022
anon_root=$W/vs
pasv_enable=YES
pasv_address=127.0.0.1
pasv_min_port=$pmin
pasv_max_port=$pmin
seccomp_sandbox=NO
xferlog_enable=NO
secure_chroot_dir=/var/run/vsftpd/empty
CONF
  mkdir -p /var/run/vsftpd/empty
  /usr/sbin/vsftpd "$W/vsftpd.conf" &
  VS_PID=$!
  pids+=("$VS_PID")
  VS_URL=ftp://127.0.0.1:$port/pub
  for _ in $(seq 100); do curl -s "$VS_URL/" >/dev/null 2>&1 && break; sleep 0.1; done
  # the file to get, made by an upload like ours is
  curl -sS -T "$SRC" "$VS_URL/big.bin"
  settle "$VS_PID"
  sync -d "$W/vs/pub/big.bin"
}
vsftpd_pid() { echo "$VS_PID"; }
vsftpd_stop() { kill "$VS_PID"; wait "$VS_PID" 2>/dev/null || true; }
vsftpd_out() { if [ "$1" = put ]; then echo "$W/vs/pub/up.bin"; else echo "$W/down-vsftpd.bin"; fi; }
vsftpd_put() {
  curl_put "$VS_URL/up.bin"
  settle "$VS_PID"
  sync -d "$OUT"
}
vsftpd_get() { curl_get "$VS_URL/big.bin"; }

# ---- the runs ----
declare -A MIBS CCPU SCPU CRSS
# measure TOOL OP ROUND: one timed transfer; round 0 is the warm-up.
measure() {
  local t=$1 op=$2 i=$3 pid c0=0 c1=0 t0 t1 s=0 mibs
  pid=$("${t}_pid")
  # the file this run writes is removed, and the removal synced, before the
  # clock starts: freeing the blocks and pages of a big file just written
  # is work of its own, which would land on whichever tool runs next
  OUT=$("${t}_out" "$op")
  rm -f "$OUT"
  sync
  [ -z "$pid" ] || c0=$(ticks "$pid")
  t0=$(now)
  "${t}_$op" "$i"
  t1=$(now)
  if [ -n "$pid" ]; then settle "$pid"; c1=$(ticks "$pid"); s=$(( c1 - c0 )); fi
  cmp -s "$SRC" "$OUT" || { echo "$t $op: the file received differs" >&2; exit 1; }
  mibs=$(awk -v n="$SIZE_MIB" -v a="$t0" -v b="$t1" 'BEGIN {printf "%.0f", n / (b - a)}')
  if [ "$i" -gt 0 ]; then
    MIBS[$t.$op]+="$mibs "
    CCPU[$t.$op]+="$(cpu_s "$W/cli.time") "
    SCPU[$t.$op]+="$(awk -v s="$s" -v hz="$HZ" 'BEGIN {printf "%.3f", s / hz}') "
  fi
  CRSS[$t]="${CRSS[$t]:-} $(rss_kib "$W/cli.time")"
  printf '   round %d %-7s %s %5s MiB/s  dirty %s kB  writeback %s kB at the end\n' "$i" "$t" "$op" "$mibs" \
    "$(awk '/^Dirty:/ {print $2}' /proc/meminfo)" "$(awk '/^Writeback:/ {print $2}' /proc/meminfo)"
}

echo "== building"
mkdir -p "$W/bin"
go build -o "$W/bin/" ./cmd/ftpd ./cmd/ftp ./bench/tcpcopy
echo "== making a ${SIZE_MIB} MiB random file"
SRC=$W/src.bin
dd if=/dev/urandom of="$SRC" bs=1M count="$SIZE_MIB" status=none
sync
echo "go: $(go version | cut -d' ' -f3), cpus: $(nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"

for t in "${TOOLS[@]}"; do "${t}_start"; done
echo "== rounds (0 is the warm-up)"
for i in $(seq 0 "$RUNS"); do
  for t in "${TOOLS[@]}"; do
    measure "$t" put "$i"
    measure "$t" get "$i"
  done
done
for t in "${TOOLS[@]}"; do "${t}_stop"; done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

# stats "x y z": median (min-max)
stats() { tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{v[NR]=$1} END {m = NR % 2 ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2; printf "%.0f (%.0f-%.0f)", m, v[1], v[NR]}'; }
# pergib "x y z": median CPU seconds per GiB
pergib() { tr ' ' '\n' <<<"$1" | grep . | sort -n | awk -v n="$SIZE_MIB" '{v[NR]=$1} END {m = NR % 2 ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2; printf "%.2f", m * 1024 / n}'; }
maxmib() { tr ' ' '\n' <<<"$1" | grep . | sort -n | tail -1 | awk '{printf "%.1f", $1 / 1024}'; }
declare -A LABEL=([copy]="copy: tcpcopy + fsync" [ours]="ours: ftp + ftpd" [base]="base: ftp + ftpd in \$BASE" [ourftp]="curl + ftpd (FTP) + sync -d" [vsftpd]="curl + vsftpd + sync -d")

echo
echo "== ${SIZE_MIB} MiB over loopback, durable; median (min-max) of $RUNS runs after a warm-up round"
printf '%-26s %-18s %-18s %-15s %-15s %s\n' "" "put MiB/s" "get MiB/s" "put CPU s/GiB" "get CPU s/GiB" "peak RSS MiB"
printf '%-26s %-18s %-18s %-15s %-15s %s\n' "" "" "" "client server" "client server" "client server"
for t in "${TOOLS[@]}"; do
  srss=-
  [ -f "$W/$t-server.time" ] && srss=$(maxmib "$(rss_kib "$W/$t-server.time")")
  [ "$t" = copy ] && srss="(one process)"
  printf '%-26s %-18s %-18s %-6s %-8s %-6s %-8s %-6s %s\n' "${LABEL[$t]:-$t}" \
    "$(stats "${MIBS[$t.put]}")" "$(stats "${MIBS[$t.get]}")" \
    "$(pergib "${CCPU[$t.put]}")" "$(pergib "${SCPU[$t.put]}")" \
    "$(pergib "${CCPU[$t.get]}")" "$(pergib "${SCPU[$t.get]}")" \
    "$(maxmib "${CRSS[$t]}")" "$srss"
done
