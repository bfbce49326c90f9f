package ftpserver_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gosockets/tutorial/07-ftp/ftpserver"
	"github.com/gosockets/tutorial/07-ftp/gate"
)

func shaHex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestCommandsBeforeLogin: every command that touches files is refused
// with 530 before login; the ones a client needs to log in are not.
func TestCommandsBeforeLogin(t *testing.T) {
	ts := startServer(t, false)
	c := ts.dial(t)
	for _, line := range []string{"PWD", "CWD /", "LIST", "NLST", "MLSD", "MLST a", "RETR a", "STOR a", "APPE a", "DELE a",
		"MKD a", "RMD a", "RNFR a", "SIZE a", "MDTM a", "PASV", "EPSV", "REST 1", "ALLO 1", "HASH a", "TYPE I", "STAT"} {
		if code, text := c.cmd(line); code != 530 {
			t.Errorf("%s before login: %d %s; want 530", line, code, text)
		}
	}
	for line, want := range map[string]int{"NOOP": 200, "SYST": 215, "FEAT": 211, "OPTS UTF8 ON": 200, "HELP": 214, "PASS x": 503} {
		if code, text := c.cmd(line); code != want {
			t.Errorf("%s before login: %d %s; want %d", line, code, text, want)
		}
	}
	if entries, err := os.ReadDir(filepath.Join(ts.data, "users")); err == nil && len(entries) > 0 {
		t.Errorf("a home was created before any login: %v", entries)
	}
}

// TestUnknownAndMalformedCommands: an unknown command is 502, a malformed
// line 501, and the session goes on after both.
func TestUnknownAndMalformedCommands(t *testing.T) {
	ts := startServer(t, false)
	ts.addUser(t, "ann", "pw", 1<<20)
	c := ts.dial(t)
	c.login("ann", "pw")
	for line, want := range map[string]int{"XYZZ": 502, "SITE CHMOD 777 a": 502, "PORT 127,0,0,1,4,1": 502, "EPRT |1|127.0.0.1|1025|": 502,
		"X": 501, "TOOLONGVERB": 501, "RETR a\x00b": 501, "PWD extra": 501, "RETR": 501, "TYPE E": 504, "MODE B": 504, "STRU R": 504} {
		if code, text := c.cmd(line); code != want {
			t.Errorf("%q: %d %s; want %d", line, code, text, want)
		}
	}
	if text := c.want("PWD", 257); text != `"/" is the current directory` {
		t.Errorf("PWD after bad commands: %q", text)
	}
}

// TestLoginFailures: a wrong password and an unknown user get the same
// answer; the third failure closes the connection; failures count with
// the limiter, which then refuses a right password for a while.
func TestLoginFailures(t *testing.T) {
	ts := startServer(t, false, func(s *ftpserver.Server) {
		s.Limiter.Base, s.Limiter.Max = time.Hour, time.Hour
	})
	ts.addUser(t, "ann", "right", 1<<20)
	c := ts.dial(t)
	c.want("USER ann", 331)
	_, wrong := c.cmd("PASS wrong")
	c.want("USER nobody", 331)
	_, unknown := c.cmd("PASS wrong")
	if wrong != unknown || wrong != "login failed: unknown user or wrong password" {
		t.Errorf("wrong password: %q; unknown user: %q; want the same words", wrong, unknown)
	}
	c2 := ts.dial(t)
	c2.want("USER ann", 331)
	if code, text := c2.cmd("PASS right"); code != 530 || !strings.Contains(text, "too many failed logins") {
		t.Errorf("right password just after a failure: %d %s; want 530 too many failed logins", code, text)
	}
	c.want("USER x", 331)
	c.want("PASS y", 530)
	c.conn.SetReadDeadline(time.Now().Add(testTimeout))
	if _, err := c.r.ReadByte(); err == nil {
		t.Error("the connection stays open after three failed logins")
	}
}

