package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockets/tutorial/05-remote-shell/rsh"
)

// ioTimeout bounds every wait of these tests.
const ioTimeout = 20 * time.Second

// logBuffer collects a server's log and lets a test wait for a line.
type logBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	changed chan struct{} // closed and replaced at each Write
}

func newLogBuffer() *logBuffer { return &logBuffer{changed: make(chan struct{})} }

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	close(l.changed)
	l.changed = make(chan struct{})
	return l.b.Write(p)
}

// waitFor waits until the log holds substr.
func (l *logBuffer) waitFor(t *testing.T, substr string) {
	t.Helper()
	timeout := time.NewTimer(ioTimeout)
	defer timeout.Stop()
	for {
		l.mu.Lock()
		text, changed := l.b.String(), l.changed
		l.mu.Unlock()
		if strings.Contains(text, substr) {
			return
		}
		select {
		case <-changed:
		case <-timeout.C:
			t.Fatalf("server log lacks %q after %v:\n%s", substr, ioTimeout, text)
		}
	}
}

// startServer serves s on a free loopback port and returns its address
// and its log.
func startServer(t *testing.T, s *rsh.Server) (string, *logBuffer) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	logs := newLogBuffer()
	s.Logger = slog.New(slog.NewTextHandler(logs, nil))
	s.TempDir = t.TempDir()
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(ln) }()
	t.Cleanup(func() {
		s.Close()
		if err := <-errc; !errors.Is(err, rsh.ErrServerClosed) {
			t.Errorf("Serve() = %v, want ErrServerClosed", err)
		}
	})
	return ln.Addr().String(), logs
}

// result is what one run of the client did.
type result struct {
	stdout, stderr string
	err            error
}

// start runs the client's run function on a goroutine, with stdin from r.
func start(ctx context.Context, args []string, r io.Reader) <-chan result {
	done := make(chan result, 1)
	go func() {
		var out, errw bytes.Buffer
		err := run(ctx, args, r, &out, &errw)
		done <- result{out.String(), errw.String(), err}
	}()
	return done
}

// wait waits for a run started by start.
func wait(t *testing.T, done <-chan result) result {
	t.Helper()
	select {
	case r := <-done:
		return r
	case <-time.After(ioTimeout):
		t.Fatalf("the client did not finish within %v", ioTimeout)
		return result{}
	}
}

func runClient(t *testing.T, args []string, input string) result {
	t.Helper()
	return wait(t, start(context.Background(), args, strings.NewReader(input)))
}

func TestClientPrintsOutputAndNonZeroExitCodes(t *testing.T) {
	addr, _ := startServer(t, &rsh.Server{})
	got := runClient(t, []string{"-addr", addr}, "echo hello\n\nexit 4\necho err >&2\n")
	require.NoError(t, got.err)
	// No prompt: stdin is not a terminal. The empty line is skipped.
	assert.Equal(t, "hello\n", got.stdout)
	assert.Equal(t, "[exit code 4]\nerr\n", got.stderr)
}

func TestClaimR4_ClientDecodesGBK(t *testing.T) {
	addr, _ := startServer(t, &rsh.Server{})
	got := runClient(t, []string{"-addr", addr, "-encoding", "gbk"}, `printf '\326\320\316\304\n'`+"\n")
	require.NoError(t, got.err)
	assert.Equal(t, "中文\n", got.stdout)
}

func TestClientTellsWhyACommandWasKilled(t *testing.T) {
	addr, _ := startServer(t, &rsh.Server{TimeLimit: 200 * time.Millisecond})
	got := runClient(t, []string{"-addr", addr}, "sleep 60\necho next\n")
	require.NoError(t, got.err)
	assert.Equal(t, "[killed by the server: time limit 200ms exceeded; exit code -1]\n", got.stderr)
	assert.Equal(t, "next\n", got.stdout, "the session goes on after a kill")
}

// TestLongCommandLine sends a line longer than any command can be: the
// client says so in one line, sends nothing, and the session goes on.
func TestLongCommandLine(t *testing.T) {
	addr, _ := startServer(t, &rsh.Server{})
	long := "echo " + strings.Repeat("x", 70000)
	got := runClient(t, []string{"-addr", addr}, long+"\necho still here\r\n")
	require.NoError(t, got.err)
	assert.Equal(t, "client: command of 70005 bytes is too long (the limit is 65536); not sent\n", got.stderr)
	assert.Equal(t, "still here\n", got.stdout)

	t.Run("notes", func(t *testing.T) {
		got := runClient(t, []string{"-addr", addr, "-proto", "notes"}, "echo "+strings.Repeat("y", 1020)+"\necho "+strings.Repeat("z", 1019)+"\n")
		require.NoError(t, got.err)
		assert.Equal(t, "client: command of 1025 bytes is too long (the limit is 1024); not sent\n", got.stderr)
		assert.Equal(t, strings.Repeat("z", 1019)+"\n", got.stdout)
	})
}

func TestReadLine(t *testing.T) {
	tests := []struct {
		in       string
		keep     int
		wantText string
		wantN    int
	}{
		{"ls\n", 10, "ls", 2},
		{"ls\r\n", 10, "ls", 2},
		{"ls", 10, "ls", 2},
		{strings.Repeat("a", 5000) + "\n", 10, strings.Repeat("a", 10), 5000},
		{strings.Repeat("a", 5000) + "\r\n", 10, strings.Repeat("a", 10), 5000},
	}
	for _, tt := range tests {
		l, err := readLine(newReader(tt.in), tt.keep)
		if err != nil && err != io.EOF {
			t.Fatalf("readLine(%.20q) error = %v", tt.in, err)
		}
		assert.Equal(t, tt.wantText, l.text, "text of readLine(%.20q, %d)", tt.in, tt.keep)
		assert.Equal(t, tt.wantN, l.n, "length of readLine(%.20q, %d)", tt.in, tt.keep)
	}
}

