// Package e2e_test builds the chapter's commands and drives them as a
// person would: servers started with flags and stopped with Ctrl-C,
// clients fed on stdin, everything read from what they print.
package e2e_test

import (
	"fmt"
	"net"
	"os"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockets/tutorial/06-concurrency/internal/progtest"
)

const (
	serverPkg    = "github.com/gosockets/tutorial/06-concurrency/cmd/server"
	udpserverPkg = "github.com/gosockets/tutorial/06-concurrency/cmd/udpserver"
	clientPkg    = "github.com/gosockets/tutorial/06-concurrency/cmd/client"
	busyLine     = "client: server busy: too many clients, try again later\n"
	droppedLine  = "client: connection dropped by the server\n"
)

func TestMain(m *testing.M) {
	code := m.Run()
	progtest.Cleanup()
	os.Exit(code)
}

var listeningRe = regexp.MustCompile(`msg=listening addr=(\S+)`)

// startServer runs the server command pkg with args on a free loopback port
// and returns it with the address it logged.
func startServer(t *testing.T, pkg string, args ...string) (*progtest.Proc, string) {
	t.Helper()
	p := progtest.Start(t, progtest.Build(t, pkg), append([]string{"-addr", "127.0.0.1:0"}, args...)...)
	m, _ := p.Stderr.WaitMatch(t, 0, listeningRe)
	return p, m[1]
}

// client starts the client command connected to addr, for a test to type
// into and watch.
func client(t *testing.T, addr string, args ...string) *progtest.Proc {
	t.Helper()
	return progtest.Start(t, progtest.Build(t, clientPkg), append([]string{"-addr", addr}, args...)...)
}

// runClient runs the client on stdin to its end.
func runClient(t *testing.T, stdin, addr string, args ...string) (stdout, stderr string, status int) {
	t.Helper()
	return progtest.Run(t, stdin, progtest.Build(t, clientPkg), append([]string{"-addr", addr}, args...)...)
}

// interrupt sends Ctrl-C (SIGINT) to p.
func interrupt(t *testing.T, p *progtest.Proc) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("sending os.Interrupt to a process is not supported on Windows")
	}
	require.NoError(t, p.Cmd.Process.Signal(os.Interrupt))
}

// Two clients are served at once, each seeing its echo while it is still
// connected; a third, over -max-conns 2, is told the server is busy: one
// line on stderr, nothing on stdout, status 1. Ctrl-C lets the idle clients
// go at once (they report the dropped connection) and the server exits 0.
func TestServerTwoClientsAtOnceThirdBusy(t *testing.T) {
	srv, addr := startServer(t, serverPkg, "-max-conns", "2", "-grace", "5s")

	a := client(t, addr)
	a.Type(t, "hello from A\n")
	a.Stdout.WaitFor(t, 0, "hello from A\n")
	b := client(t, addr) // A is still connected
	b.Type(t, "hello from B\n")
	b.Stdout.WaitFor(t, 0, "hello from B\n")
	a.Type(t, "A is still here\n")
	a.Stdout.WaitFor(t, 0, "A is still here\n")

	stdout, stderr, status := runClient(t, "hello from C\n", addr)
	assert.Empty(t, stdout, "the busy client's stdout")
	assert.Equal(t, busyLine, stderr, "the busy client's stderr")
	assert.Equal(t, 1, status, "the busy client's exit status")

	interrupt(t, srv)
	for _, c := range []*progtest.Proc{a, b} {
		assert.Equal(t, 1, c.Wait(t), "a connected client's exit status after Ctrl-C")
		assert.Equal(t, droppedLine, c.Stderr.String())
	}
	assert.Equal(t, 0, srv.Wait(t), "the server's exit status after Ctrl-C")
	log := srv.Stderr.String()
	for _, want := range []string{"handler=Echo", `msg="client connected"`, `msg="server busy; client refused"`, `msg="shutting down"`, "msg=stopped"} {
		assert.Contains(t, log, want)
	}
	late, err := net.DialTimeout("tcp", addr, progtest.Timeout)
	if err == nil {
		late.Close()
	}
	assert.Error(t, err, "dial after the server stopped")
}

