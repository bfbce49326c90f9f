package accounts

import (
	"sync"
	"time"
)

// Limiter slows down password guessing. It decides before a login is
// checked whether it may be, so the limit holds for a client that does not
// wait for its answer, and a refused or failed attempt is answered at once
// and holds nothing on the server.
//
// After each failure for a name from an address, the next attempt for that
// name from that address must wait: Base, then twice as long per further
// failure, up to Max. Guesses spread over many names are slowed too: past
// Free failures from an address, every attempt from it waits in the same
// way. A successful login clears the failures of its own name from its
// address only, so logging in to one's own account does not reset the
// count against another. It is safe for concurrent use; one Limiter is
// meant to serve every front end of a server.
type Limiter struct {
	// Base and Max bound the wait after a failure; zero means 500 ms and
	// 8 s.
	Base, Max time.Duration
	// Free is how many failures from one address, over all names, go
	// before the address as a whole is slowed; zero means 5.
	Free int
	// Forget is how long failures are remembered; zero means 10 minutes.
	Forget time.Duration

	mu    sync.Mutex
	addrs map[string]*addrFailures
	swept time.Time
}

// addrFailures are the failures remembered for one address.
type addrFailures struct {
	total int
	last  time.Time
	names map[string]nameFailures
}

type nameFailures struct {
	n    int
	last time.Time
}

// Bounds on what a Limiter remembers, so that guessing from many addresses
// or under many names cannot grow it without end.
const (
	maxAddrs        = 10000
	maxNamesPerAddr = 32
	otherNames      = "\x00others" // the names of an address past maxNamesPerAddr
)

func (l *Limiter) settings() (base, maxd, forget time.Duration, free int) {
	base, maxd, forget, free = l.Base, l.Max, l.Forget, l.Free
	if base <= 0 {
		base = 500 * time.Millisecond
	}
	if maxd <= 0 {
		maxd = 8 * time.Second
	}
	if forget <= 0 {
		forget = 10 * time.Minute
	}
	if free <= 0 {
		free = 5
	}
	return base, maxd, forget, free
}

// delay is the wait after n failures.
func delay(base, maxd time.Duration, n int) time.Duration {
	d := base
	for i := 1; i < n && d < maxd; i++ {
		d *= 2
	}
	return min(d, maxd)
}

// Wait returns how long a login for name from addr must wait before it
// may be checked: zero if it may be checked now.
func (l *Limiter) Wait(addr, name string) time.Duration {
	base, maxd, forget, free := l.settings()
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	a := l.addrs[addr]
	if a == nil || now.Sub(a.last) > forget {
		return 0
	}
	var until time.Time
	if f, ok := a.names[l.key(a, name)]; ok && f.n > 0 {
		until = f.last.Add(delay(base, maxd, f.n))
	}
	if a.total > free {
		if t := a.last.Add(delay(base, maxd, a.total-free)); t.After(until) {
			until = t
		}
	}
	return max(until.Sub(now), 0)
}

// key returns the name under which a's failures for name are kept.
func (l *Limiter) key(a *addrFailures, name string) string {
	if _, ok := a.names[name]; ok || len(a.names) < maxNamesPerAddr {
		return name
	}
	return otherNames
}

// Failed records a failed login for name from addr.
func (l *Limiter) Failed(addr, name string) {
	_, _, forget, _ := l.settings()
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now, forget)
	a := l.addrs[addr]
	if a == nil || now.Sub(a.last) > forget {
		a = &addrFailures{names: make(map[string]nameFailures)}
		l.addrs[addr] = a
	}
	k := l.key(a, name)
	f := a.names[k]
	if now.Sub(f.last) > forget {
		f = nameFailures{}
	}
	f.n++
	f.last = now
	a.names[k] = f
	a.total++
	a.last = now
}

// Succeeded forgets the failures for name from addr, and only those.
func (l *Limiter) Succeeded(addr, name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	a := l.addrs[addr]
	if a == nil {
		return
	}
	if f, ok := a.names[name]; ok {
		a.total -= f.n
		delete(a.names, name)
	}
	if a.total <= 0 {
		delete(l.addrs, addr)
	}
}

// sweep forgets old failures, at most once a tenth of forget, and keeps
// the number of addresses bounded by dropping the least recent; l.mu must
// be held.
func (l *Limiter) sweep(now time.Time, forget time.Duration) {
	if l.addrs == nil {
		l.addrs = make(map[string]*addrFailures)
	}
	if now.Sub(l.swept) < forget/10 && len(l.addrs) < maxAddrs {
		return
	}
	l.swept = now
	for addr, a := range l.addrs {
		if now.Sub(a.last) > forget {
			delete(l.addrs, addr)
		}
	}
	for len(l.addrs) >= maxAddrs {
		oldest := ""
		for addr, a := range l.addrs {
			if oldest == "" || a.last.Before(l.addrs[oldest].last) {
				oldest = addr
			}
		}
		delete(l.addrs, oldest)
	}
}
