//go:build linux

package udpecho_test

// The parts of claims U1, U4 and U5 whose outcome is specific to Linux.

import (
	"bytes"
	"context"
	"errors"
	"net"
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

// U1 at the system-call level: listen(2) on a UDP socket fails with
// EOPNOTSUPP; there is no connection queue to listen on.
func TestClaimU1_ListenOnUDPSocketFails_Linux(t *testing.T) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0)
	require.NoError(t, err)
	defer unix.Close(fd)
	require.NoError(t, unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}))
	err = unix.Listen(fd, 5)
	if !errors.Is(err, unix.EOPNOTSUPP) {
		t.Errorf("listen(2) on a UDP socket = %v, want EOPNOTSUPP", err)
	}
}

// U4, unconnected: on Linux an unconnected socket is never told that its
// datagram was refused (unless IP_RECVERR is set); a read just waits.
func TestClaimU4_UnconnectedSocketNeverSeesRefusal_Linux(t *testing.T) {
	dead := deadAddr(t)
	client := listenUDP(t)
	for i := range 3 {
		_, err := client.WriteTo([]byte("lost"), dead)
		require.NoError(t, err, "WriteTo #%d to a port with no server", i+1)
	}
	require.NoError(t, client.SetReadDeadline(time.Now().Add(200*time.Millisecond)))
	n, from, err := client.ReadFrom(make([]byte, 1024))
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("ReadFrom after sending to a dead port = %d, %v, %v; want a timeout and no error report", n, from, err)
	}
}

// U4, connected: a socket connected with DialUDP receives the ICMP "port
// unreachable" that its datagram caused, as ECONNREFUSED on a later read
// or write.
func TestClaimU4_ConnectedSocketSeesConnectionRefused_Linux(t *testing.T) {
	dead := deadAddr(t)

	t.Run("read", func(t *testing.T) {
		conn, err := net.DialUDP("udp4", nil, dead)
		require.NoError(t, err, "DialUDP sends nothing, so it cannot fail here")
		defer conn.Close()
		_, err = conn.Write([]byte("hello"))
		require.NoError(t, err, "the first Write")
		require.NoError(t, conn.SetReadDeadline(time.Now().Add(wait)))
		_, err = conn.Read(make([]byte, 1024))
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("Read after writing to a dead port = %v, want ECONNREFUSED", err)
		}
	})

	t.Run("write", func(t *testing.T) {
		conn, err := net.DialUDP("udp4", nil, dead)
		require.NoError(t, err)
		defer conn.Close()
		_, err = conn.Write([]byte("hello"))
		require.NoError(t, err, "the first Write")
		waitForSocketError(t, conn)
		_, err = conn.Write([]byte("again"))
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("second Write after the ICMP reply = %v, want ECONNREFUSED", err)
		}
	})

	t.Run("Client.Exchange", func(t *testing.T) {
		c := dial(t, dead.String(), wait)
		_, err := c.Exchange(context.Background(), []byte("hello"))
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("Exchange with a dead port = %v, want ECONNREFUSED", err)
		}
	})
}

// waitForSocketError waits (at most wait) until the kernel has queued an
// error on conn's socket, without consuming it: poll(2) reports POLLERR.
func waitForSocketError(t *testing.T, conn *net.UDPConn) {
	t.Helper()
	raw, err := conn.SyscallConn()
	require.NoError(t, err)
	var revents int16
	var perr error
	err = raw.Control(func(fd uintptr) {
		fds := []unix.PollFd{{Fd: int32(fd), Events: 0}} // POLLERR is always reported
		var n int
		for {
			n, perr = unix.Poll(fds, int(wait/time.Millisecond))
			if !errors.Is(perr, unix.EINTR) {
				break
			}
		}
		if n == 1 {
			revents = fds[0].Revents
		}
	})
	require.NoError(t, err)
	require.NoError(t, perr, "poll")
	require.NotZero(t, revents&unix.POLLERR, "no error queued on the socket within %v", wait)
}

// U5 with ReadMsgUDP: the flags it returns carry MSG_TRUNC when the buffer
// was too small, and recvfrom(2) with MSG_TRUNC tells the real length.
func TestClaimU5_ReadMsgUDPReportsTruncation_Linux(t *testing.T) {
	server := listenUDP(t).(*net.UDPConn)
	client := listenUDP(t)
	big := bytes.Repeat([]byte("abcdefghij"), 200) // 2000 bytes
	for _, m := range [][]byte{big, []byte("small"), big} {
		_, err := client.WriteTo(m, server.LocalAddr())
		require.NoError(t, err)
	}
	require.NoError(t, server.SetReadDeadline(time.Now().Add(wait)))
	buf := make([]byte, 1024)

	n, _, flags, _, err := server.ReadMsgUDP(buf, nil)
	require.NoError(t, err)
	assert.Equal(t, 1024, n, "bytes read from a 2000-byte datagram")
	assert.NotZero(t, flags&syscall.MSG_TRUNC, "flags = %#x, want MSG_TRUNC set", flags)

	n, _, flags, _, err = server.ReadMsgUDP(buf, nil)
	require.NoError(t, err)
	assert.Equal(t, "small", string(buf[:n]))
	assert.Zero(t, flags&syscall.MSG_TRUNC, "flags = %#x for a datagram that fits, want MSG_TRUNC clear", flags)

	// recvfrom(2) with the MSG_TRUNC flag returns the datagram's real length
	// even though only 1024 bytes were copied.
	raw, err := server.SyscallConn()
	require.NoError(t, err)
	var realLen int
	var rerr error
	err = raw.Read(func(fd uintptr) bool {
		realLen, _, rerr = unix.Recvfrom(int(fd), buf, unix.MSG_TRUNC)
		return !errors.Is(rerr, unix.EAGAIN)
	})
	require.NoError(t, err)
	require.NoError(t, rerr)
	assert.Equal(t, len(big), realLen, "recvfrom(MSG_TRUNC) length")
	assert.Equal(t, big[:1024], buf, "bytes copied")
}

// U6, as the kernel sees it: Linux counts each datagram it dropped for a
// full receive buffer in the RcvbufErrors field of /proc/net/snmp.
func TestClaimU6_KernelCountsTheDrops_Linux(t *testing.T) {
	before, err := udpRcvbufErrors()
	if err != nil {
		t.Skipf("cannot read the kernel's UDP counters: %v", err)
	}
	sent, received := overflowReceiveBuffer(t)
	after, err := udpRcvbufErrors()
	require.NoError(t, err)
	// Other programs on this machine may lose datagrams too, so the counter
	// grows by at least our losses.
	if lost := sent - received; after-before < lost {
		t.Errorf("RcvbufErrors grew by %d, want at least the %d datagrams this test lost", after-before, lost)
	}
}

// udpRcvbufErrors returns the RcvbufErrors counter of the Udp lines of
// /proc/net/snmp (the first line names the fields, the second holds them).
func udpRcvbufErrors() (int, error) {
	b, err := os.ReadFile("/proc/net/snmp")
	if err != nil {
		return 0, err
	}
	var names, values []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || f[0] != "Udp:" {
			continue
		}
		if names == nil {
			names = f
		} else {
			values = f
			break
		}
	}
	for i, name := range names {
		if name == "RcvbufErrors" && i < len(values) {
			return strconv.Atoi(values[i])
		}
	}
	return 0, errors.New("no Udp RcvbufErrors in /proc/net/snmp")
}