// A client that goes quiet for longer than -idle is dropped; it says so and
// exits 1, and the server logs why.
func TestServerIdleDropsQuietClient(t *testing.T) {
	srv, addr := startServer(t, serverPkg, "-idle", "300ms")
	c := client(t, addr)
	c.Type(t, "quick hello\n")
	c.Stdout.WaitFor(t, 0, "quick hello\n")
	// Nothing more is typed.
	assert.Equal(t, 1, c.Wait(t), "the quiet client's exit status")
	assert.Equal(t, droppedLine, c.Stderr.String())
	srv.Stderr.WaitFor(t, 0, `msg="client idle too long; dropped"`)
}

// With -low-memory the server echoes through LowMemoryEcho, large lines
// included.
func TestServerLowMemory(t *testing.T) {
	srv, addr := startServer(t, serverPkg, "-low-memory")
	long := strings.Repeat("0123456789", 500) + "\n" // 5001 bytes: five reads of 1024
	in := "hello\n" + long + "bye\n"
	stdout, stderr, status := runClient(t, in, addr)
	assert.Equal(t, in, stdout)
	assert.Empty(t, stderr)
	assert.Equal(t, 0, status)
	srv.Stderr.WaitFor(t, 0, "handler=LowMemoryEcho")
}

// Blank lines are not sent (an empty send sends nothing, claim T4), and the
// client ends with status 0 once the server has closed after the last reply.
func TestClientSkipsBlankLines(t *testing.T) {
	_, addr := startServer(t, serverPkg)
	stdout, stderr, status := runClient(t, "one\n\n   \ntwo", addr)
	assert.Equal(t, "one\ntwo\n", stdout)
	assert.Empty(t, stderr)
	assert.Equal(t, 0, status)
}

// At the end of its input the client waits for the server to close, but
// not for ever: against a server that keeps the connection open (as the
// note's operator servers do), it leaves after -timeout with status 0.
func TestClientEndsWhenServerKeepsConnectionOpen(t *testing.T) {
	done := make(chan struct{})
	addr := testServer(t, func(c net.Conn) {
		c.SetDeadline(time.Now().Add(progtest.Timeout))
		buf := make([]byte, 1024)
		n, _ := c.Read(buf)
		c.Write(buf[:n])
		select { // EOF from the client changes nothing: the connection stays open
		case <-done:
		case <-time.After(progtest.Timeout):
		}
	})
	defer close(done)
	stdout, stderr, status := runClient(t, "hello\n", addr, "-timeout", "300ms")
	assert.Equal(t, "hello\n", stdout)
	assert.Empty(t, stderr)
	assert.Equal(t, 0, status)
}

// Each usual failure is one line on stderr and status 1; a mistake in the
// command line is status 2.
func TestClientMessages(t *testing.T) {
	free := freePort(t)
	silent := silentServer(t)
	resetting := resettingServer(t)
	tests := []struct {
		name   string
		args   []string
		stdin  string
		stderr string
		status int
	}{
		{"no server", []string{"-addr", free}, "hello\n",
			fmt.Sprintf("client: no server at %s (connection refused): is the server running?\n", free), 1},
		{"address without a port", []string{"-addr", "localhost"}, "",
			"client: bad address \"localhost\": missing port in address\n", 1},
		{"port out of range", []string{"-addr", "127.0.0.1:70000"}, "",
			"client: bad address \"127.0.0.1:70000\": the port must be a number from 1 to 65535\n", 1},
		{"no reply", []string{"-addr", silent, "-timeout", "300ms"}, "hello\n",
			fmt.Sprintf("client: no reply from %s within 300ms\n", silent), 1},
		{"reset", []string{"-addr", resetting}, "hello\n",
			"client: connection dropped by the server: connection reset by peer\n", 1},
		{"extra argument", []string{"extra"}, "",
			"client: unexpected argument \"extra\" (see -h)\n", 2},
		{"negative timeout", []string{"-timeout", "-1s"}, "",
			"client: -timeout must not be negative\n", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, status := progtest.Run(t, tt.stdin, progtest.Build(t, clientPkg), tt.args...)
			assert.Empty(t, stdout)
			assert.Equal(t, tt.stderr, stderr)
			assert.Equal(t, tt.status, status)
		})
	}
}

