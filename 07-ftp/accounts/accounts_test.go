package accounts

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
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

func TestLimiterDoublesPerNameAndAddress(t *testing.T) {
	l := &Limiter{Base: time.Hour, Max: 4 * time.Hour}
	if w := l.Wait("1.2.3.4", "ann"); w != 0 {
		t.Fatalf("a first attempt waits %v, want 0", w)
	}
	var got []time.Duration
	for range 4 {
		l.Failed("1.2.3.4", "ann")
		got = append(got, l.Wait("1.2.3.4", "ann").Round(time.Hour))
	}
	if want := []time.Duration{time.Hour, 2 * time.Hour, 4 * time.Hour, 4 * time.Hour}; !slices.Equal(got, want) {
		t.Errorf("waits after 1..4 failures = %v, want %v", got, want)
	}
	if w := l.Wait("5.6.7.8", "ann"); w != 0 {
		t.Errorf("ann from another address waits %v, want 0", w)
	}
	if w := l.Wait("1.2.3.4", "bob"); w != 0 {
		t.Errorf("bob from the same address waits %v, want 0 (4 failures, 5 free)", w)
	}
	l.Succeeded("1.2.3.4", "bob") // bob's success does not clear ann's failures
	if w := l.Wait("1.2.3.4", "ann"); w == 0 {
		t.Error("ann's failures were cleared by bob's login")
	}
	l.Succeeded("1.2.3.4", "ann")
	if w := l.Wait("1.2.3.4", "ann"); w != 0 {
		t.Errorf("after ann's own success she waits %v, want 0", w)
	}
}

// TestLimiterSlowsGuessesOverManyNames: past the free failures, every name
// from the address waits.
func TestLimiterSlowsGuessesOverManyNames(t *testing.T) {
	l := &Limiter{Base: time.Hour, Max: time.Hour, Free: 3}
	for i := range 4 {
		l.Failed("1.2.3.4", fmt.Sprint("name", i))
	}
	if w := l.Wait("1.2.3.4", "fresh-name"); w == 0 {
		t.Error("a new name from an address past its free failures does not wait")
	}
	if w := l.Wait("9.9.9.9", "fresh-name"); w != 0 {
		t.Errorf("another address waits %v", w)
	}
}

// TestLimiterMemoryIsBounded: names past the per-address bound share one
// record, and old addresses are dropped.
func TestLimiterMemoryIsBounded(t *testing.T) {
	l := &Limiter{}
	for i := range 1000 {
		l.Failed("1.2.3.4", fmt.Sprint("name", i))
	}
	if n := len(l.addrs["1.2.3.4"].names); n > maxNamesPerAddr+1 {
		t.Errorf("%d names kept for one address, want at most %d", n, maxNamesPerAddr+1)
	}
	for i := range maxAddrs + 10 {
		l.Failed(fmt.Sprint("10.0.", i/256, ".", i%256), "x")
	}
	if n := len(l.addrs); n > maxAddrs {
		t.Errorf("%d addresses kept, want at most %d", n, maxAddrs)
	}
}

// TestCheckPassword: a password sent as it is (standard FTP's PASS) is
// checked against the stored SCRAM keys, not against a stored password;
// an unknown name fails the same way as a wrong password.
func TestCheckPassword(t *testing.T) {
	s := Open(t.TempDir())
	if err := s.Add("fran", "right horse", 1000); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, password string
		want           bool
	}{
		{"fran", "right horse", true},
		{"fran", "wrong horse", false},
		{"fran", "", false},
		{"nobody", "right horse", false},
	} {
		got, err := s.CheckPassword(tt.name, tt.password)
		if err != nil || got != tt.want {
			t.Errorf("CheckPassword(%q, %q) = %v, %v; want %v", tt.name, tt.password, got, err, tt.want)
		}
	}
	if err := s.SetPassword("fran", "new horse"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.CheckPassword("fran", "right horse"); ok {
		t.Error("the old password still passes after passwd")
	}
}
