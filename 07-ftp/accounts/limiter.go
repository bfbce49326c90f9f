package accounts

import (
	"sync"
	"time"
)

// Limiter slows down repeated login failures from one address. It is safe
// for concurrent use.
type Limiter struct {
	// Base is the delay after a first failure; each further failure from
	// the same address doubles it, up to Max. Zero values mean 500 ms and
	// 8 s.
	Base, Max time.Duration
	// Forget is how long an address's failures are remembered. Zero means
	// 10 minutes.
	Forget time.Duration

	mu    sync.Mutex
	fails map[string]failRecord
}

type failRecord struct {
	n    int
	last time.Time
}

// Failed records a failure from addr and returns how long to wait before
// answering it.
func (l *Limiter) Failed(addr string) time.Duration {
	base, maxd, forget := l.Base, l.Max, l.Forget
	if base == 0 {
		base = 500 * time.Millisecond
	}
	if maxd == 0 {
		maxd = 8 * time.Second
	}
	if forget == 0 {
		forget = 10 * time.Minute
	}
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fails == nil {
		l.fails = make(map[string]failRecord)
	}
	for a, r := range l.fails { // keep the map small
		if now.Sub(r.last) > forget {
			delete(l.fails, a)
		}
	}
	r := l.fails[addr]
	r.n++
	r.last = now
	l.fails[addr] = r
	d := base
	for i := 1; i < r.n && d < maxd; i++ {
		d *= 2
	}
	return min(d, maxd)
}

// Succeeded forgets addr's failures.
func (l *Limiter) Succeeded(addr string) {
	l.mu.Lock()
	delete(l.fails, addr)
	l.mu.Unlock()
}
