package server_test

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xdg-go/scram"

	"github.com/gosockets/tutorial/04-struct-framing/frame"
	"github.com/gosockets/tutorial/07-ftp/accounts"
	"github.com/gosockets/tutorial/07-ftp/gate"
	"github.com/gosockets/tutorial/07-ftp/proto"
	"github.com/gosockets/tutorial/07-ftp/server"
	"github.com/gosockets/tutorial/07-ftp/store"
)

// trickle sends a frame header a byte at a time, a byte every 20 ms, until
// the connection fails or stop is closed: a header that would take the
// whole test to arrive. The length prefix announces a 60000-byte header.
func trickle(conn net.Conn, stop <-chan struct{}) {
	prefix := binary.LittleEndian.AppendUint32(nil, 60000)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for i := 0; ; i++ {
		b := byte(' ')
		if i < len(prefix) {
			b = prefix[i]
		}
		if _, err := conn.Write([]byte{b}); err != nil {
			return
		}
		select {
		case <-stop:
			return
		case <-tick.C:
		}
	}
}

// TestAttack1_TrickleIsDropped: a client that trickles a header one byte
// at a time is dropped at the login's deadline before login, and at the
// header's deadline after it; each byte does not renew the wait.
func TestAttack1_TrickleIsDropped(t *testing.T) {
	t.Run("before login", func(t *testing.T) {
		ts := startServer(t, func(srv *server.Server) { srv.LoginTimeout = 300 * time.Millisecond })
		conn, err := net.DialTimeout("tcp", ts.addr, testTimeout)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		stop := make(chan struct{})
		defer close(stop)
		go trickle(conn, stop)
		rc := &rawConn{Conn: conn, r: bufio.NewReader(conn)}
		if !rc.closedByServer() {
			t.Error("a client trickling its first header was not dropped")
		}
	})
	t.Run("after login", func(t *testing.T) {
		ts := startServer(t, func(srv *server.Server) { srv.HeaderTimeout = 300 * time.Millisecond })
		ts.addUser(t, "tom", "pw", 1000)
		rc := ts.rawLogin(t, "tom", "pw")
		stop := make(chan struct{})
		defer close(stop)
		go trickle(rc.Conn, stop)
		if !rc.closedByServer() {
			t.Error("a session trickling a header was not dropped")
		}
	})
}

// TestAttack1_UnauthenticatedCappedPerAddress: connections that do not log
// in take the places of their own address, never the users' sessions. Of
// eight from one address, three are admitted (and dropped at the login's
// deadline, without a word) and five are told the server is busy.
func TestAttack1_UnauthenticatedCappedPerAddress(t *testing.T) {
	ts := startServer(t, func(srv *server.Server) {
		srv.Gate = &gate.Gate{MaxSessions: 2, MaxUnauth: 10, MaxUnauthPerAddr: 3}
		srv.LoginTimeout = 2 * time.Second
	})
	ts.addUser(t, "una", "pw", 1000)
	dialer := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}, Timeout: testTimeout}
	var conns []net.Conn
	for range 8 {
		c, err := dialer.Dial("tcp", ts.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(testTimeout))
		c.Write([]byte{0x10, 0, 0, 0})
		conns = append(conns, c)
	}
	busy := 0
	for _, c := range conns {
		if resp, _, err := proto.NewConn(c).ReadResponse(); err == nil && resp.Code == proto.CodeBusy {
			busy++
		}
	}
	if busy != 5 {
		t.Errorf("%d of 8 connections from one address were told busy, want 5 (3 allowed)", busy)
	}
	ts.login(t, "una", "pw")
	ts.login(t, "una", "pw")
}

// attempt logs in as name with password on a new connection and returns
// the server's answer. With hangUp it sends the last SCRAM message and
// hangs up without waiting for the answer, as a brute-forcing client that
// learns from silence does; it then returns "".
func attempt(t *testing.T, ts *testServer, name, password string, hangUp bool) string {
	t.Helper()
	conn, err := net.DialTimeout("tcp", ts.addr, testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(testTimeout))
	pc := proto.NewConn(conn)
	sc, _ := scram.SHA256.NewClient(name, password, "")
	conv := sc.NewConversation()
	msg, _ := conv.Step("")
	for _, op := range []string{proto.OpAuth, proto.OpAuthFinal} {
		if err := pc.WriteRequestBody(proto.Request{Op: op}, []byte(msg)); err != nil {
			t.Fatal(err)
		}
		if hangUp && op == proto.OpAuthFinal {
			return ""
		}
		resp, body, err := pc.ReadResponse()
		if err != nil {
			return "connection lost: " + err.Error()
		}
		if !resp.OK {
			return resp.Error
		}
		b, _ := io.ReadAll(body)
		if msg, err = conv.Step(string(b)); err != nil {
			return "scram: " + err.Error()
		}
	}
	return "ok"
}

