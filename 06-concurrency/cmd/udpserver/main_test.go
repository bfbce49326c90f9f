package main

import (
	"bytes"
	"context"
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
		{[]string{"-grace", "-1s"}, "must not be negative"},
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

var udpserverBin = &e2etest.Binary{Name: "udpserver"}

// TestMain removes the built binary at the end.
func TestMain(m *testing.M) {
	code := m.Run()
	udpserverBin.Remove()
	os.Exit(code)
}

// startBinary runs the udpserver binary with args and returns the address it
// logged, the command, its log and a channel of its exit status.
func startBinary(t *testing.T, args ...string) (string, *exec.Cmd, *e2etest.Log, chan error) {
	t.Helper()
	return e2etest.Start(t, udpserverBin.Path(t), args...)
}

// The real binary: two UDP clients each get their own datagram back, and
// Ctrl-C (SIGINT) stops it with status 0.
func TestUDPServerBinaryEndToEnd(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("sending os.Interrupt to a process is not supported on Windows")
	}
	addr, cmd, log, exited := startBinary(t, "-addr", "127.0.0.1:0")
	server, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	for _, msg := range []string{"from client one", "from client two"} {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(ioTimeout))
		if _, err := c.WriteTo([]byte(msg), server); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 1500)
		n, from, err := c.ReadFrom(buf)
		if err != nil || string(buf[:n]) != msg || from.String() != addr {
			t.Errorf("reply to %q = %q from %v, %v; want the same bytes from %s", msg, buf[:n], from, err, addr)
		}
	}

	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("udpserver exit after Ctrl-C: %v, want status 0\n%s", err, log)
		}
	case <-time.After(ioTimeout):
		t.Fatalf("udpserver still running %v after Ctrl-C\n%s", ioTimeout, log)
	}
	for _, want := range []string{"msg=datagram", "bytes=15", "shutting down", "msg=stopped"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("udpserver log lacks %q:\n%s", want, log)
		}
	}
}