func TestCtrlC(t *testing.T) {
	t.Run("while a command runs", func(t *testing.T) {
		addr, logs := startServer(t, &rsh.Server{})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		stdin, typed := io.Pipe()
		defer typed.Close()
		done := start(ctx, []string{"-addr", addr}, stdin)
		_, err := io.WriteString(typed, "sleep 600\n")
		require.NoError(t, err)
		logs.waitFor(t, `command="sleep 600"`)
		cancel() // what Ctrl-C does, through signal.NotifyContext
		got := wait(t, done)
		assert.EqualError(t, got.err, `interrupted while "sleep 600" was running; the server kills it`)
		logs.waitFor(t, `killed="client disconnected"`)
	})
	t.Run("at the prompt", func(t *testing.T) {
		addr, logs := startServer(t, &rsh.Server{})
		ctx, cancel := context.WithCancel(context.Background())
		stdin, typed := io.Pipe() // nothing is ever typed
		defer typed.Close()
		done := start(ctx, []string{"-addr", addr}, stdin)
		logs.waitFor(t, `msg="client connected"`)
		cancel()
		assert.EqualError(t, wait(t, done).err, "interrupted")
	})
}

// TestServerShutdownKillsTheCommand stops the server while a command runs
// and its grace is short: the client says what happened and fails.
func TestServerShutdownKillsTheCommand(t *testing.T) {
	srv := &rsh.Server{}
	addr, logs := startServer(t, srv)
	stdin, typed := io.Pipe()
	defer typed.Close()
	done := start(context.Background(), []string{"-addr", addr}, stdin)
	_, err := io.WriteString(typed, "sleep 600\n")
	require.NoError(t, err)
	logs.waitFor(t, `command="sleep 600"`)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, srv.Shutdown(ctx), context.DeadlineExceeded)
	got := wait(t, done)
	assert.EqualError(t, got.err, `the server shut down while "sleep 600" was running; the command was killed`)
}

func TestServerBusy(t *testing.T) {
	addr, _ := startServer(t, &rsh.Server{MaxConns: 1})
	// The first client holds the only place.
	stdin, typed := io.Pipe()
	defer typed.Close()
	holder := start(context.Background(), []string{"-addr", addr}, stdin)
	_, err := io.WriteString(typed, "echo first\n")
	require.NoError(t, err)

	for _, proto := range []string{"framed", "notes"} {
		got := runClient(t, []string{"-addr", addr, "-proto", proto}, "echo second\n")
		assert.EqualError(t, got.err, "server busy: too many clients, try again later", "-proto %s", proto)
	}
	typed.Close()
	assert.Equal(t, "first\n", wait(t, holder).stdout)
}

func TestProtocols(t *testing.T) {
	t.Run("notes", func(t *testing.T) {
		// The note's struct protocol, against our server, which takes a
		// plain command as the note's server does.
		addr, _ := startServer(t, &rsh.Server{})
		got := runClient(t, []string{"-addr", addr, "-proto", "notes"}, "echo out; echo err >&2; exit 2\n")
		require.NoError(t, got.err)
		assert.Equal(t, "out\n", got.stdout)
		assert.Equal(t, "err\n[exit code 2]\n", got.stderr)
	})
	t.Run("unframed", func(t *testing.T) {
		addr, _ := startServer(t, &rsh.Server{Unframed: true})
		got := runClient(t, []string{"-addr", addr, "-proto", "unframed", "-timeout", "200ms"}, "echo hello\ntrue\n")
		require.NoError(t, got.err)
		assert.Equal(t, "hello\n", got.stdout)
		assert.Regexp(t, `^client: no reply from 127\.0\.0\.1:\d+ within 200ms \(the unframed server sends nothing for a command that prints nothing\)\n$`, got.stderr)
	})
}

func TestClientErrors(t *testing.T) {
	// A port with no listener: take one and close it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closedAddr := ln.Addr().String()
	ln.Close()

	tests := []struct {
		name  string
		args  []string
		want  string
		usage bool
	}{
		{"no server", []string{"-addr", closedAddr}, "no server at " + closedAddr + " (connection refused): is the server running?", false},
		{"bad address", []string{"-addr", "no-port-here"}, `bad address "no-port-here": missing port in address`, false},
		{"bad flag", []string{"-unframed"}, "flag provided but not defined: -unframed", true},
		{"bad encoding", []string{"-encoding", "latin9"}, `unknown -encoding "latin9" (want utf-8 or gbk)`, true},
		{"bad proto", []string{"-proto", "ssh"}, `unknown -proto "ssh" (want framed, notes or unframed)`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runClient(t, tt.args, "echo hi\n")
			assert.EqualError(t, got.err, tt.want, "run(%q)", tt.args)
			var ue usageError
			assert.Equal(t, tt.usage, errors.As(got.err, &ue), "run(%q) is a usage error (exit status 2)", tt.args)
		})
	}
}

func newReader(s string) *bufio.Reader { return bufio.NewReaderSize(strings.NewReader(s), 16) }