// TestLineTooLongAndTrickle: a line over 4 KiB is refused and the
// connection closed; a line trickled a byte at a time is dropped at the
// line deadline; a silent client at the login deadline.
func TestLineTooLongAndTrickle(t *testing.T) {
	ts := startServer(t, false, func(s *ftpserver.Server) {
		s.LineTimeout = 300 * time.Millisecond
		s.LoginTimeout = 600 * time.Millisecond
	})
	t.Run("too long", func(t *testing.T) {
		c := ts.dial(t)
		c.conn.SetWriteDeadline(time.Now().Add(testTimeout))
		c.conn.Write([]byte("USER " + strings.Repeat("a", 5000) + "\r\n"))
		if code, text := c.read(); code != 500 || !strings.Contains(text, "over 4096 bytes") {
			t.Errorf("a 5000-byte line: %d %s", code, text)
		}
		assertClosed(t, c)
	})
	t.Run("trickle", func(t *testing.T) {
		c := ts.dial(t)
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			for {
				if _, err := c.conn.Write([]byte("U")); err != nil {
					return
				}
				select {
				case <-stop:
					return
				case <-tick.C:
				}
			}
		}()
		if code, text := c.read(); code != 421 || !strings.Contains(text, "within 300ms of its first byte") {
			t.Errorf("a trickled line: %d %s; want 421 naming the line deadline", code, text)
		}
		assertClosed(t, c)
	})
	t.Run("silent", func(t *testing.T) {
		c := ts.dial(t)
		if code, _ := c.read(); code != 421 {
			t.Errorf("a silent client was told %d, want 421", code)
		}
		assertClosed(t, c)
	})
}

// assertClosed reads until the server closes the connection, within the
// test deadline.
func assertClosed(t *testing.T, c *ctl) {
	t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(testTimeout))
	_, err := io.Copy(io.Discard, c.r)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Error("the server did not close the connection")
	}
}

// TestIdleSessionDropped: a logged-in client that sends nothing for
// IdleTimeout is told so and dropped.
func TestIdleSessionDropped(t *testing.T) {
	ts := startServer(t, false, func(s *ftpserver.Server) { s.IdleTimeout = 200 * time.Millisecond })
	ts.addUser(t, "ann", "pw", 1<<20)
	c := ts.dial(t)
	c.login("ann", "pw")
	if code, text := c.read(); code != 421 || !strings.Contains(text, "idle") {
		t.Errorf("idle session: %d %s; want 421 idle", code, text)
	}
	assertClosed(t, c)
}

