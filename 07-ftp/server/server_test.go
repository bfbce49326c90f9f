package server_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gosockets/tutorial/04-struct-framing/frame"
	"github.com/gosockets/tutorial/07-ftp/accounts"
	"github.com/gosockets/tutorial/07-ftp/client"
	"github.com/gosockets/tutorial/07-ftp/proto"
	"github.com/gosockets/tutorial/07-ftp/server"
	"github.com/gosockets/tutorial/07-ftp/store"
)

func codeOf(err error) string {
	var pe *proto.Error
	if errors.As(err, &pe) {
		return pe.Code
	}
	return fmt.Sprintf("(not a server error: %v)", err)
}

// TestJailAttacks tries every way out of alice's home with every command
// and checks that each one fails and that nothing under the data directory
// changed.
func TestJailAttacks(t *testing.T) {
	ts := startServer(t)
	ts.addUser(t, "alice", "alice-pw", 1<<20)
	ts.addUser(t, "alice_a", "other-pw", 1<<20)
	other := ts.login(t, "alice_a", "other-pw")
	local := writeFile(t, t.TempDir(), "payload", []byte("attack"))
	if _, err := other.Put(local, "secret.txt"); err != nil {
		t.Fatal(err)
	}
	c := ts.login(t, "alice", "alice-pw")
	if err := c.Mkdir("sub"); err != nil {
		t.Fatal(err)
	}
	// Links planted in alice's home by someone with shell access.
	if err := os.Symlink("../../alice_a/files", filepath.Join(ts.home("alice"), "out")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc", filepath.Join(ts.home("alice"), "etclink")); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, ts.data)

	attacks := []struct {
		name, path, code string
	}{
		{"dotdot", "../..", proto.CodePath},
		{"dotdot file", "../../../../etc/passwd", proto.CodePath},
		{"absolute", "/etc/passwd", proto.CodeNotFound}, // "/" is the home: /etc/passwd does not exist there
		{"symlink to sibling", "out/secret.txt", proto.CodePath},
		{"symlink to /etc", "etclink/passwd", proto.CodePath},
		{"NUL byte", "sub\x00/../../x", proto.CodeBadReq},
		{"name over 255 bytes", strings.Repeat("x", 256), proto.CodePath},
		{"dotdot in the middle", "a/../../x", proto.CodePath},
		{"dotdot after a real dir", "sub/../../alice_a/files/secret.txt", proto.CodePath},
		{"prefix sibling alice_a", "../alice_a/files/secret.txt", proto.CodePath},
		{"absolute dotdot", "/../alice_a", proto.CodePath},
	}
	ops := []struct {
		name string
		do   func(p string) error
	}{
		{"get", func(p string) error { _, err := c.Get(p, filepath.Join(t.TempDir(), "got")); return err }},
		{"put", func(p string) error { _, err := c.Put(local, p); return err }},
		{"cd", func(p string) error { _, err := c.Cd(p); return err }},
		{"ls", func(p string) error { _, err := c.List(p); return err }},
		{"mkdir", func(p string) error { return c.Mkdir(p) }},
		{"rm", func(p string) error { return c.Remove(p) }},
	}
	for _, a := range attacks {
		for _, op := range ops {
			t.Run(a.name+"/"+op.name, func(t *testing.T) {
				err := op.do(a.path)
				if err == nil {
					t.Fatalf("%s %q succeeded, want an error", op.name, a.path)
				}
				if got := codeOf(err); got != a.code {
					t.Errorf("%s %q: code %s (%v), want %s", op.name, a.path, got, err, a.code)
				}
			})
		}
	}
	if pwd, err := c.Pwd(); err != nil || pwd != "/" {
		t.Errorf("after the attacks Pwd() = %q, %v; want /, nil", pwd, err)
	}
	if diff := cmp.Diff(before, snapshot(t, ts.data)); diff != "" {
		t.Errorf("the data directory changed (-before +after):\n%s", diff)
	}
}

// TestSiblingPrefixIsNotShared shows that alice and alice_a, whose names
// share a prefix, see only their own files.
func TestSiblingPrefixIsNotShared(t *testing.T) {
	ts := startServer(t)
	ts.addUser(t, "alice", "pw1", 1<<20)
	ts.addUser(t, "alice_a", "pw2", 1<<20)
	a := ts.login(t, "alice", "pw1")
	b := ts.login(t, "alice_a", "pw2")
	local := writeFile(t, t.TempDir(), "f", []byte("only alice_a"))
	if _, err := b.Put(local, "mine.txt"); err != nil {
		t.Fatal(err)
	}
	ents, err := a.List("/")
	if err != nil || len(ents) != 0 {
		t.Errorf("alice's List(/) = %v, %v; want empty", ents, err)
	}
	if _, err := a.Get("mine.txt", filepath.Join(t.TempDir(), "x")); codeOf(err) != proto.CodeNotFound {
		t.Errorf("alice Get(mine.txt) = %v, want not found", err)
	}
}

func TestQuotaExactLimitAndOneByteOver(t *testing.T) {
	ts := startServer(t)
	ts.addUser(t, "bob", "pw", 1000)
	c := ts.login(t, "bob", "pw")
	dir := t.TempDir()
	if _, err := c.Put(writeFile(t, dir, "full", make([]byte, 1000)), "full"); err != nil {
		t.Fatalf("Put of exactly the quota = %v, want nil", err)
	}
	_, err := c.Put(writeFile(t, dir, "one", []byte{1}), "one")
	if codeOf(err) != proto.CodeQuota || !strings.Contains(err.Error(), "need 1 B, 1000 B of 1000 B used, 0 B free") {
		t.Fatalf("Put of one byte over = %v, want a quota error with the numbers", err)
	}
	u, err := c.Quota()
	if err != nil || u.Bytes != 1000 || u.BytesLimit != 1000 || u.Files != 1 || u.FilesLimit != store.DefaultFiles {
		t.Errorf("Quota() = %+v, %v; want 1000 of 1000 bytes, 1 file of the default", u, err)
	}
	if got := ts.diskUsage(t, "bob"); got != 1000 {
		t.Errorf("bytes on disk = %d, want 1000", got)
	}
	if _, err := os.Stat(filepath.Join(ts.home("bob"), "one")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("refused upload left a file: %v", err)
	}
	// Removing frees the bytes again.
	if err := c.Remove("full"); err != nil {
		t.Fatal(err)
	}
	if u, _ := c.Quota(); u.Bytes != 0 || u.Files != 0 {
		t.Errorf("after rm, Quota() = %+v, want nothing used", u)
	}
}

// TestQuotaRefusedBeforeDataFlows shows the refusal comes in reply to the
// announcement, before the client sends a byte of data.
func TestQuotaRefusedBeforeDataFlows(t *testing.T) {
	ts := startServer(t)
	ts.addUser(t, "bob", "pw", 1000)
	rc := ts.rawLogin(t, "bob", "pw")
	rc.send(t, proto.Request{Op: proto.OpPut, Path: "big", Size: 1001}, nil)
	if resp := rc.recv(t); resp.Code != proto.CodeQuota {
		t.Fatalf("reply to put of 1001 bytes under 1000 = %+v, want quota error", resp)
	}
	rc.send(t, proto.Request{Op: proto.OpPwd}, nil)
	if resp := rc.recv(t); !resp.OK || resp.Path != "/" {
		t.Errorf("session after refusal: pwd = %+v", resp)
	}
}

// TestQuotaLyingClient announces 10 bytes and then sends a megabyte: the
// server stops it at the 10 bytes it reserved.
func TestQuotaLyingClient(t *testing.T) {
	ts := startServer(t)
	ts.addUser(t, "mallory", "pw", 1000)
	rc := ts.rawLogin(t, "mallory", "pw")
	rc.send(t, proto.Request{Op: proto.OpPut, Path: "lie", Size: 10}, nil)
	if resp := rc.recv(t); !resp.OK {
		t.Fatalf("put of 10 bytes refused: %+v", resp)
	}
	lie := make([]byte, 1<<20)
	done := make(chan error, 1)
	go func() {
		done <- frame.Write(rc, proto.Request{Op: proto.OpData}, int64(len(lie)), bytes.NewReader(lie))
	}()
	resp := rc.recv(t)
	if resp.Code != proto.CodeQuota || !strings.Contains(resp.Error, "more than the 10 bytes") {
		t.Errorf("reply to a lying client = %+v, want a quota error", resp)
	}
	if !rc.closedByServer() {
		t.Error("the server kept the lying client's connection open")
	}
	rc.Close()
	<-done // fails with a reset or finishes into the buffers; either is fine
	if p := ts.parts(t, "mallory"); len(p) != 0 {
		t.Errorf("part files left: %v", p)
	}
	if used := ts.usage(t, "mallory").Bytes; used != 0 || ts.diskUsage(t, "mallory") != 0 {
		t.Errorf("usage after the lie = %d, disk %d; want 0, 0", used, ts.diskUsage(t, "mallory"))
	}
	c := ts.login(t, "mallory", "pw")
	if _, err := c.Put(writeFile(t, t.TempDir(), "ok", make([]byte, 1000)), "ok"); err != nil {
		t.Errorf("an honest upload of the whole quota afterwards = %v", err)
	}
}

// TestUploadShortOrCorruptIsNotStored sends fewer bytes than announced, then
// a wrong checksum: each is refused, the old file stays, the session goes on.
func TestUploadShortOrCorruptIsNotStored(t *testing.T) {
	ts := startServer(t)
	ts.addUser(t, "bob", "pw", 1000)
	c := ts.login(t, "bob", "pw")
	old := []byte("the old content")
	if _, err := c.Put(writeFile(t, t.TempDir(), "f", old), "f"); err != nil {
		t.Fatal(err)
	}
	rc := ts.rawLogin(t, "bob", "pw")
	for _, tt := range []struct {
		name string
		data []byte
		sum  string
	}{
		{"short", []byte("12345"), sha([]byte("12345"))},
		{"wrong checksum", []byte("0123456789"), sha([]byte("something else"))},
	} {
		rc.send(t, proto.Request{Op: proto.OpPut, Path: "f", Size: 10}, nil)
		if resp := rc.recv(t); !resp.OK {
			t.Fatalf("%s: put refused: %+v", tt.name, resp)
		}
		rc.send(t, proto.Request{Op: proto.OpData}, tt.data)
		rc.send(t, proto.Request{Op: proto.OpEnd, SHA256: tt.sum}, nil)
		resp := rc.recv(t)
		if resp.Code != proto.CodeChecksum || !strings.Contains(resp.Error, "not stored") {
			t.Errorf("%s: reply = %+v, want a checksum error saying the file was not stored", tt.name, resp)
		}
	}
	got := filepath.Join(t.TempDir(), "got")
	if _, err := c.Get("f", got); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(got); !bytes.Equal(b, old) {
		t.Errorf("f = %q after failed uploads, want the old %q", b, old)
	}
	if used := ts.usage(t, "bob").Bytes; used != int64(len(old)) || ts.diskUsage(t, "bob") != used {
		t.Errorf("usage %d, disk %d; want %d", used, ts.diskUsage(t, "bob"), len(old))
	}
}

// TestQuotaConcurrentUploadsRace runs twelve sessions of one user, each
// uploading 1000 bytes under a 5000-byte quota: exactly five may win.
func TestQuotaConcurrentUploadsRace(t *testing.T) {
	ts := startServer(t)
	ts.addUser(t, "carol", "pw", 5000)
	local := writeFile(t, t.TempDir(), "k", make([]byte, 1000))
	const n = 12
	clients := make([]*client.Client, n)
	for i := range clients {
		clients[i] = ts.login(t, "carol", "pw")
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Go(func() { _, errs[i] = c.Put(local, fmt.Sprintf("f%d", i)) })
	}
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case codeOf(err) != proto.CodeQuota:
			t.Errorf("upload %d: %v, want nil or a quota error", i, err)
		}
	}
	if won != 5 {
		t.Errorf("%d uploads of 1000 bytes fit a 5000-byte quota, want 5", won)
	}
	used := ts.usage(t, "carol").Bytes
	if disk := ts.diskUsage(t, "carol"); used != 5000 || disk != 5000 {
		t.Errorf("usage %d, disk %d; want 5000 and 5000", used, disk)
	}
}

