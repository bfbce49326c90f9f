package store_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gosockets/tutorial/07-ftp/homefs"
	"github.com/gosockets/tutorial/07-ftp/store"
)

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// open opens a store on a fresh directory and a home of user in it.
func open(t *testing.T, quota int64) (*store.Store, *store.Home) {
	t.Helper()
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h, err := st.Home("u", store.Limits{Bytes: quota})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return st, h
}

// upload runs a whole upload of data to v with options o and commits it.
func upload(t *testing.T, h *store.Home, v string, o store.UploadOptions, data []byte) (store.Committed, error) {
	t.Helper()
	up, err := h.BeginUpload(ctxT(t), v, o)
	if err != nil {
		return store.Committed{}, err
	}
	defer up.Keep()
	if _, err := up.ReadFrom(bytes.NewReader(data)); err != nil {
		return store.Committed{}, err
	}
	return up.Commit("")
}

func content(t *testing.T, st *store.Store, v string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(store.UserDir(st.Dir(), "u"), "files", v))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func checkUsage(t *testing.T, st *store.Store, h *store.Home) {
	t.Helper()
	bytes, files, err := store.MeasureUsage(st.Dir(), "u")
	if err != nil {
		t.Fatal(err)
	}
	if u := h.Usage(); u.Bytes != bytes || u.Files != files {
		t.Errorf("usage counters %d bytes in %d files, on disk %d in %d; want equal", u.Bytes, u.Files, bytes, files)
	}
}

func TestOneStorePerDirectory(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Open(dir); !errors.Is(err, store.ErrInUse) {
		t.Errorf("second Open = %v, want ErrInUse", err)
	}
	st.Close()
	st, err = store.Open(dir)
	if err != nil {
		t.Fatalf("Open after Close = %v", err)
	}
	st.Close()
}

// TestUploadLifecycle: a known size is reserved before any byte flows,
// the commit checks size and checksum, records the sum, and the quota
// follows every step.
func TestUploadLifecycle(t *testing.T) {
	st, h := open(t, 100)
	if _, err := h.BeginUpload(ctxT(t), "/big", store.UploadOptions{Size: 101}); !errors.Is(err, store.ErrQuota) {
		t.Fatalf("BeginUpload over the quota = %v, want ErrQuota", err)
	}
	up, err := h.BeginUpload(ctxT(t), "/a", store.UploadOptions{Size: 5})
	if err != nil {
		t.Fatal(err)
	}
	if got := h.Usage().Bytes; got != 5 {
		t.Errorf("usage while uploading = %d, want the 5 reserved", got)
	}
	if _, err := up.ReadFrom(strings.NewReader("hello")); err != nil {
		t.Fatal(err)
	}
	c, err := up.Commit(sha([]byte("hello")))
	if err != nil || c.Size != 5 || c.SHA256 != sha([]byte("hello")) {
		t.Fatalf("Commit = %+v, %v", c, err)
	}
	if sum, ok := h.Sum("/a"); !ok || sum != c.SHA256 {
		t.Errorf("Sum(/a) = %q, %v; want the recorded sum", sum, ok)
	}
	for _, tt := range []struct {
		name, data, sum string
		want            error
	}{
		{"short", "hell", "", store.ErrSize},
		{"wrong checksum", "jello", sha([]byte("hello")), store.ErrChecksum},
	} {
		up, err := h.BeginUpload(ctxT(t), "/a", store.UploadOptions{Size: 5})
		if err != nil {
			t.Fatal(err)
		}
		up.ReadFrom(strings.NewReader(tt.data))
		if _, err := up.Commit(tt.sum); !errors.Is(err, tt.want) {
			t.Errorf("%s: Commit = %v, want %v", tt.name, err, tt.want)
		}
	}
	if got := content(t, st, "a"); got != "hello" {
		t.Errorf("/a = %q after failed uploads, want hello", got)
	}
	up, _ = h.BeginUpload(ctxT(t), "/a", store.UploadOptions{Size: 3})
	if _, err := up.ReadFrom(strings.NewReader("toolong")); !errors.Is(err, store.ErrQuota) {
		t.Errorf("ReadFrom of more than announced = %v, want ErrQuota", err)
	}
	up.Abort()
	checkUsage(t, st, h)
}

