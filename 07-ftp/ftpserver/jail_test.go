package ftpserver_test

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestJailAttacks tries the chapter's ways out of a home (those of the
// course protocol's TestJailAttacks) with every FTP command that takes a
// path, and checks that each is refused and that nothing under the data
// directory changed.
func TestJailAttacks(t *testing.T) {
	ts := startServer(t, false)
	ts.addUser(t, "alice", "alice-pw", 1<<20)
	ts.addUser(t, "alice_a", "other-pw", 1<<20)
	other := ts.dial(t)
	other.login("alice_a", "other-pw")
	if code, _ := other.stor("secret.txt", []byte("attack")); code != 226 {
		t.Fatal("alice_a's upload failed")
	}
	c := ts.dial(t)
	c.login("alice", "alice-pw")
	c.want("MKD sub", 257)
	if code, _ := c.stor("victim.txt", []byte("mine")); code != 226 {
		t.Fatal("alice's upload failed")
	}
	// Links planted in alice's home by someone with shell access.
	if err := os.Symlink("../../alice_a/files", filepath.Join(ts.home("alice"), "out")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc", filepath.Join(ts.home("alice"), "etclink")); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, ts.data)

	const outside = "path is outside your home directory"
	attacks := []struct {
		name, path string
		code       int
		words      string
	}{
		{"dotdot", "../..", 550, outside},
		{"dotdot file", "../../../../etc/passwd", 550, outside},
		{"absolute", "/etc/passwd", 550, "no such file or directory"}, // "/" is the home
		{"symlink to sibling", "out/secret.txt", 550, outside},
		{"symlink to /etc", "etclink/passwd", 550, outside},
		{"NUL byte", "sub\x00/../../x", 501, "control characters"},
		{"name over 255 bytes", strings.Repeat("x", 256), 553, ""},
		{"dotdot in the middle", "a/../../x", 550, outside},
		{"dotdot after a real dir", "sub/../../alice_a/files/secret.txt", 550, outside},
		{"prefix sibling alice_a", "../alice_a/files/secret.txt", 550, outside},
		{"absolute dotdot", "/../alice_a", 550, outside},
	}
	// Each command is one line; RNTO comes after an RNFR that succeeds.
	ops := []struct {
		verb string
		pre  string
	}{{"CWD", ""}, {"RETR", ""}, {"STOR", ""}, {"DELE", ""}, {"MKD", ""}, {"RNFR", ""}, {"RNTO", "RNFR victim.txt"},
		{"SIZE", ""}, {"MLST", ""}, {"MDTM", ""}, {"RMD", ""}, {"APPE", ""}, {"LIST", ""}, {"MLSD", ""}}
	for _, a := range attacks {
		for _, op := range ops {
			t.Run(a.name+"/"+op.verb, func(t *testing.T) {
				c.t = t
				if op.pre != "" {
					c.want(op.pre, 350)
				}
				switch op.verb {
				case "LIST", "MLSD", "RETR", "STOR", "APPE":
					c.epsv()
				}
				code, text := c.cmd(op.verb + " " + a.path)
				if code == 150 {
					t.Fatalf("%s %q opened a data connection", op.verb, a.path)
				}
				want := a.code
				if op.verb == "LIST" && a.name == "NUL byte" {
					want = 501
				}
				if code != want || !strings.Contains(text, a.words) {
					t.Errorf("%s %q: %d %s; want %d %s", op.verb, a.path, code, text, want, a.words)
				}
			})
		}
	}
	c.t = t
	if text := c.want("PWD", 257); !strings.HasPrefix(text, `"/"`) {
		t.Errorf("after the attacks PWD = %s", text)
	}
	if diff := cmp.Diff(before, snapshot(t, ts.data)); diff != "" {
		t.Errorf("the data directory changed (-before +after):\n%s", diff)
	}
}

// snapshot maps every path under dir to its type and, for a regular file,
// the SHA-256 of its content (symlinks to their target).
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			m[rel] = "link " + target
		case d.IsDir():
			m[rel] = "dir"
		default:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			s := sha256.Sum256(b)
			m[rel] = "file " + hex.EncodeToString(s[:])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}
