package client_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gosockets/tutorial/07-ftp/accounts"
	"github.com/gosockets/tutorial/07-ftp/client"
	"github.com/gosockets/tutorial/07-ftp/internal/faultproxy"
	"github.com/gosockets/tutorial/07-ftp/server"
)

const testTimeout = 10 * time.Second

// serve runs a server for user "cat" on a loopback port until the test
// ends and returns its address.
func serve(t *testing.T) string {
	t.Helper()
	data := t.TempDir()
	if err := accounts.Open(data).Add("cat", "pw", 1<<20); err != nil {
		t.Fatal(err)
	}
	srv := &server.Server{DataDir: data}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-errc; !errors.Is(err, server.ErrServerClosed) {
			t.Errorf("Serve() = %v", err)
		}
	})
	return ln.Addr().String()
}

func dial(t *testing.T, addr string) *client.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c, err := client.Dial(ctx, addr, testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login("cat", "pw"); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestAttack7_GetLeavesForeignLocalFilesAlone: get never truncates or
// appends to a LOCAL.part it did not make, and never follows a symlink
// planted there; it says why and leaves both as they were.
func TestAttack7_GetLeavesForeignLocalFilesAlone(t *testing.T) {
	c := dial(t, serve(t))
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	os.WriteFile(src, []byte("the server's file"), 0o644)
	if _, err := c.Put(src, "notes"); err != nil {
		t.Fatal(err)
	}
	mine := filepath.Join(dir, "notes.part")
	os.WriteFile(mine, []byte("my own notes, not a download"), 0o644)
	for _, fresh := range []bool{false, true} {
		_, err := c.GetWith("notes", filepath.Join(dir, "notes"), client.Options{Fresh: fresh})
		if err == nil || !strings.Contains(err.Error(), "was not left by an interrupted get") {
			t.Errorf("get over an unrelated notes.part (fresh %v) = %v", fresh, err)
		}
		if b, _ := os.ReadFile(mine); string(b) != "my own notes, not a download" {
			t.Fatalf("an unrelated notes.part now holds %q", b)
		}
	}
	victim := filepath.Join(t.TempDir(), "victim")
	os.WriteFile(victim, []byte("precious"), 0o644)
	link := filepath.Join(dir, "other.part")
	os.Symlink(victim, link)
	if _, err := c.Get("notes", filepath.Join(dir, "other")); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("get over a planted symlink = %v", err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "precious" {
		t.Errorf("get wrote through a planted symlink: the victim holds %q", b)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the planted symlink was changed: %v, %v", fi, err)
	}
	if pwd, err := c.Pwd(); err != nil || pwd != "/" {
		t.Errorf("the session after the refusals: %q, %v", pwd, err)
	}
}

// TestOwnPartIsResumedOrReplaced: a part that an interrupted get left is
// resumed; if the server's file has changed since, it is discarded and the
// new file fetched whole.
func TestOwnPartIsResumedOrReplaced(t *testing.T) {
	addr := serve(t)
	c := dial(t, addr)
	dir := t.TempDir()
	data := make([]byte, 200_000)
	rand.Read(data)
	src := filepath.Join(dir, "src")
	os.WriteFile(src, data, 0o644)
	if _, err := c.Put(src, "big"); err != nil {
		t.Fatal(err)
	}
	local := filepath.Join(dir, "big")
	p, err := faultproxy.Start(addr, faultproxy.Fault{Dir: faultproxy.ServerToClient, After: 100_000})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	cut := dial(t, p.Addr())
	if _, err := cut.Get("big", local); !errors.Is(err, client.ErrConn) {
		t.Fatalf("get through a cut connection = %v", err)
	}
	part, _ := os.ReadFile(local + ".part")
	if len(part) == 0 || !bytes.HasPrefix(data, part) {
		t.Fatalf("part after the cut: %d bytes", len(part))
	}
	r, err := c.Get("big", local)
	if err != nil || r.Offset != int64(len(part)) {
		t.Fatalf("resumed get = %+v, %v; want offset %d", r, err, len(part))
	}
	// Cut again, then change the server's file: the part is ours but
	// stale.
	os.Remove(local)
	if _, err := dial(t, p.Addr()).Get("big", local); err == nil {
		t.Fatal("the second cut get succeeded")
	}
	rand.Read(data)
	os.WriteFile(src, data, 0o644)
	if _, err := c.Put(src, "big"); err != nil {
		t.Fatal(err)
	}
	r, err = c.Get("big", local)
	if err != nil || r.Offset != 0 || r.Discarded == 0 {
		t.Fatalf("get over a stale part of its own = %+v, %v; want it discarded", r, err)
	}
	if got, _ := os.ReadFile(local); !bytes.Equal(got, data) {
		t.Error("the file fetched over a stale part is not the server's")
	}
}
