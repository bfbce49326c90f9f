// Package e2e builds the chapter's commands and drives them as a person would.
package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockets/tutorial/03-sticky-packets/internal/testexec"
)

// binDir holds the commands built once for all the tests of this package.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sticky-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildOnce maps a command name to its *built, so each command is built once.
var buildOnce sync.Map

type built struct {
	once sync.Once
	path string
	err  error
}

// build compiles the named commands of this module, once per test binary, and
// returns their paths.
func build(t *testing.T, names ...string) map[string]string {
	t.Helper()
	paths := map[string]string{}
	for _, name := range names {
		v, _ := buildOnce.LoadOrStore(name, &built{})
		b := v.(*built)
		b.once.Do(func() {
			b.path, b.err = testexec.Build(binDir, name, "github.com/gosockets/tutorial/03-sticky-packets/cmd/"+name)
		})
		require.NoError(t, b.err)
		paths[name] = b.path
	}
	return paths
}

// nextLine returns the next line from ch, failing the test after a timeout.
func nextLine(t *testing.T, ch <-chan string) string {
	t.Helper()
	return testexec.Next(t, ch, "output")
}

func runCmd(t *testing.T, exe string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	var o, e bytes.Buffer
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	return o.String(), e.String(), err
}

func TestEndToEndServerAndClient(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("stops the server with an interrupt signal, which Windows cannot send")
	}
	bin := build(t, "server", "client")
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	srv := exec.CommandContext(ctx, bin["server"], "-addr", "127.0.0.1:0", "-bufsize", "1")
	srv.WaitDelay = 5 * time.Second
	srvOut, err := srv.StdoutPipe()
	require.NoError(t, err)
	srvErr, err := srv.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, srv.Start())
	outLines, errLines := testexec.Lines(srvOut), testexec.Lines(srvErr)

	first := nextLine(t, errLines)
	m := regexp.MustCompile(`msg=listening addr=(\S+)`).FindStringSubmatch(first)
	require.NotNil(t, m, "server's first log line %q does not give its address", first)
	addr := m[1]

	stdout, stderr, err := runCmd(t, bin["client"], "-addr", addr)
	require.NoError(t, err, "client: %s", stderr)
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	require.Len(t, lines, 3, "client output:\n%s", stdout)
	if !strings.HasPrefix(lines[0], "Nagle's algorithm: off") {
		t.Errorf("client line 1 = %q, want Nagle off by default", lines[0])
	}
	for i, want := range []string{`write #1: 10 bytes "helloworld"`, `write #2: 2 bytes "SB"`} {
		if !strings.HasPrefix(lines[i+1], want) {
			t.Errorf("client line %d = %q, want it to start with %q", i+2, lines[i+1], want)
		}
	}

	if l := nextLine(t, outLines); !strings.HasPrefix(l, "connection from 127.0.0.1:") {
		t.Errorf("server line = %q, want the connection", l)
	}
	for i, c := range "helloworldSB" {
		want := fmt.Sprintf("read #%d: 1 byte %q", i+1, string(c))
		if l := nextLine(t, outLines); l != want {
			t.Errorf("server line = %q, want %q", l, want)
		}
	}
	if l, want := nextLine(t, outLines), "connection closed after 12 reads"; l != want {
		t.Errorf("server line = %q, want %q", l, want)
	}

	// Nagle back on, a gap between writes, and our own messages.
	stdout, stderr, err = runCmd(t, bin["client"], "-addr", addr, "-nodelay=false", "-gap", "10ms", "ab", "c")
	require.NoError(t, err, "client: %s", stderr)
	if !strings.HasPrefix(stdout, "Nagle's algorithm: on (-nodelay=false, as in Python)") {
		t.Errorf("client with -nodelay=false printed:\n%s", stdout)
	}
	var got string
	nextLine(t, outLines) // connection from
	for range 3 {
		l := nextLine(t, outLines)
		got += l[len(l)-2 : len(l)-1]
	}
	if got != "abc" {
		t.Errorf("server read %q, want %q", got, "abc")
	}

	require.NoError(t, srv.Process.Signal(os.Interrupt))
	var logs []string
	for l := range errLines {
		logs = append(logs, l)
	}
	assert.NoError(t, srv.Wait(), "server after an interrupt: want a clean exit")
	joined := strings.Join(logs, "\n")
	for _, want := range []string{"msg=\"client connected\"", "msg=\"client left\"", "bytes=12", "msg=\"shutting down\""} {
		assert.Contains(t, joined, want, "server log")
	}
}

