#!/usr/bin/env bash
# slow-link.sh measures how small writes leave the sender over a loopback with real
# latency, where acknowledgements are slow to come back. It creates a network
# namespace of its own, slows that namespace's loopback down with tc, and runs
# cmd/segcount inside it, once with Linux's TCP autocorking on (the default) and
# once with it off (net.ipv4.tcp_autocorking is per namespace). Nothing leaves the
# namespace and nothing outside it changes.
#
# It first tries netem (a fixed delay, DELAY each way). Where the kernel has no
# sch_netem, it says so and uses a token-bucket rate limit (tbf, RATE) instead:
# every packet then waits for its turn on a slow link.
#
# Needs root and iproute2 (ip, tc); without them it prints why and exits 0.
#
# Usage: 03-sticky-packets/scripts/slow-link.sh [segcount flags...]
#   e.g. DELAY=20ms RATE=64kbit scripts/slow-link.sh -runs 10 -writes 2,3,10,100
set -euo pipefail

delay=${DELAY:-20ms}
rate=${RATE:-64kbit}

skip() { echo "slow-link: skipped: $*"; exit 0; }

[ "$(id -u)" -eq 0 ] || skip "needs root to create a network namespace"
command -v ip >/dev/null || skip "needs ip (iproute2)"
command -v tc >/dev/null || skip "needs tc (iproute2)"

ns="sticky-slow-$$"
bin=$(mktemp -d)
cleanup() { ip netns del "$ns" 2>/dev/null || true; rm -rf "$bin"; }
trap cleanup EXIT

cd "$(dirname "$0")/.."
go build -o "$bin/segcount" ./cmd/segcount
ip netns add "$ns" 2>/dev/null || skip "cannot create a network namespace"
nsx() { ip netns exec "$ns" "$@"; }
# A small MTU lets the token bucket below be small too.
nsx ip link set lo mtu 576 up

if out=$(nsx tc qdisc add dev lo root netem delay "$delay" 2>&1); then
	echo "slow link: netem delay $delay on the namespace's loopback"
else
	echo "netem: skipped: this kernel cannot add a netem qdisc (tc said: ${out})"
	if ! out=$(nsx tc qdisc add dev lo root tbf rate "$rate" burst 600 latency 2s 2>&1); then
		skip "this kernel cannot add a tbf qdisc either (tc said: ${out})"
	fi
	echo "slow link: tbf rate $rate, burst 600 bytes, on the namespace's loopback (MTU 576)"
fi
echo "tc qdisc show dev lo: $(nsx tc qdisc show dev lo)"

for ac in 1 0; do
	nsx sysctl -q -w net.ipv4.tcp_autocorking=$ac
	echo
	echo "net.ipv4.tcp_autocorking=$ac"
	nsx "$bin/segcount" -acks prompt "$@"
done