// TestUploadOfUnknownSize (standard FTP's STOR): the quota is taken as
// the bytes arrive and stops them at the limit.
func TestUploadOfUnknownSize(t *testing.T) {
	st, h := open(t, 10)
	if c, err := upload(t, h, "/a", store.UploadOptions{Size: store.UnknownSize}, []byte("123456")); err != nil || c.Size != 6 {
		t.Fatalf("upload = %+v, %v", c, err)
	}
	up, err := h.BeginUpload(ctxT(t), "/b", store.UploadOptions{Size: store.UnknownSize})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := up.ReadFrom(strings.NewReader("12345")); !errors.Is(err, store.ErrQuota) {
		t.Errorf("ReadFrom past the quota = %v, want ErrQuota", err)
	}
	up.Abort()
	if err := h.CheckRoom(4); err != nil {
		t.Errorf("CheckRoom(4) = %v, want nil", err)
	}
	if err := h.CheckRoom(5); !errors.Is(err, store.ErrQuota) {
		t.Errorf("CheckRoom(5) = %v, want ErrQuota", err)
	}
	checkUsage(t, st, h)
}

// TestKeepAndResume: an interrupted upload keeps its part, counted; the
// next upload of the path starts at its end with its digest, or discards
// it when it cannot be a prefix, or when told to.
func TestKeepAndResume(t *testing.T) {
	st, h := open(t, 100)
	up, _ := h.BeginUpload(ctxT(t), "/f", store.UploadOptions{Size: 10})
	up.ReadFrom(strings.NewReader("0123"))
	if n := up.Keep(); n != 4 {
		t.Fatalf("Keep() = %d, want 4", n)
	}
	checkUsage(t, st, h)
	up, err := h.BeginUpload(ctxT(t), "/f", store.UploadOptions{Size: 10})
	if err != nil || up.Offset() != 4 || up.PrefixSum() != sha([]byte("0123")) {
		t.Fatalf("resumed upload: offset %d, prefix %s, %v", up.Offset(), up.PrefixSum(), err)
	}
	up.ReadFrom(strings.NewReader("456789"))
	if _, err := up.Commit(sha([]byte("0123456789"))); err != nil {
		t.Fatal(err)
	}
	up, _ = h.BeginUpload(ctxT(t), "/g", store.UploadOptions{Size: 10})
	up.ReadFrom(strings.NewReader("abcdef"))
	up.Keep()
	up, _ = h.BeginUpload(ctxT(t), "/g", store.UploadOptions{Size: 3})
	if up.Offset() != 0 || up.Discarded() != 6 {
		t.Errorf("a part longer than the file: offset %d, discarded %d; want 0, 6", up.Offset(), up.Discarded())
	}
	up.Abort()
	checkUsage(t, st, h)
}

// TestUploadAtAndAppend: FTP's REST+STOR and APPE through the core.
func TestUploadAtAndAppend(t *testing.T) {
	st, h := open(t, 1000)
	if _, err := upload(t, h, "/f", store.UploadOptions{Size: store.UnknownSize}, []byte("hello world")); err != nil {
		t.Fatal(err)
	}
	c, err := upload(t, h, "/f", store.UploadOptions{Size: store.UnknownSize, Mode: store.At, Offset: 6}, []byte("there"))
	if err != nil || content(t, st, "f") != "hello there" || c.SHA256 != sha([]byte("hello there")) {
		t.Fatalf("REST 6 + STOR: %q, %+v, %v", content(t, st, "f"), c, err)
	}
	if _, err := upload(t, h, "/f", store.UploadOptions{Size: store.UnknownSize, Mode: store.Append}, []byte("!")); err != nil {
		t.Fatal(err)
	}
	if got := content(t, st, "f"); got != "hello there!" {
		t.Errorf("after APPE: %q", got)
	}
	if _, err := upload(t, h, "/new", store.UploadOptions{Size: store.UnknownSize, Mode: store.Append}, []byte("x")); err != nil || content(t, st, "new") != "x" {
		t.Errorf("APPE to a new file: %v", err)
	}
	if _, err := h.BeginUpload(ctxT(t), "/f", store.UploadOptions{Size: store.UnknownSize, Mode: store.At, Offset: 100}); !errors.Is(err, store.ErrOffset) {
		t.Errorf("REST past the end = %v, want ErrOffset", err)
	}
	checkUsage(t, st, h)
}

