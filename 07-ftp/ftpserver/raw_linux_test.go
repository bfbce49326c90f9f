package ftpserver_test

// Linux routes all of 127.0.0.0/8 to the loopback interface, so a test
// can dial from 127.0.0.2 without any setup; other systems configure
// 127.0.0.1 only.

import (
	"bytes"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// TestDataConnectionFromAnotherAddress: a connection to the passive port
// from another address than the control connection's is closed without a
// byte of the file, and the client's own still gets it.
func TestDataConnectionFromAnotherAddress(t *testing.T) {
	ts := startServer(t, false)
	ts.addUser(t, "ann", "pw", 1<<20)
	c := ts.dial(t)
	c.login("ann", "pw")
	secret := []byte("for ann only")
	c.stor("secret", secret)
	addr := c.epsv()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}, Timeout: testTimeout}
	rogue, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dialing from 127.0.0.2: %v", err)
	}
	defer rogue.Close()
	c.send("RETR secret")
	if code, text := c.read(); code != 150 {
		t.Fatalf("RETR: %d %s", code, text)
	}
	rogue.SetReadDeadline(time.Now().Add(testTimeout))
	stolen, _ := io.ReadAll(rogue)
	if len(stolen) > 0 {
		t.Errorf("the connection from 127.0.0.2 got %q", stolen)
	}
	own := c.dialData(addr)
	got, _ := io.ReadAll(own)
	own.Close()
	if code, text := c.read(); code != 226 || !bytes.Equal(got, secret) {
		t.Errorf("the client's own data connection: %d %s, %q", code, text, got)
	}
	if !strings.Contains(ts.logs.String(), "data connection refused: not from the client's address") {
		t.Error("the refused connection was not logged")
	}
}
