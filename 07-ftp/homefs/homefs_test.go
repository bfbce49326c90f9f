package homefs

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestResolve(t *testing.T) {
	for _, tt := range []struct{ cwd, p, want string }{
		{"/", "a", "/a"},
		{"/", ".", "/"},
		{"/a", "b/c", "/a/b/c"},
		{"/a", "..", "/"},
		{"/a/b", "../c", "/a/c"},
		{"/a", "/x/./y//z/", "/x/y/z"},
		{"/a", "/", "/"},
		{"/", "a/../b", "/b"},
		{"/", strings.Repeat("n", MaxName), "/" + strings.Repeat("n", MaxName)},
	} {
		got, err := Resolve(tt.cwd, tt.p)
		if err != nil || got != tt.want {
			t.Errorf("Resolve(%q, %q) = %q, %v; want %q, nil", tt.cwd, tt.p, got, err, tt.want)
		}
	}
	for _, tt := range []struct {
		cwd, p string
		want   error
	}{
		{"/", "..", ErrOutside},
		{"/", "../..", ErrOutside},
		{"/a", "../..", ErrOutside},
		{"/", "a/../../x", ErrOutside},
		{"/a", "/../a", ErrOutside},
		{"/", "a\x00b", ErrBadName},
		{"/", "", ErrBadName},
		{"/", strings.Repeat("n", MaxName+1), ErrBadName},
	} {
		if got, err := Resolve(tt.cwd, tt.p); !errors.Is(err, tt.want) {
			t.Errorf("Resolve(%q, %q) = %q, %v; want %v", tt.cwd, tt.p, got, err, tt.want)
		}
	}
}

func TestMkdirDepthIsBounded(t *testing.T) {
	f, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	v := strings.Repeat("/d", MaxDepth+1)
	if err := f.Mkdir(v); !errors.Is(err, ErrBadName) {
		t.Errorf("Mkdir %d levels deep = %v, want ErrBadName", MaxDepth+1, err)
	}
}

func TestSymlinkOutIsRefused(t *testing.T) {
	base := t.TempDir()
	outside := filepath.Join(base, "outside.txt")
	os.WriteFile(outside, []byte("secret"), 0o644)
	f, err := Open(filepath.Join(base, "alice"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	os.Symlink(outside, filepath.Join(base, "alice", "files", "abs"))
	os.Symlink("../../outside.txt", filepath.Join(base, "alice", "files", "rel"))
	for _, v := range []string{"/abs", "/rel"} {
		if _, _, err := f.OpenFile(v); !errors.Is(err, ErrOutside) {
			t.Errorf("OpenFile(%s) = %v, want ErrOutside", v, err)
		}
	}
	// The link itself is listed (and removable), never followed.
	var infos []os.FileInfo
	err = f.List("/", func(fi os.FileInfo) error { infos = append(infos, fi); return nil })
	if err != nil || len(infos) != 2 || infos[0].Mode()&fs.ModeSymlink == 0 {
		t.Errorf("List(/) = %v, %v; want two symlinks", infos, err)
	}
}

func TestCommitReplacesAndRecordsSum(t *testing.T) {
	f, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for i, content := range []string{"first", "second!"} {
		p, _, err := f.OpenPart("/x", true)
		if err != nil {
			t.Fatal(err)
		}
		p.WriteAt([]byte(content), 0)
		p.Close()
		replaced, err := f.Commit("/x", "sum"+content)
		if want := []int64{-1, 5}[i]; err != nil || replaced != want {
			t.Fatalf("Commit #%d = %d, %v; want %d, nil", i, replaced, err, want)
		}
	}
	file, fi, err := f.OpenFile("/x")
	if err != nil {
		t.Fatal(err)
	}
	file.Close()
	if sum, ok := f.Sum("/x", fi); !ok || sum != "sumsecond!" {
		t.Errorf("Sum(/x) = %q, %v; want the latest", sum, ok)
	}
	if u, err := f.Usage(); err != nil || u != (Usage{Bytes: 7, Files: 1}) {
		t.Errorf("Usage() = %+v, %v; want 7 bytes in 1 file", u, err)
	}
}
