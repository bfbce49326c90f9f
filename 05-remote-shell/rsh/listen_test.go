package rsh_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/gosockets/tutorial/05-remote-shell/rsh"
)

func TestListenRefusesNonLoopbackWithoutPermission(t *testing.T) {
	// None of these is ever bound: Listen refuses them before binding.
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0", "192.0.2.1:0", "10.0.0.1:8080"} {
		ln, err := rsh.Listen(context.Background(), addr, false)
		if err == nil {
			ln.Close()
			t.Errorf("Listen(%q, allowRemote=false) succeeded, want ErrNotLoopback", addr)
			continue
		}
		if !errors.Is(err, rsh.ErrNotLoopback) || !strings.Contains(err.Error(), "-allow-remote") {
			t.Errorf("Listen(%q) error = %v, want ErrNotLoopback naming -allow-remote", addr, err)
		}
	}
}

func TestListenAcceptsLoopback(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:0", "localhost:0"} {
		ln, err := rsh.Listen(context.Background(), addr, false)
		if err != nil {
			t.Errorf("Listen(%q) error = %v, want a listener", addr, err)
			continue
		}
		if !rsh.IsLoopback(ln.Addr()) {
			t.Errorf("Listen(%q) bound %v, not loopback", addr, ln.Addr())
		}
		ln.Close()
	}
}

func TestRemoteWarningSaysWhatIsExposed(t *testing.T) {
	addr := &net.TCPAddr{IP: net.IPv4zero, Port: 8080}
	got := rsh.RemoteWarning(addr, "alice")
	for _, want := range []string{"0.0.0.0:8080 (every network interface)", "not loopback", "any shell command", `"alice"`, "no password", "no encryption"} {
		if !strings.Contains(got, want) {
			t.Errorf("RemoteWarning(%v, alice) = %q, missing %q", addr, got, want)
		}
	}
}