// TestTransfersAndNames drives every command of a session by hand, in
// clear and over TLS, and checks the replies and the disk.
func TestTransfersAndNames(t *testing.T) {
	for _, withTLS := range []bool{false, true} {
		t.Run(map[bool]string{false: "clear", true: "tls"}[withTLS], func(t *testing.T) {
			ts := startServer(t, withTLS)
			ts.addUser(t, "ann", "pw", 1<<20)
			c := ts.dial(t)
			if withTLS {
				c.secure()
			}
			c.login("ann", "pw")
			c.want("TYPE I", 200)
			c.want("MKD docs", 257)
			c.want("CWD docs", 250)
			if text := c.want("PWD", 257); !strings.HasPrefix(text, `"/docs"`) {
				t.Errorf("PWD = %q", text)
			}
			data := bytes.Repeat([]byte("0123456789"), 20000)
			if code, text := c.stor("a b.txt", data); code != 226 || !strings.Contains(text, shaHex(data)) {
				t.Fatalf("STOR: %d %s", code, text)
			}
			if !bytes.Equal(ts.readFile(t, "ann", "docs/a b.txt"), data) {
				t.Fatal("the stored file differs")
			}
			if got := c.want("SIZE a b.txt", 213); got != "200000" {
				t.Errorf("SIZE = %q", got)
			}
			if got := c.want("MDTM a b.txt", 213); len(got) != 14 {
				t.Errorf("MDTM = %q, want YYYYMMDDHHMMSS", got)
			}
			if got := c.want("HASH a b.txt", 213); got != "SHA-256 0-200000 "+shaHex(data)+" a b.txt" {
				t.Errorf("HASH = %q", got)
			}
			b, code, _ := c.retr("/docs/a b.txt")
			if code != 226 || !bytes.Equal(b, data) {
				t.Fatalf("RETR: %d, %d bytes", code, len(b))
			}
			c.want("REST 150000", 350)
			b, code, _ = c.retr("a b.txt")
			if code != 226 || !bytes.Equal(b, data[150000:]) {
				t.Fatalf("REST+RETR: %d, %d bytes", code, len(b))
			}
			// An upload resumed with REST + STOR, then with APPE.
			c.stor("up.bin", data[:1000])
			c.want("REST 1000", 350)
			if code, text := c.stor("up.bin", data[1000:5000]); code != 226 {
				t.Fatalf("REST+STOR: %d %s", code, text)
			}
			addr := c.epsv()
			c.send("APPE up.bin")
			c.read()
			d := c.dialData(addr)
			d.Write(data[5000:])
			d.Close()
			if code, text := c.read(); code != 226 || !strings.Contains(text, shaHex(data)) {
				t.Fatalf("APPE: %d %s", code, text)
			}
			if got := c.list("NLST"); !cmp.Equal(sorted(got), []string{"a b.txt", "up.bin"}) {
				t.Errorf("NLST = %q", got)
			}
			list := c.list("LIST -la")
			if len(list) != 2 || !strings.HasPrefix(list[0], "-rw") || !strings.Contains(strings.Join(list, "\n"), "200000") {
				t.Errorf("LIST = %q", list)
			}
			mlsd := c.list("MLSD /")
			if len(mlsd) != 1 || !strings.HasPrefix(mlsd[0], "type=dir;size=0;modify=") || !strings.HasSuffix(mlsd[0], "; docs") {
				t.Errorf("MLSD / = %q", mlsd)
			}
			if got := c.want("MLST up.bin", 250); !strings.Contains(got, "\n type=file;size=200000;") || !strings.Contains(got, "; /docs/up.bin\n") {
				t.Errorf("MLST = %q", got)
			}
			c.want("RNFR up.bin", 350)
			c.want("RNTO moved.bin", 250)
			c.want("DELE moved.bin", 250)
			c.want("DELE a b.txt", 250)
			c.want("CDUP", 250)
			c.want("RMD docs", 250)
			if got := c.list("LIST"); len(got) != 0 {
				t.Errorf("LIST after removing everything = %q", got)
			}
			c.want("ABOR", 225)
			c.want("STAT", 211)
			c.want("QUIT", 221)
		})
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// TestQuotaDuringStor: an upload that runs over the quota while it
// streams is stopped with 552; nothing is left under its name, an old
// file of that name is untouched, and the usage is what it was.
func TestQuotaDuringStor(t *testing.T) {
	ts := startServer(t, false)
	ts.addUser(t, "ann", "pw", 100_000)
	c := ts.dial(t)
	c.login("ann", "pw")
	old := []byte("the old content")
	if code, _ := c.stor("f", old); code != 226 {
		t.Fatal("first STOR failed")
	}
	big := make([]byte, 300_000)
	if code, text := c.stor("f", big); code != 552 {
		t.Errorf("STOR over the quota: %d %s; want 552", code, text)
	}
	if code, text := c.stor("new", big); code != 552 {
		t.Errorf("STOR over the quota: %d %s; want 552", code, text)
	}
	if !bytes.Equal(ts.readFile(t, "ann", "f"), old) {
		t.Error("the old file changed")
	}
	if _, err := os.Stat(filepath.Join(ts.home("ann"), "new")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a file is left under the final name: %v", err)
	}
	if code, text := c.cmd("ALLO 200000"); code != 552 {
		t.Errorf("ALLO over the quota: %d %s; want 552", code, text)
	}
	if code, _ := c.stor("g", make([]byte, 1000)); code != 226 {
		t.Error("a small upload after the refusals failed: the quota was not given back")
	}
}

// TestAlloShortIsNotStored: with ALLO, an upload whose connection closes
// early is not stored; its part is kept, and REST + STOR completes it.
func TestAlloShortIsNotStored(t *testing.T) {
	ts := startServer(t, false)
	ts.addUser(t, "ann", "pw", 1<<20)
	c := ts.dial(t)
	c.login("ann", "pw")
	data := bytes.Repeat([]byte("x"), 10000)
	c.want("ALLO 10000", 200)
	if code, text := c.stor("f", data[:4000]); code != 451 || !strings.Contains(text, "REST 4000") {
		t.Errorf("STOR short of ALLO: %d %s; want 451 and REST 4000", code, text)
	}
	if _, err := os.Stat(filepath.Join(ts.home("ann"), "f")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a short upload was stored: %v", err)
	}
	// A STOR without PASV first is refused before it touches the part.
	c.want("STOR f", 425)
	c.want("ALLO 10000", 200)
	c.want("REST 4000", 350)
	if code, text := c.stor("f", data[4000:]); code != 226 {
		t.Errorf("resumed STOR: %d %s", code, text)
	}
	if !bytes.Equal(ts.readFile(t, "ann", "f"), data) {
		t.Error("the resumed file differs")
	}
	c.want("ALLO 10", 200)
	if code, text := c.stor("g", data[:11]); code != 552 {
		t.Errorf("STOR over its ALLO: %d %s; want 552", code, text)
	}
}

// TestTLSRequired: on a server with TLS, USER in clear is refused, and so
// is a transfer before PROT P.
func TestTLSRequired(t *testing.T) {
	ts := startServer(t, true)
	ts.addUser(t, "ann", "pw", 1<<20)
	c := ts.dial(t)
	if code, text := c.cmd("USER ann"); code != 530 || !strings.Contains(text, "AUTH TLS") {
		t.Errorf("USER in clear: %d %s; want 530 asking for AUTH TLS", code, text)
	}
	c.want("PASS pw", 503)
	c.want("PROT P", 503)
	c.want("AUTH TLS", 234)
	c2 := ts.dial(t)
	c2.want("AUTH TLS", 234)
	c3 := ts.dial(t)
	c3.secure()
	c3.want("PROT C", 534)
	c3.login("ann", "pw")

	// Without PROT P: a fresh session that secures only the control
	// connection.
	c4 := ts.dial(t)
	c4.want("AUTH TLS", 234)
	c4.handshake()
	c4.login("ann", "pw")
	c4.epsv()
	if code, text := c4.cmd("LIST"); code != 521 {
		t.Errorf("LIST without PROT P: %d %s; want 521", code, text)
	}
}

// TestAuthTLSWithoutCertificate: AUTH TLS on a server without TLS is 502;
// the session goes on in clear.
func TestAuthTLSWithoutCertificate(t *testing.T) {
	ts := startServer(t, false)
	c := ts.dial(t)
	c.want("AUTH TLS", 502)
	c.want("NOOP", 200)
}

// TestShutdownEndsIdleSessions: Shutdown tells a session waiting for a
// command 421 and returns.
func TestShutdownEndsIdleSessions(t *testing.T) {
	ts := startServer(t, false)
	ts.addUser(t, "ann", "pw", 1<<20)
	c := ts.dial(t)
	c.login("ann", "pw")
	go ts.srv.Shutdown(t.Context())
	if code, text := c.read(); code != 421 {
		t.Errorf("at shutdown: %d %s; want 421", code, text)
	}
	assertClosed(t, c)
}

// TestPassivePortRange: passive ports come from the range, and a session
// that holds the only one makes the next PASV fail with 425 until it is
// released.
func TestPassivePortRange(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	ts := startServer(t, false, func(s *ftpserver.Server) { s.PasvPorts = ftpserver.PortRange{Low: port, High: port} })
	ts.addUser(t, "ann", "pw", 1<<20)
	a, b := ts.dial(t), ts.dial(t)
	a.login("ann", "pw")
	b.login("ann", "pw")
	if got := a.epsv(); !strings.HasSuffix(got, ":"+itoa(port)) {
		t.Errorf("EPSV gave %s, want port %d", got, port)
	}
	if code, text := b.cmd("PASV"); code != 425 {
		t.Errorf("PASV with the range in use: %d %s; want 425", code, text)
	}
	a.want("ABOR", 225)
	if text := b.want("PASV", 227); !strings.HasSuffix(text, ","+itoa(port>>8)+","+itoa(port&0xFF)+")") {
		t.Errorf("PASV = %q, want port %d", text, port)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestBrokenUploadKeepsPart: an upload whose data connection is reset
// (not closed) is a 426; what arrived stays in the part file, nothing is
// stored under the name, and REST + STOR finishes the file.
func TestBrokenUploadKeepsPart(t *testing.T) {
	ts := startServer(t, false)
	ts.addUser(t, "ann", "pw", 1<<20)
	c := ts.dial(t)
	c.login("ann", "pw")
	data := bytes.Repeat([]byte("y"), 100_000)
	addr := c.epsv()
	c.send("STOR f")
	if code, text := c.read(); code != 150 {
		t.Fatalf("STOR: %d %s", code, text)
	}
	d := c.dialData(addr).(*net.TCPConn)
	if _, err := d.Write(data[:40_000]); err != nil {
		t.Fatal(err)
	}
	d.SetLinger(0) // close with a reset: the client died
	d.Close()
	code, text := c.read()
	if code != 426 {
		t.Fatalf("reset upload: %d %s; want 426", code, text)
	}
	if _, err := os.Stat(filepath.Join(ts.home("ann"), "f")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a reset upload was stored under its name: %v", err)
	}
	// The reset may cut what the kernel had not handed over yet: resume
	// where the server says.
	var kept int
	if _, err := fmt.Sscanf(text[strings.Index(text, "REST ")+5:], "%d", &kept); err != nil || kept > 40_000 {
		t.Fatalf("426 text %q: no REST offset up to 40000", text)
	}
	c.want("REST "+strconv.Itoa(kept), 350)
	if code, text := c.stor("f", data[kept:]); code != 226 {
		t.Fatalf("REST + STOR: %d %s", code, text)
	}
	if !bytes.Equal(ts.readFile(t, "ann", "f"), data) {
		t.Error("the resumed file differs")
	}
}

// TestSessionCapsShared: the gate's per-user cap counts FTP sessions.
func TestSessionCapsShared(t *testing.T) {
	ts := startServer(t, false, func(s *ftpserver.Server) { s.Gate = &gate.Gate{MaxUserSessions: 1} })
	ts.addUser(t, "ann", "pw", 1<<20)
	a := ts.dial(t)
	a.login("ann", "pw")
	b := ts.dial(t)
	b.want("USER ann", 331)
	if code, text := b.cmd("PASS pw"); code != 421 || !strings.Contains(text, "server busy") {
		t.Errorf("second session over the cap: %d %s; want 421 server busy", code, text)
	}
	a.want("QUIT", 221)
	assertClosed(t, a)
	c := ts.dial(t)
	c.login("ann", "pw")
}

// TestAborDuringTransfer: an ABOR sent in the middle of a download, with
// the Telnet bytes clients put before it and the data connection left
// open, stops the transfer at once: 426 for the transfer, then 226 for
// the ABOR; the session goes on. An ABOR in the middle of an upload
// leaves nothing under the name.
func TestAborDuringTransfer(t *testing.T) {
	for _, withTLS := range []bool{false, true} {
		t.Run(map[bool]string{false: "clear", true: "tls"}[withTLS], func(t *testing.T) {
			ts := startServer(t, withTLS, func(s *ftpserver.Server) { s.WriteTimeout = time.Hour })
			ts.addUser(t, "ann", "pw", 1<<30)
			big := bytes.Repeat([]byte("z"), 64<<20)
			if err := os.MkdirAll(ts.home("ann"), 0o750); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(ts.home("ann"), "big"), big, 0o640); err != nil {
				t.Fatal(err)
			}
			c := ts.dial(t)
			if withTLS {
				c.secure()
			}
			c.login("ann", "pw")
			addr := c.epsv()
			c.send("RETR big")
			if code, text := c.read(); code != 150 {
				t.Fatalf("RETR: %d %s", code, text)
			}
			d := c.dialData(addr)
			defer d.Close()
			if _, err := io.ReadFull(d, make([]byte, 1<<20)); err != nil {
				t.Fatal(err)
			}
			// The data connection stays open and unread: without the
			// ABOR the server would wait for the client to read 63 MiB.
			c.conn.SetWriteDeadline(time.Now().Add(testTimeout))
			c.conn.Write([]byte("\xff\xf4\xff\xf2ABOR\r\n"))
			if code, text := c.read(); code != 426 {
				t.Errorf("the aborted transfer: %d %s; want 426", code, text)
			}
			if code, text := c.read(); code != 226 {
				t.Errorf("ABOR: %d %s; want 226", code, text)
			}
			c.want("NOOP", 200)

			addr = c.epsv()
			c.send("STOR up")
			if code, text := c.read(); code != 150 {
				t.Fatalf("STOR: %d %s", code, text)
			}
			up := c.dialData(addr)
			defer up.Close()
			up.Write(big[:1<<20])
			c.send("ABOR")
			if code, text := c.read(); code != 426 {
				t.Errorf("the aborted upload: %d %s; want 426", code, text)
			}
			if code, text := c.read(); code != 226 {
				t.Errorf("ABOR: %d %s; want 226", code, text)
			}
			if _, err := os.Stat(filepath.Join(ts.home("ann"), "up")); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("an aborted upload was stored: %v", err)
			}
			c.want("NOOP", 200)
		})
	}
}
