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
# usage: bench/run.sh [SIZE_MiB (default 1024)] [RUNS (default 3)]
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

echo "== ours: ftpd + ftp (SHA-256 both sides, fsync, rename)"
printf 'benchpw\n' | "$W/bin/ftpd" useradd -data "$W/data" -quota 16GiB bench >/dev/null
/usr/bin/time -v -o "$W/ftpd.time" "$W/bin/ftpd" -addr 127.0.0.1:0 -data "$W/data" 2>"$W/ftpd.log" &
timepid=$!; pids+=("$timepid")
for _ in $(seq 100); do grep -q 'msg=serving' "$W/ftpd.log" && break; sleep 0.1; done
ADDR=$(sed -n 's/.*msg=serving addr=\([^ ]*\).*/\1/p' "$W/ftpd.log")
[ -n "$ADDR" ] || { cat "$W/ftpd.log"; exit 1; }
export FTP_PASSWORD=benchpw
ftpdpid=$(pgrep -P "$timepid")
ticks() { awk '{print $14 + $15}' "/proc/$ftpdpid/stat"; } # user+sys of ftpd, in clock ticks
hz=$(getconf CLK_TCK)
secs() { python3 -c "print('%.2f' % (($2 - $1) / $hz))"; }
up=(); down=(); upcpu=(); downcpu=(); supcpu=(); sdowncpu=()
for i in $(seq "$RUNS"); do
  rm -f "$W/data/users/bench/files/big.bin"; sync  # each upload makes a new file, as with vsftpd below
  c0=$(ticks); t0=$(now); echo "put $W/src.bin big.bin" | /usr/bin/time -v -o "$W/put.$i.time" "$W/bin/ftp" -addr "$ADDR" -user bench >/dev/null; t1=$(now); c1=$(ticks)
  up+=("$(mibps "$t0" "$t1")"); upcpu+=("$(cpu_s "$W/put.$i.time")"); supcpu+=("$(secs "$c0" "$c1")")
  rm -f "$W/down.bin"; sync
  c0=$(ticks); t0=$(now); echo "get big.bin $W/down.bin" | /usr/bin/time -v -o "$W/get.$i.time" "$W/bin/ftp" -addr "$ADDR" -user bench >/dev/null; t1=$(now); c1=$(ticks)
  down+=("$(mibps "$t0" "$t1")"); downcpu+=("$(cpu_s "$W/get.$i.time")"); sdowncpu+=("$(secs "$c0" "$c1")")
done
cmp -s "$W/src.bin" "$W/data/users/bench/files/big.bin" || { echo "ours: stored file differs" >&2; exit 1; }
cmp -s "$W/src.bin" "$W/down.bin" || { echo "ours: downloaded file differs" >&2; exit 1; }
kill -INT "$ftpdpid"
wait "$timepid" || true
echo "   put runs (MiB/s): ${up[*]}   cpu s: client ${upcpu[*]}; server ${supcpu[*]}"
echo "   get runs (MiB/s): ${down[*]}   cpu s: client ${downcpu[*]}; server ${sdowncpu[*]}"
grep 'msg=put' "$W/ftpd.log" | sed 's/.*took=/   server put: took=/'

rm -f "$W/down.bin" "$W/data/users/bench/files/big.bin"

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
printf '%-34s %12s %12s %16s\n' "" "upload MiB/s" "download MiB/s" "peak RSS MiB"
printf '%-34s %12s %12s %16s\n' "(a) tcpcopy, io.Copy, no checks" "$(median "${a[@]}")" "-" "$(maxrss_mib "$W"/tcpcopy.*.time) (both ends)"
printf '%-34s %12s %12s %16s\n' "ours: ftp client" "$(median "${up[@]}")" "$(median "${down[@]}")" "$(maxrss_mib "$W"/put.*.time "$W"/get.*.time)"
printf '%-34s %12s %12s %16s\n' "ours: ftpd server" "" "" "$(maxrss_mib "$W/ftpd.time")"
printf '%-34s %12s %12s %16s\n' "(b) curl client of vsftpd" "$(median "${vup[@]}")" "$(median "${vdown[@]}")" "$(maxrss_mib "$W"/curlput.*.time "$W"/curlget.*.time)"
printf '%-34s %12s %12s %16s\n' "(b) vsftpd server" "" "" "$(maxrss_mib "$W/vsftpd.time")"
echo "sha256 of the file: $SUM (checked with cmp after each tool)"
