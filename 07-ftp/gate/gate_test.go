package gate

import (
	"errors"
	"sync"
	"testing"
)

func TestUnauthenticatedAreCountedApartFromSessions(t *testing.T) {
	g := &Gate{MaxSessions: 2, MaxUnauth: 3, MaxUnauthPerAddr: 2}
	a1, err := g.Arrive("10.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Arrive("10.0.0.1"); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Arrive("10.0.0.1"); !errors.Is(err, ErrBusy) {
		t.Errorf("third from one address = %v, want ErrBusy", err)
	}
	b, err := g.Arrive("10.0.0.2")
	if err != nil {
		t.Fatalf("another address = %v", err)
	}
	if _, err := g.Arrive("10.0.0.3"); !errors.Is(err, ErrBusy) {
		t.Errorf("over MaxUnauth = %v, want ErrBusy", err)
	}
	// Logging in frees the unauthenticated place.
	if err := b.Login("bob"); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Arrive("10.0.0.3"); err != nil {
		t.Errorf("after a login freed a place = %v", err)
	}
	if err := a1.Login("ann"); err != nil {
		t.Fatal(err)
	}
	if u, s := g.Counts(); u != 2 || s != 2 {
		t.Errorf("Counts() = %d, %d; want 2, 2", u, s)
	}
	if _, err := g.Arrive("10.0.0.4"); !errors.Is(err, ErrBusy) {
		t.Errorf("with every session taken = %v, want ErrBusy", err)
	}
	a1.Leave()
	a1.Leave() // twice is once
	if u, s := g.Counts(); u != 2 || s != 1 {
		t.Errorf("after a session left: Counts() = %d, %d; want 2, 1", u, s)
	}
}

func TestSessionsPerUser(t *testing.T) {
	g := &Gate{MaxUserSessions: 1}
	a, _ := g.Arrive("h")
	b, _ := g.Arrive("h")
	if err := a.Login("sam"); err != nil {
		t.Fatal(err)
	}
	err := b.Login("sam")
	if !errors.Is(err, ErrBusy) || err.Error() != "server busy: sam already has 1 sessions, the most allowed; try again later" {
		t.Errorf("second session of sam = %v", err)
	}
	b.Leave()
	a.Leave()
	if u, s := g.Counts(); u != 0 || s != 0 {
		t.Errorf("after all left: Counts() = %d, %d", u, s)
	}
}

func TestConcurrentUseKeepsCount(t *testing.T) {
	g := &Gate{MaxUnauth: 1000}
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			tk, err := g.Arrive("h")
			if err != nil {
				t.Error(err)
				return
			}
			if i%2 == 0 {
				tk.Login("u")
			}
			tk.Leave()
		})
	}
	wg.Wait()
	if u, s := g.Counts(); u != 0 || s != 0 {
		t.Errorf("Counts() = %d, %d; want 0, 0", u, s)
	}
}
