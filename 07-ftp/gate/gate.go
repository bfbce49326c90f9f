// Package gate decides which connections a server takes on, so that no
// one can lock the users out by holding connections open.
//
// A connection that has not logged in yet costs the server a goroutine, a
// socket and a deadline, and proves nothing about who is at the other end.
// The gate counts such connections apart from sessions, overall and per
// address, so that a flood of them from one address fills only that
// address's share, never the sessions of the users:
//
//	t, err := g.Arrive(host) // a new connection; err: server busy
//	defer t.Leave()
//	...                      // the login, within a deadline
//	err = t.Login(user)      // now a session; err: too many sessions
//
// One Gate serves every front end of a server (this chapter's protocol
// and a standard FTP listener), so its limits hold across them.
package gate

import (
	"errors"
	"fmt"
	"sync"
)

// ErrBusy is wrapped by every refusal; its message is what the client is
// told.
var ErrBusy = errors.New("server busy")

// Gate counts connections and sessions against its limits. Zero limits
// mean none. Its methods are safe for concurrent use; its fields must not
// change once it is in use.
type Gate struct {
	// MaxSessions caps the logged-in sessions.
	MaxSessions int
	// MaxUserSessions caps the sessions of one user.
	MaxUserSessions int
	// MaxUnauth caps the connections that have not logged in yet.
	MaxUnauth int
	// MaxUnauthPerAddr caps those from one address.
	MaxUnauthPerAddr int

	mu       sync.Mutex
	unauth   int
	byAddr   map[string]int
	sessions int
	byUser   map[string]int
}

// Ticket is one connection's place at the gate.
type Ticket struct {
	g    *Gate
	addr string
	user string // "" until Login
	left bool
}

// Arrive admits a new connection from addr (a host, without the port) as
// not logged in, or refuses it with an error wrapping ErrBusy.
func (g *Gate) Arrive(addr string) (*Ticket, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case g.MaxSessions > 0 && g.sessions >= g.MaxSessions:
		return nil, fmt.Errorf("%w: too many sessions, try again later", ErrBusy)
	case g.MaxUnauth > 0 && g.unauth >= g.MaxUnauth:
		return nil, fmt.Errorf("%w: too many connections are logging in, try again later", ErrBusy)
	case g.MaxUnauthPerAddr > 0 && g.byAddr[addr] >= g.MaxUnauthPerAddr:
		return nil, fmt.Errorf("%w: too many connections from your address are logging in, try again later", ErrBusy)
	}
	if g.byAddr == nil {
		g.byAddr = make(map[string]int)
		g.byUser = make(map[string]int)
	}
	g.unauth++
	g.byAddr[addr]++
	return &Ticket{g: g, addr: addr}, nil
}

// Login turns the connection into a session of user, or refuses it with
// an error wrapping ErrBusy (the ticket then stays as it was).
func (t *Ticket) Login(user string) error {
	g := t.g
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case t.user != "" || t.left:
		return errors.New("gate: ticket already used")
	case g.MaxSessions > 0 && g.sessions >= g.MaxSessions:
		return fmt.Errorf("%w: too many sessions, try again later", ErrBusy)
	case g.MaxUserSessions > 0 && g.byUser[user] >= g.MaxUserSessions:
		return fmt.Errorf("%w: %s already has %d sessions, the most allowed; try again later", ErrBusy, user, g.MaxUserSessions)
	}
	g.dropUnauth(t.addr)
	g.sessions++
	g.byUser[user]++
	t.user = user
	return nil
}

// Leave gives the connection's place back. Calling it again does nothing.
func (t *Ticket) Leave() {
	g := t.g
	g.mu.Lock()
	defer g.mu.Unlock()
	if t.left {
		return
	}
	t.left = true
	if t.user == "" {
		g.dropUnauth(t.addr)
		return
	}
	g.sessions--
	if g.byUser[t.user]--; g.byUser[t.user] <= 0 {
		delete(g.byUser, t.user)
	}
}

// dropUnauth forgets a connection from addr that was not logged in; g.mu
// must be held.
func (g *Gate) dropUnauth(addr string) {
	g.unauth--
	if g.byAddr[addr]--; g.byAddr[addr] <= 0 {
		delete(g.byAddr, addr)
	}
}

// Counts reports the connections not logged in and the sessions now.
func (g *Gate) Counts() (unauth, sessions int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.unauth, g.sessions
}