// TestAttack2_LoginThrottleHoldsForClientsThatDoNotWait: after a failed
// login, the next attempt for that name from that address is refused
// without being checked until the delay has passed, even with the right
// password and even if the first client hung up without waiting for its
// answer. The answer to a failure comes at once, so a failed attempt holds
// no connection. Logging in to another account does not clear the
// failures of the first.
func TestAttack2_LoginThrottleHoldsForClientsThatDoNotWait(t *testing.T) {
	ts := startServer(t, func(srv *server.Server) {
		srv.Limiter = &accounts.Limiter{Base: time.Hour, Max: time.Hour}
	})
	ts.addUser(t, "victim", "secret", 1000)
	ts.addUser(t, "mallory", "own-pw", 1000)
	if got := attempt(t, ts, "victim", "guess1", false); got != "login failed: unknown user or wrong password" {
		t.Fatalf("a wrong password: %q", got)
	}
	attempt(t, ts, "victim", "guess2", true)
	if got := attempt(t, ts, "victim", "secret", false); !strings.HasPrefix(got, "too many failed logins") {
		t.Errorf("the right password right after failures: %q; want it refused unchecked", got)
	}
	if got := attempt(t, ts, "mallory", "own-pw", false); got != "ok" {
		t.Fatalf("mallory's own login from the same address: %q", got)
	}
	if got := attempt(t, ts, "victim", "secret", false); !strings.HasPrefix(got, "too many failed logins") {
		t.Errorf("after another account logged in: %q; want victim's failures still counted", got)
	}
}

// listFrameLimit is the most bytes a frame of a listing may carry: a
// session holds one such batch, however large the directory.
const listFrameLimit = 64 << 10

// TestAttack3_ListingIsStreamed lists a directory of 3000 entries with long
// names (about 0.8 MiB of listing): the server sends it in frames of at
// most 64 KiB, so a session holds a batch, never the whole listing, and a
// client that stops reading holds no more than that.
func TestAttack3_ListingIsStreamed(t *testing.T) {
	ts := startServer(t)
	ts.addUser(t, "lea", "pw", 1<<20)
	rc := ts.rawLogin(t, "lea", "pw")
	const n = 3000
	manyNames(t, filepath.Join(ts.home("lea"), "many"), n)
	rc.send(t, proto.Request{Op: proto.OpLs, Path: "many"}, nil)
	entries, frames, largest := 0, 0, int64(0)
	for {
		h, err := frame.ReadHeader(rc.r)
		if err != nil {
			t.Fatalf("after %d entries in %d frames: %v", entries, frames, err)
		}
		var resp proto.Response
		if err := h.Decode(&resp); err != nil || !resp.OK {
			t.Fatalf("listing frame %s: %v", h.Raw, err)
		}
		frames++
		largest = max(largest, h.DataSize)
		if h.DataSize > listFrameLimit {
			t.Fatalf("frame %d carries %d bytes of listing, want at most %d", frames, h.DataSize, listFrameLimit)
		}
		body := make([]byte, h.DataSize)
		if _, err := io.ReadFull(rc.r, body); err != nil {
			t.Fatal(err)
		}
		entries += strings.Count(string(body), "\n")
		if resp.Op == proto.OpEnd {
			break
		}
	}
	if entries != n {
		t.Errorf("listing has %d entries, want %d", entries, n)
	}
	t.Logf("%d entries in %d frames, the largest %d bytes", entries, frames, largest)
}

// manyNames makes n directories with 200-byte names in dir, for listings
// of about 275 bytes an entry.
func manyNames(t *testing.T, dir string, n int) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := os.Mkdir(filepath.Join(dir, fmt.Sprintf("%0200d", i)), 0o750); err != nil {
			t.Fatal(err)
		}
	}
}

// TestAttack4_ClientThatStopsReadingRepliesIsDropped asks again and again
// for the listing of a large directory and never reads a reply: once the
// socket buffers are full, the server's write waits at most WriteTimeout,
// then the session is dropped (before, only a download's writes had a
// deadline, and such a session stayed forever).
func TestAttack4_ClientThatStopsReadingRepliesIsDropped(t *testing.T) {
	ts := startServer(t, func(srv *server.Server) { srv.WriteTimeout = 300 * time.Millisecond })
	ts.addUser(t, "wes", "pw", 1000)
	manyNames(t, filepath.Join(ts.home("wes"), "many"), 3000)
	rc := ts.rawLogin(t, "wes", "pw")
	if tcp, ok := rc.Conn.(*net.TCPConn); ok {
		tcp.SetReadBuffer(4 << 10)
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			if frame.WriteBytes(rc.Conn, proto.Request{Op: proto.OpLs, Path: "many"}, nil) != nil {
				return
			}
		}
	}()
	ts.logs.wait(t, "session dropped", "user=wes", "i/o timeout")
}

