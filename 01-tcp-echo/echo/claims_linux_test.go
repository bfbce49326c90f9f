package echo_test

// Linux-only parts of the claims: raw sockets without Go's defaults and
// counters the Linux kernel exposes. The portable parts are in claims_test.go.

import (
	"bufio"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// control runs f on the file descriptor behind c.
func control(t *testing.T, c syscall.Conn, f func(fd int)) {
	t.Helper()
	rc, err := c.SyscallConn()
	require.NoError(t, err)
	require.NoError(t, rc.Control(func(fd uintptr) { f(int(fd)) }))
}

// segsOut returns how many TCP segments the kernel has sent on c.
func segsOut(t *testing.T, c *net.TCPConn) uint32 {
	t.Helper()
	var info *unix.TCPInfo
	var err error
	control(t, c, func(fd int) { info, err = unix.GetsockoptTCPInfo(fd, unix.IPPROTO_TCP, unix.TCP_INFO) })
	require.NoError(t, err)
	return info.Segs_out
}

// T4 on the wire: a zero-length send(2) returns 0 and puts no segment on the
// network, however often it is called.
func TestClaimT4_EmptySendPutsNoSegmentOnTheWire(t *testing.T) {
	client, server := pair(t)
	before := segsOut(t, client)

	rc, err := client.SyscallConn()
	require.NoError(t, err)
	for i := range 1000 {
		var n int
		var werr error
		require.NoError(t, rc.Write(func(fd uintptr) bool {
			n, werr = unix.Write(int(fd), nil) // the system call itself, not Go's wrapper
			return true
		}))
		require.NoError(t, werr, "write(fd, \"\", 0) #%d", i)
		require.Equal(t, 0, n, "write(fd, \"\", 0) #%d", i)
	}
	assert.Equal(t, before, segsOut(t, client), "segments sent by 1000 empty writes")
	readsNothing(t, server)

	// The counter does move for real data, so the equality above means something.
	_, err = client.Write([]byte("x"))
	require.NoError(t, err)
	assert.Greater(t, segsOut(t, client), before, "segments sent after writing one byte")
}

// tcpStates returns the states (as hex codes of /proc/net/tcp, "06" is
// TIME_WAIT, "0A" is LISTEN) of all IPv4 TCP sockets whose local port is port.
func tcpStates(t *testing.T, port uint16) []string {
	t.Helper()
	f, err := os.Open("/proc/net/tcp")
	require.NoError(t, err)
	defer f.Close()
	var states []string
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 4 {
			continue
		}
		_, hexPort, ok := strings.Cut(fields[1], ":")
		p, err := strconv.ParseUint(hexPort, 16, 16)
		if ok && err == nil && uint16(p) == port {
			states = append(states, fields[3])
		}
	}
	require.NoError(t, sc.Err())
	return states
}

// waitTimeWait waits until a socket on port is in TIME_WAIT. The kernel gives
// no notification for this, so it polls /proc/net/tcp, within a deadline.
func waitTimeWait(t *testing.T, port uint16) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		states := tcpStates(t, port)
		for _, s := range states {
			if s == "06" {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no socket on port %d reached TIME_WAIT; states %v", port, states)
		}
		<-tick.C
	}
}

// rawListen makes a socket with unix.Socket, sets SO_REUSEADDR only if
// reuse is true (Go's net package always sets it), then binds and listens.
func rawListen(t *testing.T, addr netip.AddrPort, reuse bool, backlog int) (fd int, err error) {
	t.Helper()
	fd, err = unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	require.NoError(t, err)
	if reuse {
		require.NoError(t, unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1))
	}
	if err := unix.Bind(fd, &unix.SockaddrInet4{Port: int(addr.Port()), Addr: addr.Addr().As4()}); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("bind: %w", err)
	}
	if err := unix.Listen(fd, backlog); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("listen: %w", err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return fd, nil
}

// T8: while a connection on the port sits in TIME_WAIT, a socket without
// SO_REUSEADDR cannot bind the port; with the option (the note's setsockopt
// line, and Go's default) it can.
func TestClaimT8_WithoutReuseAddrBindFailsInTimeWait(t *testing.T) {
	addr := netip.MustParseAddrPort(leaveTimeWait(t))
	waitTimeWait(t, addr.Port())

	_, err := rawListen(t, addr, false, 5)
	require.ErrorIs(t, err, unix.EADDRINUSE, "bind(%v) without SO_REUSEADDR during TIME_WAIT", addr)
	assert.Contains(t, err.Error(), "address already in use")

	fd, err := rawListen(t, addr, true, 5)
	require.NoError(t, err, "bind(%v) with SO_REUSEADDR during TIME_WAIT", addr)
	require.NoError(t, unix.Close(fd))

	// Go sets the option on every listener it makes.
	ln, err := net.Listen("tcp", addr.String())
	require.NoError(t, err, "net.Listen(%v) during TIME_WAIT", addr)
	defer ln.Close()
	var reuse int
	control(t, ln.(*net.TCPListener), func(fd int) {
		reuse, err = unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR)
	})
	require.NoError(t, err)
	assert.Equal(t, 1, reuse, "SO_REUSEADDR on a Go listener")
}

// T9: listen(fd, backlog) sizes the accept queue of connections whose
// handshake is complete. Linux lets backlog+1 connections wait; while the
// queue is full it drops new SYNs, so a further connect does not complete
// until accept makes room.
func TestClaimT9_AcceptQueueHoldsBacklogPlusOne(t *testing.T) {
	const backlog = 1
	fd, err := rawListen(t, netip.MustParseAddrPort("127.0.0.1:0"), true, backlog)
	require.NoError(t, err)
	sa, err := unix.Getsockname(fd)
	require.NoError(t, err)
	addr := fmt.Sprintf("127.0.0.1:%d", sa.(*unix.SockaddrInet4).Port)

	for i := range backlog + 1 {
		dial(t, addr) // completes with no accept
		t.Logf("connect #%d completed without accept", i+1)
	}
	conn, err := net.DialTimeout("tcp", addr, short)
	if err == nil {
		conn.Close()
		t.Fatalf("connect #%d completed with a full accept queue (backlog %d)", backlog+2, backlog)
	}
	var ne net.Error
	require.ErrorAs(t, err, &ne)
	assert.True(t, ne.Timeout(), "connect to a full queue: %v, want a timeout", err)

	nfd, _, err := unix.Accept(fd) // a queued connection is waiting, so no block
	require.NoError(t, err)
	defer unix.Close(nfd)
	dial(t, addr) // room again: this connect completes
}

// T9: Go does not take a backlog from the caller: it passes the kernel's
// limit, net.core.somaxconn, so many clients can wait (the note uses 5).
func TestClaimT9_GoListenerBacklogIsLarge(t *testing.T) {
	data, err := os.ReadFile("/proc/sys/net/core/somaxconn")
	require.NoError(t, err)
	t.Logf("net.core.somaxconn = %s", strings.TrimSpace(string(data)))

	ln := listen(t)
	const clients = 20
	for i := range clients {
		conn, err := net.DialTimeout("tcp", ln.Addr().String(), timeout)
		require.NoError(t, err, "connect #%d with no accept", i+1)
		t.Cleanup(func() { conn.Close() })
	}
}
