package server_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gosockets/tutorial/04-struct-framing/frame"
	"github.com/gosockets/tutorial/07-ftp/client"
	"github.com/gosockets/tutorial/07-ftp/homefs"
	"github.com/gosockets/tutorial/07-ftp/internal/faultproxy"
	"github.com/gosockets/tutorial/07-ftp/internal/flock"
	"github.com/gosockets/tutorial/07-ftp/proto"
	"github.com/gosockets/tutorial/07-ftp/store"
)

// overhead bounds the protocol bytes of a login and one transfer (frames,
// SCRAM, JSON headers), so a test can tell "the rest of the file" from
// "the whole file" in the bytes a proxy counted.
const overhead = 4 << 10

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// dialVia logs in through addr (a proxy), returning the client or the
// error of the dial or the login.
func dialVia(t *testing.T, addr, name, pw string) (*client.Client, error) {
	t.Helper()
	c, err := client.Dial(ctxT(t), addr, testTimeout)
	if err != nil {
		return nil, err
	}
	if err := c.Login(name, pw); err != nil {
		c.Abort()
		return nil, err
	}
	return c, nil
}

// startProxy starts a fault proxy in front of the test server.
func startProxy(t *testing.T, ts *testServer, f faultproxy.Fault) *faultproxy.Proxy {
	t.Helper()
	p, err := faultproxy.Start(ts.addr, f)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// partBytes returns the content of the part file of remote path v.
func (ts *testServer) partBytes(t *testing.T, name, v string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(store.UserDir(ts.data, name), homefs.PartName(v)))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (ts *testServer) checkUsage(t *testing.T, name string) {
	t.Helper()
	u := ts.usage(t, name)
	bytes, files, err := store.MeasureUsage(ts.data, name)
	if err != nil {
		t.Fatal(err)
	}
	if u.Bytes != bytes || u.Files != files {
		t.Errorf("usage counters %d bytes in %d files, on disk %d in %d; want equal", u.Bytes, u.Files, bytes, files)
	}
}

// cutGet downloads remote into local through a proxy that cuts the
// connection after about `after` bytes, leaving a part file of the client's
// own, and returns its size.
func cutGet(t *testing.T, ts *testServer, user, remote, local string, after int64) int {
	t.Helper()
	p := startProxy(t, ts, faultproxy.Fault{Dir: faultproxy.ServerToClient, After: after})
	c, err := dialVia(t, p.Addr(), user, "pw")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(remote, local); err == nil {
		t.Fatalf("get %s through a cut connection succeeded", remote)
	}
	c.Abort()
	part, err := os.ReadFile(local + ".part")
	if err != nil || len(part) == 0 {
		t.Fatalf("no part left by the cut get: %v", err)
	}
	return len(part)
}

// resumeCutUpload finishes the upload "up" of 100 zero bytes that
// TestMalformedFramesEndOnlyThatConnection cut after 40, and removes it.
func resumeCutUpload(t *testing.T, ts *testServer, name string) {
	t.Helper()
	ts.settle(t, name, "/up")
	if got := ts.partBytes(t, name, "/up"); !bytes.Equal(got, make([]byte, 40)) {
		t.Fatalf("part after a body cut short: %d bytes, want the 40 zero bytes that arrived", len(got))
	}
	ts.checkUsage(t, name)
	c := ts.login(t, name, "pw")
	r, err := c.Put(writeFile(t, t.TempDir(), "up", make([]byte, 100)), "up")
	if err != nil || r.Offset != 40 || r.Sent != 60 {
		t.Fatalf("resumed put = %+v, %v; want offset 40, 60 bytes sent", r, err)
	}
	if err := c.Remove("up"); err != nil {
		t.Fatal(err)
	}
}

// TestReq14_ResumeUploadAfterCutAtManyOffsets cuts an upload's connection
// (FIN or RST) after many different byte counts, from inside the login to
// after the last data byte. Each time the server keeps what arrived as a
// part file counted against the quota, and the next put resumes from the
// server's offset: the proxy in front of the second attempt counts the
// bytes it carried, which are the rest of the file and no more, and the
// stored file has the right SHA-256.
func TestReq14_ResumeUploadAfterCutAtManyOffsets(t *testing.T) {
	ts := startServer(t)
	ts.addUser(t, "rita", "pw", 64<<20)
	const size = 300_000
	dir := t.TempDir()
	// Measure the bytes of a whole session (login, put, end) to cut inside
	// its last frames too.
	p := startProxy(t, ts, faultproxy.NoFault)
	c, err := dialVia(t, p.Addr(), "rita", "pw")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Put(writeFile(t, dir, "base", randomBytes(t, size)), "g"); err != nil {
		t.Fatal(err)
	}
	c.Abort()
	whole, _ := p.Next(ctxT(t))
	cuts := []int64{50, 700, 2_000, 5_000, 40_000, 131_072, 200_001, 262_144, 299_000, whole.Up - 60, whole.Up - 1}
	for i, cut := range cuts {
		t.Run(fmt.Sprint(cut), func(t *testing.T) {
			data := randomBytes(t, size)
			local := writeFile(t, dir, fmt.Sprintf("f%d", i), data)
			p := startProxy(t, ts, faultproxy.Fault{Dir: faultproxy.ClientToServer, After: cut, Reset: i%2 == 1})
			c, err := dialVia(t, p.Addr(), "rita", "pw")
			if err == nil {
				_, err = c.Put(local, "f")
				c.Abort()
			}
			st, perr := p.Next(ctxT(t))
			if perr != nil || !st.Cut {
				t.Fatalf("proxy stats %+v, %v; want a cut", st, perr)
			}
			if err == nil {
				t.Fatal("put through a cut connection succeeded")
			}
			ts.settle(t, "rita", "/f")
			part := ts.partBytes(t, "rita", "/f")
			if !bytes.HasPrefix(data, part) {
				t.Fatalf("part of %d bytes is not a prefix of the file", len(part))
			}
			ts.checkUsage(t, "rita")

			p.SetFault(faultproxy.NoFault)
			c, err = dialVia(t, p.Addr(), "rita", "pw")
			if err != nil {
				t.Fatal(err)
			}
			r, err := c.Put(local, "f")
			c.Close()
			if err != nil {
				t.Fatalf("resumed put: %v", err)
			}
			st, _ = p.Next(ctxT(t))
			rest := int64(size - len(part))
			if r.Offset != int64(len(part)) || r.Sent != rest {
				t.Errorf("resumed put: offset %d, sent %d; want %d, %d", r.Offset, r.Sent, len(part), rest)
			}
			if st.Up < rest || st.Up > rest+overhead {
				t.Errorf("second attempt carried %d bytes up; want the %d remaining plus at most %d of protocol", st.Up, rest, overhead)
			}
			t.Logf("cut after %d bytes: part %d, resumed sending %d (wire %d)", cut, len(part), r.Sent, st.Up)
			stored, err := os.ReadFile(filepath.Join(ts.home("rita"), "f"))
			if err != nil || sha(stored) != sha(data) {
				t.Fatalf("stored file: %d bytes, sha %s, %v; want %s", len(stored), sha(stored), err, sha(data))
			}
			if p := ts.parts(t, "rita"); len(p) != 0 {
				t.Errorf("part files left after the commit: %v", p)
			}
			ts.checkUsage(t, "rita")
		})
	}
}

// TestReq14_ResumeDownloadAfterCutAtManyOffsets cuts a download's
// connection after many byte counts; the local part file keeps what
// arrived, and the next get sends its size and SHA-256 and receives only
// the rest.
func TestReq14_ResumeDownloadAfterCutAtManyOffsets(t *testing.T) {
	ts := startServer(t)
	ts.addUser(t, "gus", "pw", 64<<20)
	const size = 300_000
	data := randomBytes(t, size)
	up := ts.login(t, "gus", "pw")
	if _, err := up.Put(writeFile(t, t.TempDir(), "g", data), "g"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for i, cut := range []int64{30, 500, 3_000, 65_536, 150_000, 262_144, 299_500, size + 300} {
		t.Run(fmt.Sprint(cut), func(t *testing.T) {
			local := filepath.Join(dir, fmt.Sprintf("g%d", i))
			p := startProxy(t, ts, faultproxy.Fault{Dir: faultproxy.ServerToClient, After: cut, Reset: i%2 == 0})
			c, err := dialVia(t, p.Addr(), "gus", "pw")
			if err == nil {
				_, err = c.Get("g", local)
				c.Abort()
			}
			if err == nil {
				t.Fatal("get through a cut connection succeeded")
			}
			if st, _ := p.Next(ctxT(t)); !st.Cut {
				t.Fatalf("proxy did not cut: %+v", st)
			}
			part, _ := os.ReadFile(local + ".part")
			if !bytes.HasPrefix(data, part) {
				t.Fatalf("local part of %d bytes is not a prefix", len(part))
			}
			p.SetFault(faultproxy.NoFault)
			c, err = dialVia(t, p.Addr(), "gus", "pw")
			if err != nil {
				t.Fatal(err)
			}
			r, err := c.Get("g", local)
			c.Close()
			if err != nil {
				t.Fatalf("resumed get: %v", err)
			}
			st, _ := p.Next(ctxT(t))
			rest := int64(size - len(part))
			if r.Offset != int64(len(part)) || r.Sent != rest || st.Down < rest || st.Down > rest+overhead {
				t.Errorf("resumed get: offset %d, sent %d, wire %d down; want %d, %d, at most %d more", r.Offset, r.Sent, st.Down, len(part), rest, overhead)
			}
			got, err := os.ReadFile(local)
			if err != nil || sha(got) != sha(data) {
				t.Fatalf("downloaded file does not verify: %v", err)
			}
			if _, err := os.Stat(local + ".part"); !errors.Is(err, os.ErrNotExist) {
				t.Error("local part file left after the rename")
			}
		})
	}
}

// TestResumeOfDifferentSourceStartsOver: a part that is not a prefix of
// the file being sent (another file, same name) is discarded in both
// directions, the caller learns so, and the result is the new file.
func TestResumeOfDifferentSourceStartsOver(t *testing.T) {
	ts := startServer(t)
	ts.addUser(t, "dora", "pw", 64<<20)
	dir := t.TempDir()
	a, b := randomBytes(t, 100_000), randomBytes(t, 100_000)
	// Leave a 50 000-byte part of a on the server.
	p := startProxy(t, ts, faultproxy.Fault{Dir: faultproxy.ClientToServer, After: 51_000})
	c, err := dialVia(t, p.Addr(), "dora", "pw")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Put(writeFile(t, dir, "a", a), "x"); err == nil {
		t.Fatal("cut put succeeded")
	}
	ts.settle(t, "dora", "/x")
	had := len(ts.partBytes(t, "dora", "/x"))
	if had == 0 {
		t.Fatal("no part kept")
	}
	c = ts.login(t, "dora", "pw")
	r, err := c.Put(writeFile(t, dir, "b", b), "x")
	if err != nil || r.Offset != 0 || r.Discarded != int64(had) || r.Sent != int64(len(b)) {
		t.Fatalf("put of another file over the part = %+v, %v; want a fresh upload that discarded %d bytes", r, err, had)
	}
	stored, _ := os.ReadFile(filepath.Join(ts.home("dora"), "x"))
	if !bytes.Equal(stored, b) {
		t.Fatal("stored file is not the new one")
	}
	ts.checkUsage(t, "dora")

	// A local part, left by a cut get of another file, that is not a
	// prefix of the remote file.
	if _, err := c.Put(writeFile(t, dir, "a2", a), "a"); err != nil {
		t.Fatal(err)
	}
	local := filepath.Join(dir, "x")
	had = cutGet(t, ts, "dora", "a", local, 40_000)
	r, err = c.Get("x", local)
	if err != nil || r.Offset != 0 || r.Discarded != int64(had) || r.Sent != int64(len(b)) {
		t.Fatalf("get over a part of another file = %+v, %v; want a whole download that discarded %d", r, err, had)
	}
	if got, _ := os.ReadFile(local); !bytes.Equal(got, b) {
		t.Fatal("downloaded file is not the server's")
	}
	// A local part longer than the remote file.
	big := append(bytes.Clone(b), randomBytes(t, 100_000)...)
	if _, err := c.Put(writeFile(t, dir, "big", big), "big"); err != nil {
		t.Fatal(err)
	}
	had = cutGet(t, ts, "dora", "big", local, 150_000)
	if had <= len(b) {
		t.Fatalf("the part of the longer file holds %d bytes, want more than %d", had, len(b))
	}
	if r, err = c.Get("x", local); err != nil || r.Offset != 0 || r.Discarded != int64(had) {
		t.Fatalf("get over a longer part = %+v, %v", r, err)
	}
}

// TestFreshIgnoresPart: put -fresh and get -fresh start over even when the
// part would match.
func TestFreshIgnoresPart(t *testing.T) {
	ts := startServer(t)
	ts.addUser(t, "fred", "pw", 64<<20)
	data := randomBytes(t, 80_000)
	dir := t.TempDir()
	local := writeFile(t, dir, "f", data)
	p := startProxy(t, ts, faultproxy.Fault{Dir: faultproxy.ClientToServer, After: 40_000})
	if c, err := dialVia(t, p.Addr(), "fred", "pw"); err == nil {
		c.Put(local, "f")
		c.Abort()
	}
	ts.settle(t, "fred", "/f")
	had := int64(len(ts.partBytes(t, "fred", "/f")))
	c := ts.login(t, "fred", "pw")
	r, err := c.PutWith(local, "f", client.Options{Fresh: true})
	if err != nil || r.Offset != 0 || r.Sent != int64(len(data)) || r.Discarded != had {
		t.Fatalf("put -fresh = %+v, %v; want a whole upload discarding %d", r, err, had)
	}
	out := filepath.Join(dir, "out")
	cutGet(t, ts, "fred", "f", out, 20_000)
	r, err = c.GetWith("f", out, client.Options{Fresh: true})
	if err != nil || r.Offset != 0 || r.Sent != int64(len(data)) {
		t.Fatalf("get -fresh = %+v, %v; want a whole download", r, err)
	}
	ts.checkUsage(t, "fred")
}

// TestOneWriterPerPart: while a stale session still holds an upload open
// (it sent half its data and went quiet), a second session that tries to
// resume the same file is told "busy" at once; nothing interleaves. Once
// the stale session is gone, the resume goes through.
func TestOneWriterPerPart(t *testing.T) {
	ts := startServer(t)
	ts.addUser(t, "sam", "pw", 1<<20)
	data := randomBytes(t, 10_000)
	stale := ts.rawLogin(t, "sam", "pw")
	stale.send(t, proto.Request{Op: proto.OpPut, Path: "s", Size: int64(len(data))}, nil)
	if resp := stale.recv(t); !resp.OK {
		t.Fatal(resp)
	}
	hdr, _ := frameHeader(proto.Request{Op: proto.OpData}, int64(len(data)))
	stale.Write(append(hdr, data[:4000]...))

	c := ts.login(t, "sam", "pw")
	local := writeFile(t, t.TempDir(), "s", data)
	_, err := c.Put(local, "s")
	var pe *proto.Error
	if !errors.As(err, &pe) || pe.Code != proto.CodeBusy || !strings.Contains(err.Error(), "busy") {
		t.Fatalf("second writer: %v; want a busy error", err)
	}
	stale.Close() // the next put waits until the server has let go of the part
	r, err := c.Put(local, "s")
	if err != nil || r.Offset != 4000 || r.Sent != 6000 {
		t.Fatalf("resume after the stale writer left = %+v, %v", r, err)
	}
	ts.checkUsage(t, "sam")
}

// TestResumeOffsetsAreRangeChecked: the data of an upload must start at
// the offered offset or at 0; a get offset needs a prefix digest, and one
// past the end of the file gets the whole file.
func TestResumeOffsetsAreRangeChecked(t *testing.T) {
	ts := startServer(t)
	ts.addUser(t, "olga", "pw", 1<<20)
	rc := ts.rawLogin(t, "olga", "pw")
	rc.send(t, proto.Request{Op: proto.OpPut, Path: "o", Size: 100}, nil)
	if resp := rc.recv(t); !resp.OK || resp.Offset != 0 {
		t.Fatal(resp)
	}
	rc.send(t, proto.Request{Op: proto.OpData, Offset: 7}, make([]byte, 93))
	if resp := rc.recv(t); resp.Code != proto.CodeBadReq || !strings.Contains(resp.Error, "offset 0 or 0, not 7") {
		t.Errorf("data at a made-up offset: %+v", resp)
	}
	if !rc.closedByServer() {
		t.Error("session went on after a bad offset")
	}
	c := ts.login(t, "olga", "pw")
	if _, err := c.Put(writeFile(t, t.TempDir(), "o", make([]byte, 100)), "o"); err != nil {
		t.Fatal(err)
	}
	rc = ts.rawLogin(t, "olga", "pw")
	rc.send(t, proto.Request{Op: proto.OpGet, Path: "o", Offset: 10}, nil)
	if resp := rc.recv(t); resp.Code != proto.CodeBadReq || !strings.Contains(resp.Error, "needs the sha256") {
		t.Errorf("get offset without a digest: %+v", resp)
	}
	rc.send(t, proto.Request{Op: proto.OpGet, Path: "o", Offset: 1000, SHA256: sha(make([]byte, 1000))}, nil)
	resp := rc.recv(t)
	if !resp.OK || resp.Offset != 0 || resp.Discarded != 1000 {
		t.Errorf("get offset past the end: %+v; want the whole file", resp)
	}
	ts.checkUsage(t, "olga")
}

// TestAbandonedPartsAreCleanedUp: a part file older than the age limit is
// removed and its bytes leave the usage; a recent one stays.
func TestAbandonedPartsAreCleanedUp(t *testing.T) {
	ts := startServer(t)
	ts.addUser(t, "abe", "pw", 1<<20)
	rc := ts.rawLogin(t, "abe", "pw")
	for _, name := range []string{"old", "new"} {
		rc.send(t, proto.Request{Op: proto.OpPut, Path: name, Size: 100}, nil)
		rc.recv(t)
		hdr, _ := frameHeader(proto.Request{Op: proto.OpData}, 100)
		rc.Write(append(hdr, make([]byte, 60)...))
		rc.Close()
		ts.settle(t, "abe", "/"+name)
		rc = ts.rawLogin(t, "abe", "pw")
	}
	oldPart := filepath.Join(store.UserDir(ts.data, "abe"), homefs.PartName("/old"))
	long := time.Now().Add(-48 * time.Hour)
	if err := os.Chtimes(oldPart, long, long); err != nil {
		t.Fatal(err)
	}
	if used := ts.usage(t, "abe").Bytes; used != 120 {
		t.Fatalf("usage with two parts = %d, want 120", used)
	}
	want := []store.Cleaned{{User: "abe", Count: 1, Bytes: 60}}
	if got := ts.store.CleanParts(24 * time.Hour); !cmp.Equal(got, want) {
		t.Errorf("CleanParts() = %+v, want %+v", got, want)
	}
	if used := ts.usage(t, "abe").Bytes; used != 60 || len(ts.parts(t, "abe")) != 1 {
		t.Errorf("after cleanup: usage %d, parts %v; want 60 and the recent part", used, ts.parts(t, "abe"))
	}
	ts.checkUsage(t, "abe")
}

func frameHeader(v any, size int64) ([]byte, error) {
	return frame.EncodeHeader(v, size)
}

// TestOneDownloaderPerLocalPart: while another process holds LOCAL.part
// (here the test, through the same lock), get refuses at once and leaves
// it alone; once it is free, get resumes from it.
func TestOneDownloaderPerLocalPart(t *testing.T) {
	ts := startServer(t)
	ts.addUser(t, "lou", "pw", 1<<20)
	data := randomBytes(t, 50_000)
	c := ts.login(t, "lou", "pw")
	if _, err := c.Put(writeFile(t, t.TempDir(), "l", data), "l"); err != nil {
		t.Fatal(err)
	}
	local := filepath.Join(t.TempDir(), "l")
	had := cutGet(t, ts, "lou", "l", local, 20_000)
	other, err := flock.Create(local + ".part")
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Get("l", local)
	if err == nil || !strings.Contains(err.Error(), "is being written by another ftp process") {
		t.Fatalf("get into a locked part = %v", err)
	}
	other.Close()
	r, err := c.Get("l", local)
	if err != nil || r.Offset != int64(had) {
		t.Fatalf("get after the lock was released = %+v, %v", r, err)
	}
}
