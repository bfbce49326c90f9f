#!/usr/bin/env bash
# Benchmark of 07-ftp: upload and download of one big file over loopback,
# with our checks on (SHA-256 on both sides, fsync before rename), side by
# side with two references measured in the same run:
#   (a) tcpcopy: plain io.Copy of the file through a loopback TCP connection
#       into another file, checking nothing: the ceiling;
#   (b) vsftpd serving the same file to curl (and receiving it from curl):
#       a real FTP server that verifies nothing.
# Each transfer runs RUNS times; the script prints the median throughput and
# the peak RSS (GNU time's "Maximum resident set size").
#
# With BASE=DIR, the ftpd and ftp binaries in DIR (an earlier build of this
# chapter) are measured too, in the same run, alternating with ours run by
# run, so that the two can be compared on a noisy machine.
#
# usage: [BASE=DIR] bench/run.sh [SIZE_MiB (default 1024)] [RUNS (default 3)]
# needs: go, /usr/bin/time (package time), vsftpd and curl (as root:
# apt-get install -y vsftpd curl time). Loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MIB=${1:-1024}
RUNS=${2:-3}

for tool in /usr/bin/time curl /usr/sbin/vsftpd python3; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install -y time curl vsftpd python3)" >&2; exit 1; }
done

W=$(mktemp -d /tmp/ftp-bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$W"
}
trap cleanup EXIT

freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
mibps() { python3 -c "import sys; print('%.0f' % ($SIZE_MIB / (float(sys.argv[2]) - float(sys.argv[1]))))" "$1" "$2"; }
median() { python3 -c 'import sys, statistics; print("%.0f" % statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }
maxrss_mib() { # largest "Maximum resident set size" among GNU time outputs, in MiB
  grep -h "Maximum resident" "$@" | awk '{ if ($6 > m) m = $6 } END { printf "%.1f", m / 1024 }'
}
cpu_s() { # user+sys seconds of one GNU time output
  awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {printf "%.2f", u + s}' "$1"
}

echo "== building"
go build -o "$W/bin/" ./cmd/ftpd ./cmd/ftp ./bench/tcpcopy
echo "== making a ${SIZE_MIB} MiB random file"
dd if=/dev/urandom of="$W/src.bin" bs=1M count="$SIZE_MIB" status=none
SUM=$(sha256sum "$W/src.bin" | cut -d' ' -f1)
echo "go: $(go version | cut -d' ' -f3), cpus: $(nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== (a) tcpcopy: io.Copy over loopback TCP into a file"
a=()
for i in $(seq "$RUNS"); do
  rm -f "$W/copy.bin"; sync
  t0=$(now); /usr/bin/time -v -o "$W/tcpcopy.$i.time" "$W/bin/tcpcopy" -src "$W/src.bin" -dst "$W/copy.bin" >/dev/null; t1=$(now)
  a+=("$(mibps "$t0" "$t1")")
done
cmp -s "$W/src.bin" "$W/copy.bin" || { echo "tcpcopy: copy differs" >&2; exit 1; }
rm -f "$W/copy.bin"
echo "   runs (MiB/s): ${a[*]}"

echo "== ours: ftpd + ftp (SHA-256 both sides, fsync, rename)${BASE:+, alternating with the build in $BASE}"
export FTP_PASSWORD=benchpw
hz=$(getconf CLK_TCK)
secs() { python3 -c "print('%.2f' % (($2 - $1) / $hz))"; }
declare -A BIN ADDR FTPD TIMEPID UP DOWN UPCPU DOWNCPU SUPCPU SDOWNCPU
BIN[ours]=$W/bin
variants=(ours)
if [ -n "${BASE:-}" ]; then BIN[base]=$BASE; variants=(base ours); fi
for v in "${variants[@]}"; do
  printf 'benchpw\n' | "${BIN[$v]}/ftpd" useradd -data "$W/data-$v" -quota 16GiB bench >/dev/null
  /usr/bin/time -v -o "$W/ftpd-$v.time" "${BIN[$v]}/ftpd" -addr 127.0.0.1:0 -data "$W/data-$v" 2>"$W/ftpd-$v.log" &
  TIMEPID[$v]=$!; pids+=("${TIMEPID[$v]}")
  for _ in $(seq 100); do grep -q 'msg=serving' "$W/ftpd-$v.log" && break; sleep 0.1; done
  ADDR[$v]=$(sed -n 's/.*msg=serving addr=\([^ ]*\).*/\1/p' "$W/ftpd-$v.log")
  [ -n "${ADDR[$v]}" ] || { cat "$W/ftpd-$v.log"; exit 1; }
  FTPD[$v]=$(pgrep -P "${TIMEPID[$v]}")
done
ticks() { awk '{print $14 + $15}' "/proc/${FTPD[$1]}/stat"; } # user+sys of an ftpd, in clock ticks
for i in $(seq "$RUNS"); do
  for v in "${variants[@]}"; do
    rm -f "$W/data-$v/users/bench/files/big.bin"; sync  # each upload makes a new file, as with vsftpd below
    c0=$(ticks "$v"); t0=$(now); echo "put $W/src.bin big.bin" | /usr/bin/time -v -o "$W/put-$v.$i.time" "${BIN[$v]}/ftp" -addr "${ADDR[$v]}" -user bench >/dev/null; t1=$(now); c1=$(ticks "$v")
    UP[$v]+="$(mibps "$t0" "$t1") "; UPCPU[$v]+="$(cpu_s "$W/put-$v.$i.time") "; SUPCPU[$v]+="$(secs "$c0" "$c1") "
    rm -f "$W/down.bin"; sync
    c0=$(ticks "$v"); t0=$(now); echo "get big.bin $W/down.bin" | /usr/bin/time -v -o "$W/get-$v.$i.time" "${BIN[$v]}/ftp" -addr "${ADDR[$v]}" -user bench >/dev/null; t1=$(now); c1=$(ticks "$v")
    DOWN[$v]+="$(mibps "$t0" "$t1") "; DOWNCPU[$v]+="$(cpu_s "$W/get-$v.$i.time") "; SDOWNCPU[$v]+="$(secs "$c0" "$c1") "
    cmp -s "$W/src.bin" "$W/data-$v/users/bench/files/big.bin" || { echo "$v: stored file differs" >&2; exit 1; }
    cmp -s "$W/src.bin" "$W/down.bin" || { echo "$v: downloaded file differs" >&2; exit 1; }
  done
done
for v in "${variants[@]}"; do
  kill -INT "${FTPD[$v]}"
  wait "${TIMEPID[$v]}" || true
  echo "   $v put runs (MiB/s): ${UP[$v]}  cpu s: client ${UPCPU[$v]}; server ${SUPCPU[$v]}"
  echo "   $v get runs (MiB/s): ${DOWN[$v]}  cpu s: client ${DOWNCPU[$v]}; server ${SDOWNCPU[$v]}"
  grep 'msg=put' "$W/ftpd-$v.log" | sed "s/.*took=/   $v server put: took=/"
  rm -f "$W/data-$v/users/bench/files/big.bin"
done
rm -f "$W/down.bin"

echo "== (b) vsftpd + curl (verifies nothing)"
VPORT=$(freeport)
PMIN=$(freeport)
mkdir -p "$W/vs/pub"; chmod 755 "$W/vs"; chown ftp "$W/vs/pub"; chmod 755 "$W/vs/pub"
cp "$W/src.bin" "$W/vs/pub/big.bin"; chmod 644 "$W/vs/pub/big.bin"
cat >"$W/vsftpd.conf" <<CONF
listen=YES
listen_address=127.0.0.1
listen_port=$VPORT
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
pasv_min_port=$PMIN
pasv_max_port=$PMIN
seccomp_sandbox=NO
xferlog_enable=NO
secure_chroot_dir=/var/run/vsftpd/empty
CONF
/usr/bin/time -v -o "$W/vsftpd.time" /usr/sbin/vsftpd "$W/vsftpd.conf" &
vtimepid=$!; pids+=("$vtimepid")
for _ in $(seq 100); do curl -s "ftp://127.0.0.1:$VPORT/" >/dev/null 2>&1 && break; sleep 0.1; done
vup=(); vdown=()
for i in $(seq "$RUNS"); do
  sync
  t0=$(now); /usr/bin/time -v -o "$W/curlput.$i.time" curl -sS -T "$W/src.bin" "ftp://127.0.0.1:$VPORT/pub/up$i.bin"; t1=$(now)
  vup+=("$(mibps "$t0" "$t1")")
  rm -f "$W/vdown.bin"; sync
  t0=$(now); /usr/bin/time -v -o "$W/curlget.$i.time" curl -sS -o "$W/vdown.bin" "ftp://127.0.0.1:$VPORT/pub/big.bin"; t1=$(now)
  vdown+=("$(mibps "$t0" "$t1")")
  rm -f "$W/vs/pub/up$i.bin"
done
cmp -s "$W/src.bin" "$W/vdown.bin" || { echo "vsftpd: downloaded file differs" >&2; exit 1; }
vpid=$(pgrep -P "$vtimepid" || true)
[ -n "$vpid" ] && kill "$vpid"
wait "$vtimepid" || true
echo "   put runs (MiB/s): ${vup[*]}"
echo "   get runs (MiB/s): ${vdown[*]}"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

echo
echo "== summary: ${SIZE_MIB} MiB over loopback, median of $RUNS runs"
printf '%-40s %12s %12s %16s\n' "" "upload MiB/s" "download MiB/s" "peak RSS MiB"
printf '%-40s %12s %12s %16s\n' "(a) tcpcopy, io.Copy, no checks" "$(median "${a[@]}")" "-" "$(maxrss_mib "$W"/tcpcopy.*.time) (both ends)"
for v in "${variants[@]}"; do
  label=ours; [ "$v" = base ] && label="before ($BASE)"
  # shellcheck disable=SC2086 # the runs are words
  printf '%-40s %12s %12s %16s\n' "$label: ftp client" "$(median ${UP[$v]})" "$(median ${DOWN[$v]})" "$(maxrss_mib "$W"/put-$v.*.time "$W"/get-$v.*.time)"
  printf '%-40s %12s %12s %16s\n' "$label: ftpd server" "" "" "$(maxrss_mib "$W/ftpd-$v.time")"
done
printf '%-40s %12s %12s %16s\n' "(b) curl client of vsftpd" "$(median "${vup[@]}")" "$(median "${vdown[@]}")" "$(maxrss_mib "$W"/curlput.*.time "$W"/curlget.*.time)"
printf '%-40s %12s %12s %16s\n' "(b) vsftpd server" "" "" "$(maxrss_mib "$W/vsftpd.time")"
echo "sha256 of the file: $SUM (checked with cmp after each tool)"
