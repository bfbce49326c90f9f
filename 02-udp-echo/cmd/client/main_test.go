package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosockets/tutorial/02-udp-echo/internal/e2etest"
	"github.com/gosockets/tutorial/02-udp-echo/udpecho"
)

// serverBin and clientBin are the real commands, built once by TestMain.
var serverBin, clientBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "udpecho-client-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bins, err := e2etest.Build(dir, "server", "client")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	serverBin, clientBin = bins[0], bins[1]
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// startEchoServer runs an in-process echo server and returns its address.
func startEchoServer(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	require.NoError(t, err)
	s := &udpecho.Server{}
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(pc) }()
	t.Cleanup(func() {
		s.Close()
		if err := <-errc; !errors.Is(err, udpecho.ErrServerClosed) {
			t.Errorf("Serve() = %v, want ErrServerClosed", err)
		}
	})
	return pc.LocalAddr().String()
}

// deadAddr returns a loopback UDP address where nothing listens.
func deadAddr(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	require.NoError(t, err)
	addr := pc.LocalAddr().String()
	require.NoError(t, pc.Close())
	return addr
}

// silentAddr returns the address of a bound socket that never replies.
func silentAddr(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { pc.Close() })
	return pc.LocalAddr().String()
}

func TestRunEchoesLinesIncludingEmptyOnes(t *testing.T) {
	addr := startEchoServer(t)
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"-addr", addr}, strings.NewReader("hello\n\nworld\r\n"), &stdout, &stderr)
	require.NoError(t, err)
	assert.Equal(t, "hello\n\nworld\n", stdout.String(), "stdout: no prompt, since stdin is not a terminal")
	assert.Empty(t, stderr.String())
}

func TestRunStopsWhenContextEnds(t *testing.T) {
	addr := startEchoServer(t)
	stdin, stdinW := io.Pipe()
	defer stdinW.Close()
	stdoutR, stdout := io.Pipe()
	defer stdoutR.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- run(ctx, []string{"-addr", addr}, stdin, stdout, io.Discard) }()

	// One exchange, so the client is surely up and waiting for the next line.
	_, err := stdinW.Write([]byte("hello\n"))
	require.NoError(t, err)
	reply := make([]byte, len("hello\n"))
	_, err = io.ReadFull(stdoutR, reply)
	require.NoError(t, err)
	require.Equal(t, "hello\n", string(reply))

	cancel() // as Ctrl-C does, through signal.NotifyContext
	select {
	case err := <-errc:
		assert.NoError(t, err, "run after Ctrl-C")
	case <-time.After(e2etest.Wait):
		t.Fatal("run did not return after its context ended")
	}
}

func TestRunFlagErrors(t *testing.T) {
	for _, args := range [][]string{{"-nope"}, {"extra"}, {"-timeout", "0s"}, {"-timeout", "soon"}} {
		var stderr bytes.Buffer
		err := run(context.Background(), args, strings.NewReader(""), &bytes.Buffer{}, &stderr)
		assert.ErrorIs(t, err, errUsage, "run(%q)", args)
		assert.Contains(t, stderr.String(), "Usage", "run(%q) stderr", args)
	}
}

