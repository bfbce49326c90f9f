package main

import (
	"net"
	"strings"
	"testing"
	"time"
)

// TestAttack1_UnauthenticatedFloodDoesNotLockUsersOut opens 200
// connections from one address (127.0.0.2) that each send 4 bytes and
// then nothing, as an attacker would to fill ftpd's default limit of 200
// connections. A real user from another address still logs in.
func TestAttack1_UnauthenticatedFloodDoesNotLockUsersOut(t *testing.T) {
	d := startDaemon(t, "")
	dialer := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}, Timeout: e2eTimeout}
	var held []net.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	for range 200 {
		c, err := dialer.Dial("tcp", d.addr)
		if err != nil {
			t.Fatalf("attacker's dial: %v", err)
		}
		held = append(held, c)
		c.SetDeadline(time.Now().Add(e2eTimeout))
		if _, err := c.Write([]byte{0x10, 0, 0, 0}); err != nil {
			t.Fatalf("attacker's write: %v", err)
		}
	}
	r := ftp(t, t.TempDir(), d.addr, "demo", d.demoPW, "pwd\n")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "logged in as demo\n/\n") {
		t.Errorf("a real user during the flood: exit %d, stdout %q, stderr %q; want logged in", r.code, r.stdout, r.stderr)
	}
}
