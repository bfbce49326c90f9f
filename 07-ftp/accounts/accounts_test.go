package accounts

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xdg-go/scram"
)

// login runs a whole SCRAM-SHA-256 exchange against s in memory.
func login(t *testing.T, s *Store, user, password string) bool {
	t.Helper()
	srv, err := s.NewServer()
	if err != nil {
		t.Fatal(err)
	}
	sc := srv.NewConversation()
	cl, err := scram.SHA256.NewClient(user, password, "")
	if err != nil {
		t.Fatal(err)
	}
	cc := cl.NewConversation()
	msg, _ := cc.Step("")
	for !sc.Done() {
		if msg, err = sc.Step(msg); err != nil {
			return false
		}
		if msg, err = cc.Step(msg); err != nil {
			return false
		}
	}
	return sc.Valid() && cc.Valid()
}

func TestAddLoginPasswdDelete(t *testing.T) {
	dir := t.TempDir()
	s := Open(dir)
	if err := s.Add("alice", "correct horse", 1<<20); err != nil {
		t.Fatal(err)
	}
	if err := s.Add("alice", "again", 1); !errors.Is(err, ErrExists) {
		t.Errorf("second Add(alice) = %v, want ErrExists", err)
	}
	if !login(t, s, "alice", "correct horse") {
		t.Error("login with the right password failed")
	}
	if login(t, s, "alice", "wrong") || login(t, s, "bob", "correct horse") {
		t.Error("login with a wrong password or an unknown user succeeded")
	}
	if err := s.SetPassword("alice", "new one"); err != nil {
		t.Fatal(err)
	}
	if login(t, s, "alice", "correct horse") || !login(t, s, "alice", "new one") {
		t.Error("passwd did not replace the password")
	}
	if a, err := s.Lookup("alice"); err != nil || a.Quota != 1<<20 {
		t.Errorf("Lookup after passwd = %+v, %v; want the quota kept", a, err)
	}
	if err := s.Delete("alice"); err != nil {
		t.Fatal(err)
	}
	if login(t, s, "alice", "new one") {
		t.Error("a deleted user logged in")
	}
}

// TestNoPasswordOnDisk: the accounts file holds neither the password nor
// any field named after one.
func TestNoPasswordOnDisk(t *testing.T) {
	dir := t.TempDir()
	s := Open(dir)
	if err := s.Add("alice", "hunter2-very-secret", 1); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "hunter2") || strings.Contains(strings.ToLower(string(b)), "password") {
		t.Errorf("accounts file mentions the password:\n%s", b)
	}
	for _, field := range []string{`"salt"`, `"iterations"`, `"stored_key"`, `"server_key"`} {
		if !strings.Contains(string(b), field) {
			t.Errorf("accounts file lacks %s", field)
		}
	}
}

func TestCheckName(t *testing.T) {
	for _, ok := range []string{"a", "alice", "alice_a", "_x", "u-1"} {
		if err := CheckName(ok); err != nil {
			t.Errorf("CheckName(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "Alice", "../x", "a/b", "1abc", ".", "a b", strings.Repeat("a", 33)} {
		if err := CheckName(bad); err == nil {
			t.Errorf("CheckName(%q) = nil, want an error", bad)
		}
	}
}

func TestLimiterDoublesPerAddress(t *testing.T) {
	l := &Limiter{Base: time.Millisecond, Max: 5 * time.Millisecond}
	var got []time.Duration
	for range 5 {
		got = append(got, l.Failed("1.2.3.4"))
	}
	want := []time.Duration{1, 2, 4, 5, 5}
	for i := range want {
		if got[i] != want[i]*time.Millisecond {
			t.Fatalf("delays = %v, want %v ms", got, want)
		}
	}
	if d := l.Failed("5.6.7.8"); d != time.Millisecond {
		t.Errorf("another address waits %v, want 1ms", d)
	}
	l.Succeeded("1.2.3.4")
	if d := l.Failed("1.2.3.4"); d != time.Millisecond {
		t.Errorf("after a success the delay is %v, want 1ms", d)
	}
}