func TestRunLineTooLongForADatagram(t *testing.T) {
	addr := startEchoServer(t)
	in := "ok\n" + strings.Repeat("x", udpecho.MaxPayload+10) + "\n"
	var stdout bytes.Buffer
	err := run(context.Background(), []string{"-addr", addr}, strings.NewReader(in), &stdout, &bytes.Buffer{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "too long for one datagram")
	assert.Equal(t, "ok\n", stdout.String(), "the line before the long one was sent and answered")
}

// The end-to-end tests below build the real binaries and drive them
// through stdin and stdout.

func TestE2E_ClientTalksToServer(t *testing.T) {
	srv := e2etest.Start(t, serverBin, "-addr", "127.0.0.1:0")
	addr := srv.ListenAddr(t)

	res := e2etest.Run(t, "hello\n\n你好, UDP\nbye\n", clientBin, "-addr", addr)
	assert.Equal(t, 0, res.ExitCode, "client exit status; stderr %q", res.Stderr)
	assert.Equal(t, "hello\n\n你好, UDP\nbye\n", res.Stdout, "client stdout")
	assert.Empty(t, res.Stderr, "client stderr")

	// The server logged each datagram, the empty one too (U3), with the
	// client's address.
	line := srv.WaitStderr(t, "len=0")
	assert.Regexp(t, `msg=datagram from=127\.0\.0\.1:\d+ len=0 data=""$`, line)
	srv.WaitStderr(t, "data=bye")

	require.NoError(t, srv.Cmd.Process.Signal(os.Interrupt))
	assert.Equal(t, 0, srv.ExitCode(t), "server exit status after Ctrl-C")
	srv.WaitStderr(t, "msg=stopped")
}

// When the server goes away during a session, the next line fails with one
// clear error instead of hanging.
func TestE2E_ServerGoesAway(t *testing.T) {
	srv := e2etest.Start(t, serverBin, "-addr", "127.0.0.1:0")
	addr := srv.ListenAddr(t)
	cli := e2etest.Start(t, clientBin, "-addr", addr)

	_, err := cli.Stdin.Write([]byte("one\n"))
	require.NoError(t, err)
	assert.Equal(t, "one\n", cli.ReadStdoutUntil(t, "\n"))

	require.NoError(t, srv.Cmd.Process.Signal(os.Interrupt))
	require.Equal(t, 0, srv.ExitCode(t), "server exit status")

	_, err = cli.Stdin.Write([]byte("two\n"))
	require.NoError(t, err)
	assert.Equal(t, 1, cli.ExitCode(t), "client exit status")
	assert.Equal(t, []string{"client: no server at " + addr + ": connection refused (is the server running?)"}, cli.StderrLines())
}

func TestE2E_ClientEndsAtEndOfInput(t *testing.T) {
	res := e2etest.Run(t, "", clientBin, "-addr", deadAddr(t))
	assert.Equal(t, 0, res.ExitCode, "exit status with empty input; stderr %q", res.Stderr)
	assert.Empty(t, res.Stdout)
	assert.Empty(t, res.Stderr)
}

func TestE2E_ClientNoServer(t *testing.T) {
	addr := deadAddr(t)
	res := e2etest.Run(t, "hello\n", clientBin, "-addr", addr)
	assert.Equal(t, 1, res.ExitCode, "exit status")
	assert.Empty(t, res.Stdout)
	// A connected UDP socket on Linux learns of the ICMP "port unreachable"
	// (U4); elsewhere the client may only time out.
	assert.Equal(t, "client: no server at "+addr+": connection refused (is the server running?)\n", res.Stderr)
}

func TestE2E_ClientLostReply(t *testing.T) {
	addr := silentAddr(t)
	res := e2etest.Run(t, "hello\nnever sent\n", clientBin, "-addr", addr, "-timeout", "200ms")
	assert.Equal(t, 1, res.ExitCode, "exit status")
	assert.Empty(t, res.Stdout)
	assert.Equal(t, "client: no reply from "+addr+" within 200ms (is the server running? UDP cannot tell a missing server from a lost datagram)\n", res.Stderr)
}

func TestE2E_ClientBadAddress(t *testing.T) {
	for _, tt := range []struct{ addr, want string }{
		{"nonsense", `client: bad address "nonsense": missing port in address` + "\n"},
		{"127.0.0.1:99999", `client: bad address "127.0.0.1:99999": invalid port` + "\n"},
	} {
		res := e2etest.Run(t, "hello\n", clientBin, "-addr", tt.addr)
		assert.Equal(t, 1, res.ExitCode, "exit status for -addr %s", tt.addr)
		assert.Equal(t, tt.want, res.Stderr, "stderr for -addr %s", tt.addr)
	}
}

// Interop: our client talks to a Python server written the way the notes
// write theirs (recvfrom(1024), sendto), echoing instead of typing.
func TestE2E_ClientWithNotesPythonServer(t *testing.T) {
	python := e2etest.Python(t)
	script, err := filepath.Abs(filepath.Join("testdata", "notes_udp_echo_server.py"))
	require.NoError(t, err)
	py := e2etest.Start(t, python, "-u", script)
	port := py.ReadStdoutUntil(t, "\n")
	addr := "127.0.0.1:" + strings.TrimSpace(port)

	long := strings.Repeat("0123456789", 200) // 2000 bytes
	res := e2etest.Run(t, "hello\n\n你好\n"+long+"\n", clientBin, "-addr", addr, "-timeout", "5s")
	assert.Equal(t, 0, res.ExitCode, "client exit status; stderr %q", res.Stderr)
	// The Python server reads with recvfrom(1024): it silently drops all
	// but the first 1024 bytes of the long line (U5) and echoes that.
	assert.Equal(t, "hello\n\n你好\n"+long[:1024]+"\n", res.Stdout, "client stdout")

	// The Python server printed each message with the client's address.
	seen := py.ReadStdoutUntil(t, "('127.0.0.1', ")
	assert.True(t, strings.HasPrefix(seen, "hello ('127.0.0.1', "), "Python server printed %q", seen)
}
