// Package e2e_test builds the chapter's commands and drives them as a
// person would, with each other and with the Python programs in testdata,
// which frame their messages the way the note does.
package e2e_test

import (
	"fmt"
	"net"
	"os"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockets/tutorial/04-struct-framing/progtest"
)

func TestMain(m *testing.M) { os.Exit(progtest.Main(m)) }

// build compiles cmd/server and cmd/client.
func build(t *testing.T) (server, client string) {
	t.Helper()
	bins := progtest.Build(t, "../cmd/server", "../cmd/client")
	return bins[0], bins[1]
}

// startServer runs the server binary on a free loopback port and returns
// it with its address.
func startServer(t *testing.T, bin string, args ...string) (*progtest.Proc, string) {
	t.Helper()
	p := progtest.Start(t, bin, append([]string{"-addr", "127.0.0.1:0"}, args...)...)
	return p, p.Stderr.WaitMatch(t, regexp.MustCompile(`msg=listening addr=(\S+)\n`))[1]
}

// runClient runs the client binary to the end and returns what it printed
// and its exit status.
func runClient(t *testing.T, bin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	p := progtest.Start(t, bin, args...)
	p.CloseStdin()
	code = p.Wait(t)
	return p.Stdout.String(), p.Stderr.String(), code
}

func TestServerAndClient(t *testing.T) {
	server, client := build(t)
	srv, addr := startServer(t, server)
	stdout, stderr, code := runClient(t, client, "-addr", addr)
	require.Equal(t, 0, code, "client stderr: %s", stderr)
	assert.Equal(t, `sent message 1: 10 bytes "helloworld"
sent message 2: 2 bytes "SB"
reply 1: server got "helloworld" whole
reply 2: server got "SB" whole
`, stdout)
	srv.Stdout.WaitFor(t, "message 1: 10 bytes \"helloworld\"\nmessage 2: 2 bytes \"SB\"\n")
	srv.Stderr.WaitMatch(t, regexp.MustCompile(`msg="client left" remote=\S+ messages=2`))

	if runtime.GOOS == "windows" {
		t.Skip("os.Interrupt cannot be sent to a process on Windows")
	}
	require.NoError(t, srv.Cmd.Process.Signal(os.Interrupt))
	assert.Equal(t, 0, srv.Wait(t), "server exit status after Ctrl-C\n%s", srv.Output())
	assert.Contains(t, srv.Stderr.String(), `msg="shutting down"`)
}

func TestServerCtrlCWithClientConnected(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("os.Interrupt cannot be sent to a process on Windows")
	}
	server, _ := build(t)
	srv, addr := startServer(t, server)
	c, err := net.DialTimeout("tcp", addr, progtest.Timeout)
	require.NoError(t, err)
	defer c.Close()
	srv.Stderr.WaitFor(t, `msg="client connected"`)
	require.NoError(t, srv.Cmd.Process.Signal(os.Interrupt))
	assert.Equal(t, 0, srv.Wait(t), "server exit status after Ctrl-C with an idle client\n%s", srv.Output())
}

// TestErrorsAreOneLine checks the messages for the usual failures: one
// line on stderr, exit status 1 for a runtime error and 2 for a mistake in
// the command line.
func TestErrorsAreOneLine(t *testing.T) {
	server, client := build(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	noServer := ln.Addr().String()
	ln.Close()

	tests := []struct {
		name string
		bin  string
		args []string
		code int
		want string
	}{
		{"no server", client, []string{"-addr", noServer}, 1,
			"client: no server at " + noServer + " (connection refused): is the server running?\n"},
		{"bad address", client, []string{"-addr", "8080"}, 1, `client: bad address "8080": missing port in address` + "\n"},
		{"bad flag", client, []string{"-max", "5"}, 2, "client: flag provided but not defined: -max\n"},
		{"server's old flag", server, []string{"-max", "5"}, 2, "server: flag provided but not defined: -max\n"},
		{"server's arguments", server, []string{"extra"}, 2, `server: unexpected arguments ["extra"]` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := runClient(t, tt.bin, tt.args...)
			assert.Equal(t, tt.code, code, "exit status of %v", tt.args)
			assert.Equal(t, tt.want, stderr, "stderr of %v", tt.args)
		})
	}
}

// TestClaimF2_PythonClientToGoServer runs testdata/notes_client.py, which
// frames with struct.pack('i') and json as the note does, against our
// server binary.
func TestClaimF2_PythonClientToGoServer(t *testing.T) {
	py := progtest.Python3(t)
	server, _ := build(t)
	srv, addr := startServer(t, server)
	_, port, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	long := strings.Repeat("0123456789", 500) // 5000 bytes: several recv(1024) each way
	stdout, stderr, code := runClient(t, py, "testdata/notes_client.py", port, "helloworld", "SB", long, "粘包")
	require.Equal(t, 0, code, "notes_client.py: %s", stderr)
	assert.Equal(t, "reply 1: helloworld\nreply 2: SB\nreply 3: "+long+"\nreply 4: 粘包\n", stdout)
	srv.Stdout.WaitFor(t, `message 1: 10 bytes "helloworld"`+"\n"+`message 2: 2 bytes "SB"`+"\n"+`message 3: 5000 bytes "0123456789`)
	srv.Stdout.WaitFor(t, `message 4: 6 bytes "粘包"`+"\n")
}

// TestClaimF2_GoClientToPythonServer runs our client binary against
// testdata/notes_server.py.
func TestClaimF2_GoClientToPythonServer(t *testing.T) {
	py := progtest.Python3(t)
	_, client := build(t)
	pysrv := progtest.Start(t, py, "testdata/notes_server.py")
	port := pysrv.Stdout.WaitMatch(t, regexp.MustCompile(`^(\d+)\n`))
	long := strings.Repeat("abcdefghij", 500)
	stdout, stderr, code := runClient(t, client, "-addr", net.JoinHostPort("127.0.0.1", port[1]), "helloworld", "SB", long)
	require.Equal(t, 0, code, "client stderr: %s", stderr)
	for i, m := range []string{"helloworld", "SB", long} {
		assert.Contains(t, stdout, fmt.Sprintf("reply %d: server got %q whole\n", i+1, m))
	}
	pysrv.Stdout.WaitFor(t, "message 1: helloworld\nmessage 2: SB\nmessage 3: abcdefghij")
	assert.Equal(t, 0, pysrv.Wait(t), "notes_server.py exit status\n%s", pysrv.Output())
}
