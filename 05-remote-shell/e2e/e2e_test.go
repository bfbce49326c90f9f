// Package e2e_test builds the chapter's server and client and drives them
// as a person would, through their stdin, stdout, stderr, signals and exit
// status, with each other and with the note's Python programs.
package e2e_test

import (
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockets/tutorial/04-struct-framing/frame"
	"github.com/gosockets/tutorial/04-struct-framing/progtest"
)

func TestMain(m *testing.M) { os.Exit(progtest.Main(m)) }

// build compiles the two commands.
func build(t *testing.T) (server, client string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the server runs commands with sh, and these tests send Ctrl-C as a signal")
	}
	bins := progtest.Build(t, "../cmd/server", "../cmd/client")
	return bins[0], bins[1]
}

// startServer starts the server binary on a free loopback port and waits
// until it logs its address.
func startServer(t *testing.T, bin string, args ...string) (*progtest.Proc, string) {
	t.Helper()
	p := progtest.Start(t, bin, append([]string{"-addr", "127.0.0.1:0"}, args...)...)
	return p, p.Stderr.WaitMatch(t, regexp.MustCompile(`msg=listening addr=(\S+)`))[1]
}

// runClient runs a binary with input on stdin to its end and returns its
// output and exit status.
func runClient(t *testing.T, bin, input string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	p := progtest.Start(t, bin, args...)
	p.Write(t, input)
	p.CloseStdin()
	code = p.Wait(t)
	return p.Stdout.String(), p.Stderr.String(), code
}

func TestFramedSession(t *testing.T) {
	server, client := build(t)
	_, addr := startServer(t, server, "-max-output", "100")
	stdout, stderr, code := runClient(t, client, "echo hello\nseq 1 1000 | tail -n 1\nexit 3\nyes\ncat\necho bye\n", "-addr", addr)
	assert.Equal(t, 0, code, "client exit status; stderr:\n%s", stderr)
	assert.Equal(t, "hello\n1000\n"+strings.Repeat("y\n", 50)+"bye\n", stdout)
	assert.Equal(t, "[exit code 3]\n[killed by the server: output limit of 100 bytes exceeded; exit code -1]\n", stderr)
}

func TestTimeLimit(t *testing.T) {
	server, client := build(t)
	_, addr := startServer(t, server, "-time-limit", "500ms")
	stdout, stderr, code := runClient(t, client, "sleep 30\n", "-addr", addr)
	assert.Equal(t, 0, code)
	assert.Equal(t, "", stdout)
	assert.Equal(t, "[killed by the server: time limit 500ms exceeded; exit code -1]\n", stderr)
}

func TestClaimR2_UnframedSession(t *testing.T) {
	server, client := build(t)
	_, addr := startServer(t, server, "-unframed")
	stdout, stderr, code := runClient(t, client, "seq 1 1000\necho second\n", "-addr", addr, "-proto", "unframed")
	assert.Equal(t, 0, code, "client exit status; stderr:\n%s", stderr)
	// Two reads of at most 1024 bytes each take only seq's output, so
	// "second" never shows: it waits in the socket behind seq's rest.
	assert.NotContains(t, stdout, "second")
	assert.True(t, strings.HasPrefix(stdout, "1\n2\n3\n"), "unframed client stdout = %.80q..., want seq's output", stdout)
}

// TestOneLineErrors checks the client's and the server's messages for the
// usual failures: one line on stderr, exit status 1.
func TestOneLineErrors(t *testing.T) {
	server, client := build(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	noServer := ln.Addr().String()
	ln.Close()

	// A server that takes the request, then hangs up.
	hangsUp, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer hangsUp.Close()
	go func() {
		conn, err := hangsUp.Accept()
		if err != nil {
			return
		}
		conn.SetDeadline(time.Now().Add(progtest.Timeout))
		// Read the whole request, so that closing sends a plain end of
		// stream rather than a reset.
		if h, err := frame.ReadHeader(conn); err == nil {
			io.Copy(io.Discard, h.Body(conn))
		}
		conn.Close()
	}()

	tests := []struct {
		name, bin string
		args      []string
		want      string
	}{
		{"no server", client, []string{"-addr", noServer}, "client: no server at " + noServer + " (connection refused): is the server running?\n"},
		{"bad address", client, []string{"-addr", "localhost"}, `client: bad address "localhost": missing port in address` + "\n"},
		{"dropped connection", client, []string{"-addr", hangsUp.Addr().String()}, "client: connection dropped by the server\n"},
		{"server refuses a non-loopback address", server, []string{"-addr", "0.0.0.0:0"},
			"server: listen 0.0.0.0:0: address is not loopback (this server runs shell commands for anyone who connects; pass -allow-remote to expose it)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := runClient(t, tt.bin, "echo hi\n", tt.args...)
			assert.Equal(t, 1, code, "exit status")
			assert.Equal(t, tt.want, stderr)
		})
	}
}

func TestLongCommandLine(t *testing.T) {
	server, client := build(t)
	_, addr := startServer(t, server)
	stdout, stderr, code := runClient(t, client, "echo "+strings.Repeat("x", 70000)+"\necho still here\n", "-addr", addr)
	assert.Equal(t, 0, code)
	assert.Equal(t, "client: command of 70005 bytes is too long (the limit is 65536); not sent\n", stderr)
	assert.Equal(t, "still here\n", stdout)
}

