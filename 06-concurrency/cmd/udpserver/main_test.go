package main

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

const ioTimeout = 10 * time.Second

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

var (
	binDir    string
	buildOnce sync.Once
	binPath   string
	buildOut  []byte
	buildErr  error
)

// TestMain gives the built binary a directory that is removed at the end.
func TestMain(m *testing.M) {
	var err error
	binDir, err = os.MkdirTemp("", "udpserver-e2e")
	if err != nil {
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(binDir)
	os.Exit(code)
}

// buildUDPServer compiles this command once per test binary (-count=N runs
// the tests N times but builds once).
func buildUDPServer(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		binPath = filepath.Join(binDir, "udpserver")
		buildOut, buildErr = exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
	})
	if buildErr != nil {
		t.Fatalf("go build: %v\n%s", buildErr, buildOut)
	}
	return binPath
}

// startBinary runs the server binary with args and returns the address it
// logged, a channel of its remaining stderr lines and the command.
func startBinary(t *testing.T, args ...string) (string, *exec.Cmd, *lockedBuffer, chan error) {
	t.Helper()
	cmd := exec.Command(buildUDPServer(t), args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	log := &lockedBuffer{}
	addrc := make(chan string, 1)
	exited := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			log.WriteLine(line)
			if strings.Contains(line, "msg=listening") {
				for _, f := range strings.Fields(line) {
					if a, ok := strings.CutPrefix(f, "addr="); ok {
						addrc <- a
					}
				}
			}
		}
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() { cmd.Process.Kill() })
	select {
	case a := <-addrc:
		return a, cmd, log, exited
	case err := <-exited:
		t.Fatalf("server exited before listening: %v\n%s", err, log)
	case <-time.After(ioTimeout):
		t.Fatalf("server did not log its address within %v\n%s", ioTimeout, log)
	}
	return "", nil, nil, nil
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) WriteLine(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.WriteString(s + "\n")
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
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