// TestAttack5_FilesAreCountedAgainstALimit: a user whose byte quota has
// room cannot make more files, directories and part files than their
// limit; an upload abandoned before its first byte leaves no empty part
// behind (before, 150 of them under a 1 KiB quota were kept, each an
// inode).
func TestAttack5_FilesAreCountedAgainstALimit(t *testing.T) {
	ts := startServer(t)
	ts.addUser(t, "fay", "pw", 1<<10)
	if err := ts.srv.Accounts.SetMaxFiles("fay", 5); err != nil {
		t.Fatal(err)
	}
	c := ts.login(t, "fay", "pw")
	for i := range 4 {
		if err := c.Mkdir(fmt.Sprint("d", i)); err != nil {
			t.Fatal(err)
		}
	}
	empty := writeFile(t, t.TempDir(), "empty", nil)
	if _, err := c.Put(empty, "e"); err != nil {
		t.Fatalf("the fifth entry: %v", err)
	}
	if err := c.Mkdir("d5"); codeOf(err) != proto.CodeQuota || !strings.Contains(err.Error(), "too many files") {
		t.Errorf("mkdir of a sixth entry = %v, want a quota error about files", err)
	}
	if _, err := c.Put(empty, "e2"); codeOf(err) != proto.CodeQuota {
		t.Errorf("put of a sixth entry = %v, want a quota error", err)
	}
	if err := c.Remove("d0"); err != nil {
		t.Fatal(err)
	}
	for i := range 150 {
		rc := ts.rawLogin(t, "fay", "pw")
		rc.send(t, proto.Request{Op: proto.OpPut, Path: fmt.Sprint("p", i), Size: 100}, nil)
		if resp := rc.recv(t); !resp.OK {
			t.Fatalf("put %d: %+v", i, resp)
		}
		rc.Close()
		ts.settle(t, "fay", fmt.Sprint("/p", i))
	}
	if p := ts.parts(t, "fay"); len(p) != 0 {
		t.Errorf("%d empty part files left by abandoned uploads, want none", len(p))
	}
	if err := c.Mkdir("d0"); err != nil {
		t.Errorf("mkdir after a removal freed a place: %v", err)
	}
	u := ts.usage(t, "fay")
	if u.Files != 5 || u.FilesLimit != 5 {
		t.Errorf("usage = %+v, want 5 of 5 files", u)
	}
}

// TestAttack6_DeepTreeDoesNotLockItsOwnerOut builds 20 levels of 250-byte
// names through the protocol (5020 bytes of path, more than PATH_MAX), puts
// a file at the bottom, and restarts the server on the same data: the user
// still logs in (their usage is measured at the first login), lists and
// gets the file, and the usage report of "ftpd users" works too. Every
// walk goes from directory handle to directory handle; no path string as
// long as the tree is handed to the kernel.
func TestAttack6_DeepTreeDoesNotLockItsOwnerOut(t *testing.T) {
	data := t.TempDir()
	ts := startServerAt(t, data)
	ts.addUser(t, "deb", "pw", 1<<20)
	c := ts.login(t, "deb", "pw")
	name := strings.Repeat("d", 250)
	for range 20 {
		if err := c.Mkdir(name); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Cd(name); err != nil {
			t.Fatal(err)
		}
	}
	content := []byte("at the bottom")
	if _, err := c.Put(writeFile(t, t.TempDir(), "f", content), "deep.txt"); err != nil {
		t.Fatal(err)
	}
	c.Close()
	ts.stop(t)
	ts.store.Close()

	ts = startServerAt(t, data)
	c = ts.login(t, "deb", "pw")
	u, err := c.Quota()
	if err != nil || u.Bytes != int64(len(content)) || u.Files != 21 {
		t.Errorf("usage after a restart = %+v, %v; want %d bytes in 21 files", u, err, len(content))
	}
	for range 2 { // a request's path is at most 4096 bytes: ten levels at a time
		if _, err := c.Cd(strings.Repeat(name+"/", 10)); err != nil {
			t.Fatal(err)
		}
	}
	if ents, err := c.List(""); err != nil || len(ents) != 1 {
		t.Errorf("ls at the bottom = %v, %v", ents, err)
	}
	got := filepath.Join(t.TempDir(), "got")
	if _, err := c.Get("deep.txt", got); err != nil {
		t.Fatal(err)
	}
	if bytes, files, err := store.MeasureUsage(data, "deb"); err != nil || bytes != int64(len(content)) || files != 21 {
		t.Errorf("MeasureUsage (ftpd users) = %d, %d, %v", bytes, files, err)
	}
}