// TestOneWriterPerPath: a second upload of the same path waits for the
// first, and gives up with ErrBusy when its context ends.
func TestOneWriterPerPath(t *testing.T) {
	_, h := open(t, 100)
	first, err := h.BeginUpload(ctxT(t), "/f", store.UploadOptions{Size: 1})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.BeginUpload(ctx, "/f", store.UploadOptions{Size: 1}); !errors.Is(err, store.ErrBusy) {
		t.Errorf("second writer = %v, want ErrBusy", err)
	}
	if up, err := h.BeginUpload(ctx, "/other", store.UploadOptions{Size: 1}); err != nil {
		t.Errorf("another path = %v", err)
	} else {
		up.Abort()
	}
	got := make(chan error, 1)
	go func() {
		up, err := h.BeginUpload(ctxT(t), "/f", store.UploadOptions{Size: 1})
		if err == nil {
			up.Abort()
		}
		got <- err
	}()
	first.Abort()
	if err := <-got; err != nil {
		t.Errorf("the waiting writer = %v, want the slot once the first ended", err)
	}
}

// TestDownload: the recorded sum is used as it is; a changed file is
// hashed while it is sent; a resume continues only after a matching
// prefix.
func TestDownload(t *testing.T) {
	st, h := open(t, 1000)
	data := []byte("the quick brown fox")
	if _, err := upload(t, h, "/f", store.UploadOptions{Size: int64(len(data))}, data); err != nil {
		t.Fatal(err)
	}
	send := func(off int64) (string, string, bool) {
		t.Helper()
		d, err := h.BeginDownload("/f")
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		_, known := d.Sum()
		if off > 0 {
			if got, _ := d.Resume(off, sha(data[:off])); got != off {
				t.Fatalf("Resume(%d) = %d", off, got)
			}
		}
		var b bytes.Buffer
		n, sum, err := d.Send(&b, off)
		if err != nil || n != int64(len(data))-off {
			t.Fatalf("Send(%d) = %d, %v", off, n, err)
		}
		return b.String(), sum, known
	}
	if got, sum, known := send(0); got != string(data) || sum != sha(data) || !known {
		t.Errorf("Send(0) = %q, %s, known %v", got, sum, known)
	}
	// Changed behind the server's back: same size, another time.
	p := filepath.Join(store.UserDir(st.Dir(), "u"), "files", "f")
	os.WriteFile(p, []byte("the quick brown cat"), 0o644)
	os.Chtimes(p, time.Now(), time.Now().Add(time.Hour))
	data = []byte("the quick brown cat")
	if got, sum, known := send(4); got != string(data[4:]) || sum != sha(data) || known {
		t.Errorf("Send(4) of a changed file = %q, %s, known %v; want it hashed", got, sum, known)
	}
	d, _ := h.BeginDownload("/f")
	defer d.Close()
	if off, err := d.Resume(4, sha([]byte("nope"))); off != 0 || err != nil {
		t.Errorf("Resume with a foreign prefix = %d, %v; want 0", off, err)
	}
}

// TestNamespace: list, mkdir, the removals for each kind of name, and the
// bytes they give back.
func TestNamespace(t *testing.T) {
	st, h := open(t, 1000)
	if err := h.Mkdir("/d"); err != nil {
		t.Fatal(err)
	}
	upload(t, h, "/d/f", store.UploadOptions{Size: 3}, []byte("abc"))
	var names []string
	for e, err := range h.List("/d") {
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, e.Type+" "+e.Name)
	}
	if diff := cmp.Diff([]string{"file f"}, names); diff != "" {
		t.Errorf("List(/d) (-want +got):\n%s", diff)
	}
	for _, tt := range []struct {
		name string
		err  error
		want error
	}{
		{"RemoveDir of a file", h.RemoveDir("/d/f"), store.ErrNotDir},
		{"RemoveDir of a full directory", h.RemoveDir("/d"), syscall.ENOTEMPTY},
		{"RemoveFile of a directory", second(h.RemoveFile("/d")), store.ErrIsDir},
		{"Chdir to a file", second(h.Chdir("/d/f")), store.ErrNotDir},
		{"Stat of a missing name", second(h.Stat("/nope")), fs.ErrNotExist},
	} {
		if !errors.Is(tt.err, tt.want) {
			t.Errorf("%s = %v, want %v", tt.name, tt.err, tt.want)
		}
	}
	if freed, err := h.RemoveFile("/d/f"); err != nil || freed != 3 {
		t.Errorf("RemoveFile = %d, %v; want 3", freed, err)
	}
	if err := h.RemoveDir("/d"); err != nil {
		t.Error(err)
	}
	checkUsage(t, st, h)
}

