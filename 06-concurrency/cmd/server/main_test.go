package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gosockets/tutorial/06-concurrency/internal/e2etest"
)

const ioTimeout = e2etest.Timeout

func TestRunRejectsBadArguments(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-max-conns", "-1"}, "must not be negative"},
		{[]string{"-idle-timeout", "soon"}, "invalid value"},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"-addr", "127.0.0.1:no-such-port"}, "unknown port"},
	}
	for _, tt := range tests {
		var stderr bytes.Buffer
		err := run(context.Background(), tt.args, &stderr)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("run(%q) = %v, want an error containing %q", tt.args, err, tt.want)
		}
	}
}

var serverBin = &e2etest.Binary{Name: "server"}

// TestMain removes the built binary at the end.
func TestMain(m *testing.M) {
	code := m.Run()
	serverBin.Remove()
	os.Exit(code)
}

// startBinary runs the server binary with args and returns the address it
// logged, the command, its log and a channel of its exit status.
func startBinary(t *testing.T, args ...string) (string, *exec.Cmd, *e2etest.Log, chan error) {
	t.Helper()
	return e2etest.Start(t, serverBin.Path(t), args...)
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, ioTimeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(ioTimeout))
	return c
}

func mustEcho(t *testing.T, c net.Conn, msg string) {
	t.Helper()
	if _, err := io.WriteString(c, msg); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, len(msg))
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != msg {
		t.Fatalf("echo of %q = %q, %v", msg, buf, err)
	}
}

// The real binary: two clients are served at once, a third over -max-conns
// is told "server busy", and Ctrl-C (SIGINT) ends the idle conversations
// and exits 0.
func TestServerBinaryEndToEnd(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("sending os.Interrupt to a process is not supported on Windows")
	}
	addr, cmd, log, exited := startBinary(t, "-addr", "127.0.0.1:0", "-max-conns", "2", "-grace", "5s")

	a, b := dial(t, addr), dial(t, addr)
	mustEcho(t, a, "client a")
	mustEcho(t, b, "client b")
	mustEcho(t, a, "client a again")

	c := dial(t, addr)
	if got, err := io.ReadAll(c); err != nil || string(got) != "server busy\n" {
		t.Errorf("third client with -max-conns 2 read %q, %v; want \"server busy\\n\" then EOF", got, err)
	}

	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	for _, conn := range []net.Conn{a, b} {
		if got, err := io.ReadAll(conn); err != nil || len(got) != 0 {
			t.Errorf("connected client after Ctrl-C read %q, %v; want EOF", got, err)
		}
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("server exit after Ctrl-C: %v, want status 0\n%s", err, log)
		}
	case <-time.After(ioTimeout):
		t.Fatalf("server still running %v after Ctrl-C\n%s", ioTimeout, log)
	}
	for _, want := range []string{"connection opened", "connection over limit", "shutting down", "msg=stopped"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("server log lacks %q:\n%s", want, log)
		}
	}
	if late, err := net.DialTimeout("tcp", addr, ioTimeout); err == nil {
		late.Close()
		t.Errorf("dial after the server stopped succeeded")
	}
}