func TestClientErrors(t *testing.T) {
	bin := build(t, "client")
	// A port with no listener: listen, note the port, close.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	free := ln.Addr().String()
	require.NoError(t, ln.Close())

	tests := []struct {
		name   string
		args   []string
		stderr string
		code   int
	}{
		{"no server", []string{"-addr", free},
			"client: no server at " + free + " (connection refused): is the server running?\n", 1},
		{"bad address", []string{"-addr", "no-port-here"},
			`client: bad address "no-port-here": address no-port-here: missing port in address` + "\n", 1},
		{"bad flag", []string{"-gap", "soon"},
			`client: invalid value "soon" for flag -gap: parse error (-h lists the flags)` + "\n", 2},
		{"negative gap", []string{"-gap", "-1s"}, "client: -gap -1s: must not be negative\n", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, err := runCmd(t, bin["client"], tt.args...)
			assert.Equal(t, tt.code, testexec.ExitCode(err), "exit status")
			assert.Equal(t, tt.stderr, stderr)
		})
	}
}

func TestClientDroppedByTheServer(t *testing.T) {
	bin := build(t, "client")
	// A server that resets the connection after its first byte, so the client
	// has connected and written before the reset.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		c.SetDeadline(time.Now().Add(10 * time.Second))
		c.Read(make([]byte, 1))
		c.(*net.TCPConn).SetLinger(0)
		c.Close()
	}()
	// Enough writes, a little apart, that one meets the reset.
	args := []string{"-addr", ln.Addr().String(), "-gap", "20ms"}
	for range 20 {
		args = append(args, "x")
	}
	_, stderr, err := runCmd(t, bin["client"], args...)
	assert.Equal(t, 1, testexec.ExitCode(err), "exit status")
	assert.Equal(t, "client: connection dropped by the server: connection reset by peer\n", stderr)
}

func TestServerUsageErrors(t *testing.T) {
	bin := build(t, "server")
	for _, args := range [][]string{{"-bufsize", "0"}, {"-delay", "-1s"}, {"-idle", "-1s"}, {"extra"}, {"-nope"}} {
		_, stderr, err := runCmd(t, bin["server"], args...)
		assert.Equal(t, 2, testexec.ExitCode(err), "server %q: exit status", args)
		assert.Equal(t, 1, strings.Count(stderr, "\n"), "server %q: stderr %q, want one line", args, stderr)
		assert.Regexp(t, `^server: `, stderr, "server %q", args)
	}
}

func TestDemo(t *testing.T) {
	bin := build(t, "demo")

	t.Run("receiver", func(t *testing.T) {
		stdout, stderr, err := runCmd(t, bin["demo"], "receiver")
		require.NoError(t, err, "stderr: %s", stderr)
		want := `=== receiver (S2 S4): a reader that reads late gets both writes in one read
-- receiver (S4): the reader reads late, 1024 bytes at a time
  writer                          | reader
  --------------------------------+-------------------------
  write #1: 10 bytes "helloworld" |
  write #2: 2 bytes "SB"          |
                                  | (starts reading only now)
                                  | read #1: 12 bytes "helloworldSB"
                                  | EOF (the writer closed)
  => 2 writes became 1 read: the boundaries between the writes are gone
`
		if diff := cmp.Diff(want, stdout); diff != "" {
			t.Errorf("demo receiver (-want +got):\n%s", diff)
		}
	})

	t.Run("all", func(t *testing.T) {
		stdout, stderr, err := runCmd(t, bin["demo"], "-gap", "20ms", "all")
		require.NoError(t, err, "stderr: %s", stderr)
		for _, want := range []string{
			"=== receiver (S2 S4)", "=== partial (S5)", "=== sender (S3)", "=== sleep (S6)", "=== udp (S1)", "=== lengths (S7)",
			`read #1: 12 bytes "helloworldSB"`,                  // receiver, slow sleep
			`read #2: 11 bytes "elloworldSB"`,                   // partial
			"sleep (S6), prompt reader: the writer sleeps 20ms", // -gap reached the case
		} {
			assert.Contains(t, stdout, want, "demo all")
		}
		if runtime.GOOS == "linux" {
			assert.Contains(t, stdout, "3 writes left as 1 data segment (TCP_INFO)", "demo all on Linux: the cork run")
		}
	})

	t.Run("usage errors", func(t *testing.T) {
		for _, args := range [][]string{{}, {"nope"}, {"receiver", "udp"}, {"-gap", "0s", "sleep"}} {
			_, stderr, err := runCmd(t, bin["demo"], args...)
			assert.Equal(t, 2, testexec.ExitCode(err), "demo %q: exit status", args)
			assert.Regexp(t, `^demo: [^\n]*\n$`, stderr, "demo %q: want one line", args)
		}
	})
}