func TestCtrlCOnTheClient(t *testing.T) {
	server, client := build(t)
	srv, addr := startServer(t, server)
	cl := progtest.Start(t, client, "-addr", addr)
	cl.Write(t, "sleep 600\n")
	srv.Stderr.WaitFor(t, `command="sleep 600"`)
	require.NoError(t, cl.Cmd.Process.Signal(os.Interrupt))
	assert.Equal(t, 1, cl.Wait(t), "client exit status after Ctrl-C")
	assert.Equal(t, "client: interrupted while \"sleep 600\" was running; the server kills it\n", cl.Stderr.String())
	srv.Stderr.WaitFor(t, `killed="client disconnected"`)
}

// TestCtrlCOnTheServer stops the server while a command runs, with a
// grace too short for it, or cut short by a second Ctrl-C: the command is
// killed, and its client says so and fails. (e2e_unix_test.go has the
// command that ends within the grace.)
func TestCtrlCOnTheServer(t *testing.T) {
	server, client := build(t)
	for _, tt := range []struct {
		name  string
		grace string
		twice bool
	}{
		{"grace over", "100ms", false},
		{"second Ctrl-C", "1h", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv, addr := startServer(t, server, "-grace", tt.grace)
			cl := progtest.Start(t, client, "-addr", addr)
			cl.Write(t, "sleep 600\n")
			srv.Stderr.WaitFor(t, `command="sleep 600"`)
			require.NoError(t, srv.Cmd.Process.Signal(os.Interrupt))
			if tt.twice {
				srv.Stderr.WaitFor(t, `msg="shutting down"`)
				require.NoError(t, srv.Cmd.Process.Signal(os.Interrupt))
			}
			assert.Equal(t, 0, srv.Wait(t), "server exit status\n%s", srv.Output())
			assert.Contains(t, srv.Stderr.String(), `msg="grace over; killing the running commands" clients=1`)
			assert.Equal(t, 1, cl.Wait(t), "client exit status")
			assert.Equal(t, "client: the server shut down while \"sleep 600\" was running; the command was killed\n", cl.Stderr.String())
		})
	}
}

func TestServerBusy(t *testing.T) {
	server, client := build(t)
	_, addr := startServer(t, server, "-max-conns", "1")
	first := progtest.Start(t, client, "-addr", addr)
	first.Write(t, "echo first\n")
	first.Stdout.WaitFor(t, "first\n")
	_, stderr, code := runClient(t, client, "echo second\n", "-addr", addr)
	assert.Equal(t, 1, code)
	assert.Equal(t, "client: server busy: too many clients, try again later\n", stderr)
}

// structServer is the note's Python struct server, from chapter 04.
var structServer = filepath.Join("..", "..", "04-struct-framing", "note", "testdata", "server.py")

// TestProtoNotesWithTheNotesPythonServer talks to the note's own struct
// server (利用struct解决粘包问题) with -proto notes: a plain command in, a
// 4-byte length, a JSON header and the output back. It types one command
// at a time and sees each reply while the connection is open.
func TestProtoNotesWithTheNotesPythonServer(t *testing.T) {
	py := progtest.Python3(t)
	_, client := build(t)
	pysrv := progtest.Start(t, py, "-u", structServer, "127.0.0.1", "0")
	port := pysrv.Stdout.WaitMatch(t, regexp.MustCompile(`listening on port (\d+)\n`))[1]

	cl := progtest.Start(t, client, "-addr", net.JoinHostPort("127.0.0.1", port), "-proto", "notes")
	want := ""
	for _, step := range []struct{ command, output string }{
		{"echo hello", "hello\n"},
		{"echo out; echo err >&2", "out\nerr\n"}, // data_size only: both on stdout
		{"seq 1 1000 | tail -n 2", "999\n1000\n"},
	} {
		cl.Write(t, step.command+"\n")
		want += step.output
		cl.Stdout.WaitFor(t, want)
	}
	cl.CloseStdin()
	assert.Equal(t, 0, cl.Wait(t), "client exit status\n%s", cl.Output())
	assert.Equal(t, want, cl.Stdout.String())
	assert.Equal(t, "", cl.Stderr.String())
}

// TestProtoUnframedWithTheNotesPythonServer talks to the note's own
// simulated ssh server (模拟远程访问ssh) with -proto unframed.
func TestProtoUnframedWithTheNotesPythonServer(t *testing.T) {
	py := progtest.Python3(t)
	_, client := build(t)
	pysrv := progtest.Start(t, py, "-u", filepath.Join("..", "note", "testdata", "server.py"), "127.0.0.1", "0")
	port := pysrv.Stdout.WaitMatch(t, regexp.MustCompile(`listening on port (\d+)\n`))[1]

	cl := progtest.Start(t, client, "-addr", net.JoinHostPort("127.0.0.1", port), "-proto", "unframed")
	cl.Write(t, "echo hello\n")
	cl.Stdout.WaitFor(t, "hello\n")
	// seq prints 3893 bytes; each command gets what one read of 1024 brings.
	for _, command := range []string{"seq 1 1000", "echo second"} {
		before := len(cl.Stdout.String())
		cl.Write(t, command+"\n")
		cl.Stdout.WaitUntil(t, "the answer to "+command, func(text string) bool { return len(text) > before })
	}
	cl.CloseStdin()
	assert.Equal(t, 0, cl.Wait(t), "client exit status\n%s", cl.Output())
	// R2: what came back for "echo second" is more of seq's output.
	assert.NotContains(t, cl.Stdout.String(), "second")
}