func second[T any](_ T, err error) error { return err }

// TestCleanParts: parts older than the age go, with their bytes, except
// the one being written.
func TestCleanParts(t *testing.T) {
	st, h := open(t, 1000)
	for _, v := range []string{"/old", "/busy"} {
		up, _ := h.BeginUpload(ctxT(t), v, store.UploadOptions{Size: 10})
		up.ReadFrom(strings.NewReader("12345"))
		up.Keep()
		long := time.Now().Add(-48 * time.Hour)
		os.Chtimes(filepath.Join(store.UserDir(st.Dir(), "u"), homefs.PartName(v)), long, long)
	}
	busy, err := h.BeginUpload(ctxT(t), "/busy", store.UploadOptions{Size: 10})
	if err != nil {
		t.Fatal(err)
	}
	got := st.CleanParts(24 * time.Hour)
	if want := []store.Cleaned{{User: "u", Count: 1, Bytes: 5}}; !slices.Equal(got, want) {
		t.Errorf("CleanParts = %+v, want %+v", got, want)
	}
	busy.Keep()
	checkUsage(t, st, h)
}

// TestFilesAreCounted: directories, files and part files count against the
// limit; an upload abandoned before its first byte leaves no part.
func TestFilesAreCounted(t *testing.T) {
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	h, err := st.Home("u", store.Limits{Bytes: 1000, Files: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if err := h.Mkdir("/d"); err != nil {
		t.Fatal(err)
	}
	if _, err := upload(t, h, "/d/f", store.UploadOptions{Size: 0}, nil); err != nil {
		t.Fatal(err)
	}
	up, err := h.BeginUpload(ctxT(t), "/p", store.UploadOptions{Size: 10})
	if err != nil {
		t.Fatalf("a part as the third file: %v", err)
	}
	if err := h.Mkdir("/e"); !errors.Is(err, store.ErrQuota) || !strings.Contains(err.Error(), "too many files: 3 of 3") {
		t.Errorf("Mkdir of a fourth = %v, want a quota error on files", err)
	}
	up.Keep() // nothing arrived: no part is kept
	if err := h.Mkdir("/e"); err != nil {
		t.Errorf("Mkdir once the empty part went = %v", err)
	}
	// Replacing a file keeps the count.
	if _, err := upload(t, h, "/d/f", store.UploadOptions{Size: 1}, []byte("x")); !errors.Is(err, store.ErrQuota) {
		t.Errorf("a replacement's part needs a place of its own until the commit: %v", err)
	}
	h.RemoveDir("/e")
	if _, err := upload(t, h, "/d/f", store.UploadOptions{Size: 1}, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if u := h.Usage(); u.Files != 2 || u.FilesLimit != 3 {
		t.Errorf("Usage() = %+v, want 2 of 3 files", u)
	}
	checkUsage(t, st, h)
}

// TestRename: a file and a whole directory move with their checksum
// records; nothing is replaced, a directory does not go into itself, and
// the counters do not change.
func TestRename(t *testing.T) {
	st, h := open(t, 1000)
	h.Mkdir("/d")
	upload(t, h, "/d/f", store.UploadOptions{Size: 3}, []byte("abc"))
	upload(t, h, "/g", store.UploadOptions{Size: 2}, []byte("xy"))
	before := h.Usage()
	if err := h.Rename("/d", "/e"); err != nil {
		t.Fatal(err)
	}
	if err := h.Rename("/e/f", "/e/f2"); err != nil {
		t.Fatal(err)
	}
	if sum, ok := h.Sum("/e/f2"); !ok || sum != sha([]byte("abc")) {
		t.Errorf("Sum after moving the file and its directory = %q, %v; want the recorded sum", sum, ok)
	}
	for _, tt := range []struct {
		from, to string
		want     error
	}{
		{"/g", "/e/f2", fs.ErrExist},
		{"/e", "/e/sub", store.ErrBadName},
		{"/", "/x", store.ErrBadName},
		{"/nope", "/x", fs.ErrNotExist},
		{"/g", "/missing-dir/g", fs.ErrNotExist},
	} {
		if err := h.Rename(tt.from, tt.to); !errors.Is(err, tt.want) {
			t.Errorf("Rename(%s, %s) = %v, want %v", tt.from, tt.to, err, tt.want)
		}
	}
	if got := h.Usage(); got != before {
		t.Errorf("usage after the moves = %+v, want %+v", got, before)
	}
	checkUsage(t, st, h)
}