func TestReplaceCountsOnlyTheNewFile(t *testing.T) {
	ts := startServer(t)
	ts.addUser(t, "dave", "pw", 1000)
	c := ts.login(t, "dave", "pw")
	dir := t.TempDir()
	if _, err := c.Put(writeFile(t, dir, "a", make([]byte, 600)), "f"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Put(writeFile(t, dir, "b", make([]byte, 300)), "f"); err != nil {
		t.Fatal(err)
	}
	if u, _ := c.Quota(); u.Bytes != 300 || u.Files != 1 || ts.diskUsage(t, "dave") != 300 {
		t.Errorf("after replacing 600 bytes by 300: Quota() = %+v, disk %d; want 300 bytes in one file", u, ts.diskUsage(t, "dave"))
	}
}

// TestOneWriterPerFile: while one session uploads a file, another session
// of the same user gets "busy" for the same name.
func TestOneWriterPerFile(t *testing.T) {
	ts := startServer(t)
	ts.addUser(t, "erin", "pw", 1000)
	rc := ts.rawLogin(t, "erin", "pw")
	rc.send(t, proto.Request{Op: proto.OpPut, Path: "f", Size: 3}, nil)
	if resp := rc.recv(t); !resp.OK {
		t.Fatal(resp)
	}
	c := ts.login(t, "erin", "pw")
	local := writeFile(t, t.TempDir(), "x", []byte("xyz"))
	if _, err := c.Put(local, "f"); codeOf(err) != proto.CodeBusy {
		t.Errorf("second writer: %v, want busy", err)
	}
	rc.send(t, proto.Request{Op: proto.OpData}, []byte("abc"))
	rc.send(t, proto.Request{Op: proto.OpEnd, SHA256: sha([]byte("abc"))}, nil)
	if resp := rc.recv(t); !resp.OK {
		t.Fatalf("first writer: %+v", resp)
	}
	if _, err := c.Put(local, "f"); err != nil {
		t.Errorf("after the first upload ended: %v", err)
	}
}

// TestSessionsDoNotShareState: two sessions of one user each keep their
// own current directory.
func TestSessionsDoNotShareState(t *testing.T) {
	ts := startServer(t)
	ts.addUser(t, "fred", "pw", 1000)
	a := ts.login(t, "fred", "pw")
	b := ts.login(t, "fred", "pw")
	if err := a.Mkdir("d"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Cd("d"); err != nil {
		t.Fatal(err)
	}
	pa, _ := a.Pwd()
	pb, _ := b.Pwd()
	if pa != "/d" || pb != "/" {
		t.Errorf("Pwd() = %q and %q, want /d and /", pa, pb)
	}
}

// TestMalformedFramesEndOnlyThatConnection sends broken frames, some in the
// middle of an upload: each ends its own connection, leaves no part file
// and no usage behind, and the server goes on serving. The one exception
// is an upload whose body is cut short, which is what an interrupted
// upload looks like: its part file (the 40 bytes that arrived) is kept and
// counted, and the next put of the same file resumes from it.
func TestMalformedFramesEndOnlyThatConnection(t *testing.T) {
	ts := startServer(t)
	ts.addUser(t, "gina", "pw", 1<<20)
	bystander := ts.login(t, "gina", "pw")
	prefix := func(n int32, rest string) []byte {
		b := binary.LittleEndian.AppendUint32(nil, uint32(n))
		return append(b, rest...)
	}
	putThen := func(tail []byte) func(t *testing.T, rc *rawConn) {
		return func(t *testing.T, rc *rawConn) {
			rc.send(t, proto.Request{Op: proto.OpPut, Path: "up", Size: 100}, nil)
			if resp := rc.recv(t); !resp.OK {
				t.Fatal(resp)
			}
			rc.Write(tail)
		}
	}
	dataHeader, _ := frame.EncodeHeader(proto.Request{Op: proto.OpData}, 100)
	for _, tt := range []struct {
		name string
		do   func(t *testing.T, rc *rawConn)
	}{
		{"negative length", func(t *testing.T, rc *rawConn) { rc.Write(prefix(-1, "")) }},
		{"header over the limit", func(t *testing.T, rc *rawConn) { rc.Write(prefix(frame.MaxHeaderSize+1, "")) }},
		{"JSON that is not an object", func(t *testing.T, rc *rawConn) { rc.Write(prefix(5, "[1,2]")) }},
		{"bad data_size", func(t *testing.T, rc *rawConn) { rc.Write(prefix(28, `{"op":"pwd","data_size":-5} `)) }},
		{"body shorter than declared", func(t *testing.T, rc *rawConn) {
			putThen(append(dataHeader, make([]byte, 40)...))(t, rc)
			rc.Conn.(interface{ CloseWrite() error }).CloseWrite()
		}},
		{"garbage instead of end", func(t *testing.T, rc *rawConn) {
			putThen(append(append(dataHeader, make([]byte, 100)...), prefix(-7, "")...))(t, rc)
		}},
		{"header cut short", func(t *testing.T, rc *rawConn) {
			rc.Write(prefix(50, `{"op":`))
			rc.Conn.(interface{ CloseWrite() error }).CloseWrite()
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rc := ts.rawLogin(t, "gina", "pw")
			tt.do(t, rc)
			if !rc.closedByServer() {
				t.Fatal("the server kept the connection open")
			}
			if tt.name == "body shorter than declared" {
				resumeCutUpload(t, ts, "gina")
			}
			if p := ts.parts(t, "gina"); len(p) != 0 {
				t.Errorf("part files left: %v", p)
			}
			used := ts.usage(t, "gina").Bytes
			if disk := ts.diskUsage(t, "gina"); used != 0 || disk != 0 {
				t.Errorf("usage %d, disk %d; want 0", used, disk)
			}
			if _, err := bystander.Pwd(); err != nil {
				t.Errorf("another session broke: %v", err)
			}
		})
	}
}

// TestLoginFailureSaysTheSame checks that a wrong password and an unknown
// user get the same reply, and that an unknown user's salt is stable, so
// probing cannot tell which names exist.
func TestLoginFailureSaysTheSame(t *testing.T) {
	ts := startServer(t)
	ts.addUser(t, "henry", "right", 1000)
	attempt := func(user, pw string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		c, err := client.Dial(ctx, ts.addr, testTimeout)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		err = c.Login(user, pw)
		if err == nil {
			return "", nil
		}
		return codeOf(err) + ": " + err.Error(), err
	}
	wrong, err1 := attempt("henry", "wrong")
	unknown, err2 := attempt("nobody", "wrong")
	if err1 == nil || err2 == nil || wrong != unknown {
		t.Errorf("wrong password: %q; unknown user: %q; want the same failure", wrong, unknown)
	}
	if _, err := attempt("henry", "right"); err != nil {
		t.Errorf("right password: %v", err)
	}
	c1, err := ts.srv.Accounts.Credentials("nobody")
	if err != nil {
		t.Fatal(err)
	}
	c2, _ := ts.srv.Accounts.Credentials("nobody")
	c3, _ := ts.srv.Accounts.Credentials("nobody2")
	if c1.Salt != c2.Salt || c1.Salt == c3.Salt || c1.Iters != c3.Iters {
		t.Errorf("fake credentials not stable per name or not distinct between names")
	}
}

// TestFiftyUsersAtOnce: fifty users, each in their own session at the same
// time, upload and download files of random sizes; every checksum matches,
// and afterwards each user's usage equals the bytes on disk.
func TestFiftyUsersAtOnce(t *testing.T) {
	ts := startServer(t)
	const users = 50
	for i := range users {
		ts.addUser(t, fmt.Sprintf("user%02d", i), "pw", 4<<20)
	}
	work := t.TempDir()
	errc := make(chan error, users)
	var wg sync.WaitGroup
	for i := range users {
		wg.Go(func() { errc <- oneUser(ts.addr, fmt.Sprintf("user%02d", i), filepath.Join(work, fmt.Sprint(i))) })
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Error(err)
		}
	}
	for i := range users {
		name := fmt.Sprintf("user%02d", i)
		used := ts.usage(t, name).Bytes
		if disk := ts.diskUsage(t, name); used != disk || used == 0 {
			t.Errorf("%s: usage %d, disk %d; want equal and non-zero", name, used, disk)
		}
	}
}

func oneUser(addr, name, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c, err := client.Dial(ctx, addr, testTimeout)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Login(name, "pw"); err != nil {
		return fmt.Errorf("%s: login: %w", name, err)
	}
	if err := c.Mkdir("d"); err != nil {
		return err
	}
	if _, err := c.Cd("d"); err != nil {
		return err
	}
	var total int64
	for j := range 3 {
		size := mrand.IntN(300 << 10)
		if j == 0 {
			size = 0 // the empty file is a case of its own
		}
		data := make([]byte, size)
		rand.Read(data)
		src := filepath.Join(dir, fmt.Sprintf("src%d", j))
		if err := os.WriteFile(src, data, 0o644); err != nil {
			return err
		}
		r, err := c.Put(src, fmt.Sprintf("f%d", j))
		if err != nil {
			return fmt.Errorf("%s: put: %w", name, err)
		}
		if r.SHA256 != sha(data) {
			return fmt.Errorf("%s: put f%d: sha256 %s, want %s", name, j, r.SHA256, sha(data))
		}
		dst := filepath.Join(dir, fmt.Sprintf("dst%d", j))
		g, err := c.Get(fmt.Sprintf("/d/f%d", j), dst)
		if err != nil {
			return fmt.Errorf("%s: get: %w", name, err)
		}
		back, err := os.ReadFile(dst)
		if err != nil {
			return err
		}
		if g.SHA256 != sha(data) || !bytes.Equal(back, data) {
			return fmt.Errorf("%s: f%d came back different", name, j)
		}
		total += int64(size)
	}
	ents, err := c.List("")
	if err != nil || len(ents) != 3 {
		return fmt.Errorf("%s: ls = %v, %v; want 3 entries", name, ents, err)
	}
	u, err := c.Quota()
	used := u.Bytes
	if err != nil || used != total {
		return fmt.Errorf("%s: quota used %d, %v; want %d", name, used, err, total)
	}
	return nil
}

// TestShutdownEndsIdleSessions: a logged-in client waiting between
// commands does not hold up a graceful shutdown. The server is the zero
// value with only a data directory: no logger, no limits.
func TestShutdownEndsIdleSessions(t *testing.T) {
	data := t.TempDir()
	if err := accounts.Open(data).Add("ivy", "pw", 1000); err != nil {
		t.Fatal(err)
	}
	srv := &server.Server{DataDir: data}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c, err := client.Dial(ctx, ln.Addr().String(), testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login("ivy", "pw"); err != nil {
		t.Fatal(err)
	}
	if err := srv.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown() = %v, want nil: the idle session should end at once", err)
	}
	if err := <-errc; !errors.Is(err, server.ErrServerClosed) {
		t.Errorf("Serve() = %v, want ErrServerClosed", err)
	}
	if _, err := c.Pwd(); !errors.Is(err, client.ErrConn) {
		t.Errorf("Pwd() after shutdown = %v, want a lost connection", err)
	}
}