// freePort returns a loopback address where nothing listens (a port the
// kernel gave out and that was closed again).
func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// silentServer accepts connections and never answers.
func silentServer(t *testing.T) string {
	return testServer(t, func(c net.Conn) {
		c.SetDeadline(time.Now().Add(progtest.Timeout))
		c.Read(make([]byte, 1024))
		c.Read(make([]byte, 1024)) // until the client leaves or the deadline
	})
}

// resettingServer reads one message and then aborts the connection, which
// sends the client a reset.
func resettingServer(t *testing.T) string {
	return testServer(t, func(c net.Conn) {
		c.SetDeadline(time.Now().Add(progtest.Timeout))
		c.Read(make([]byte, 1024))
		c.(*net.TCPConn).SetLinger(0)
	})
}

// testServer serves each connection with handle on a loopback listener
// that is closed when the test ends; handle's conn is closed after it.
func testServer(t *testing.T, handle func(net.Conn)) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			handle(c)
			c.Close()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
	})
	return ln.Addr().String()
}

// The servers' command lines: mistakes are status 2 with one line (or the
// flag package's own explanation), a port in use is status 1.
func TestServerCommandLines(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer taken.Close()
	tests := []struct {
		pkg    string
		args   []string
		stderr string // what stderr contains
		status int
	}{
		{serverPkg, []string{"-max-conns", "-1"}, "server: -max-conns, -idle and -grace must not be negative\n", 2},
		{serverPkg, []string{"-idle", "soon"}, `invalid value "soon" for flag -idle`, 2},
		{serverPkg, []string{"extra"}, "server: unexpected argument \"extra\" (see -h)\n", 2},
		{serverPkg, []string{"-addr", taken.Addr().String()}, "address already in use", 1},
		{udpserverPkg, []string{"-grace", "-1s"}, "udpserver: -grace must not be negative\n", 2},
		{udpserverPkg, []string{"extra"}, "udpserver: unexpected argument \"extra\" (see -h)\n", 2},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.pkg[strings.LastIndex(tt.pkg, "/")+1:], tt.args), func(t *testing.T) {
			stdout, stderr, status := progtest.Run(t, "", progtest.Build(t, tt.pkg), tt.args...)
			assert.Empty(t, stdout)
			assert.Contains(t, stderr, tt.stderr)
			assert.Equal(t, tt.status, status)
		})
	}
}

// The UDP server: two clients each get their own datagram back, from the
// server's address, and Ctrl-C stops it with status 0.
func TestUDPServerEchoesEachClient(t *testing.T) {
	srv, addr := startServer(t, udpserverPkg)
	server, err := net.ResolveUDPAddr("udp", addr)
	require.NoError(t, err)
	for _, msg := range []string{"from client one", "from client two", ""} {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		require.NoError(t, err)
		defer c.Close()
		require.NoError(t, c.SetDeadline(time.Now().Add(progtest.Timeout)))
		_, err = c.WriteTo([]byte(msg), server)
		require.NoError(t, err)
		buf := make([]byte, 1500)
		n, from, err := c.ReadFrom(buf)
		require.NoError(t, err, "reply to %q", msg)
		assert.Equal(t, msg, string(buf[:n]), "the reply")
		assert.Equal(t, addr, from.String(), "the reply's source")
	}

	interrupt(t, srv)
	assert.Equal(t, 0, srv.Wait(t), "the exit status after Ctrl-C")
	log := srv.Stderr.String()
	for _, want := range []string{"msg=datagram", "bytes=15", "bytes=0", `msg="shutting down"`, "msg=stopped"} {
		assert.Contains(t, log, want)
	}
}
