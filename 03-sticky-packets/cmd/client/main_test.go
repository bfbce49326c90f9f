package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
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
			exe := filepath.Join(binDir, name)
			if runtime.GOOS == "windows" {
				exe += ".exe"
			}
			out, err := exec.Command("go", "build", "-o", exe, "github.com/gosockets/tutorial/03-sticky-packets/cmd/"+name).CombinedOutput()
			if err != nil {
				b.err = fmt.Errorf("go build %s: %v: %s", name, err, out)
			}
			b.path = exe
		})
		require.NoError(t, b.err)
		paths[name] = b.path
	}
	return paths
}

// lineReader hands the lines of r to a channel.
func lineReader(r io.Reader) <-chan string {
	ch := make(chan string, 100)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			ch <- sc.Text()
		}
	}()
	return ch
}

// nextLine returns the next line from ch, failing the test after a timeout.
func nextLine(t *testing.T, ch <-chan string) string {
	t.Helper()
	select {
	case s, ok := <-ch:
		if !ok {
			t.Fatal("output ended early")
		}
		return s
	case <-time.After(10 * time.Second):
		t.Fatal("timed out waiting for a line of output")
	}
	return ""
}

func runClient(t *testing.T, exe string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
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
	srvOut, err := srv.StdoutPipe()
	require.NoError(t, err)
	srvErr, err := srv.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, srv.Start())
	outLines, errLines := lineReader(srvOut), lineReader(srvErr)

	first := nextLine(t, errLines)
	m := regexp.MustCompile(`msg=listening addr=(\S+)`).FindStringSubmatch(first)
	require.NotNil(t, m, "server's first log line %q does not give its address", first)
	addr := m[1]

	stdout, stderr, err := runClient(t, bin["client"], "-addr", addr)
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
	stdout, stderr, err = runClient(t, bin["client"], "-addr", addr, "-nodelay=false", "-gap", "10ms", "ab", "c")
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
	for l := range errLines {
		if strings.Contains(l, "msg=\"shut down\"") {
			break
		}
	}
	if err := srv.Wait(); err != nil {
		t.Errorf("server after an interrupt: %v, want a clean exit", err)
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
		name string
		args []string
		want string
	}{
		{"no server", []string{"-addr", free}, "connection refused (is the server running?)"},
		{"bad address", []string{"-addr", "no-port-here"}, "bad address"},
		{"bad flag", []string{"-gap", "soon"}, "invalid value"},
		{"negative gap", []string{"-gap", "-1s"}, "must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, err := runClient(t, bin["client"], tt.args...)
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() == 0 {
				t.Errorf("client %v: err = %v, want a non-zero exit", tt.args, err)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("client %v: stderr = %q, want it to contain %q", tt.args, stderr, tt.want)
			}
			if n := strings.Count(strings.TrimSpace(stderr), "\n"); tt.name != "bad flag" && n != 0 {
				t.Errorf("client %v: stderr has %d lines, want one:\n%s", tt.args, n+1, stderr)
			}
		})
	}
}
