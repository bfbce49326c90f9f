package socketserver

import (
	"context"
	"net"
	"sync"
	"time"
)

// wakeRead makes conn's pending and future reads fail at once, with an
// error matching os.ErrDeadlineExceeded: a read deadline in the past.
func wakeRead(conn net.Conn) { conn.SetReadDeadline(time.Unix(1, 0)) }

// serveContext is the context Serve gives its handlers. Besides being that
// context, it keeps the connections whose reads must be woken when it is
// canceled (by Shutdown, Close, or Serve returning), and wakes them all
// from one context.AfterFunc. Echo registers here instead of starting its
// own AfterFunc: a map entry per idle connection instead of ~0.35 KiB.
type serveContext struct {
	context.Context

	mu    sync.Mutex
	conns map[net.Conn]struct{}
	ended bool // canceled: conns registered from now on are woken at once
}

func newServeContext(ctx context.Context) *serveContext {
	sc := &serveContext{Context: ctx, conns: make(map[net.Conn]struct{})}
	context.AfterFunc(ctx, sc.wakeAll)
	return sc
}

func (sc *serveContext) wakeAll() {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sc.ended = true
	for c := range sc.conns {
		wakeRead(c)
	}
}

// readWaker is what wakeOnCancel returns; release undoes it.
type readWaker struct {
	sc   *serveContext // set when ctx was Serve's own context
	conn net.Conn
	stop func() bool // set otherwise: stops the AfterFunc
}

// wakeOnCancel arranges for conn's reads to be woken (see wakeRead) once
// ctx is canceled, so a handler blocked in a read can see ctx end. The
// caller must call release when it stops reading.
func wakeOnCancel(ctx context.Context, conn net.Conn) readWaker {
	if sc, ok := ctx.(*serveContext); ok {
		sc.mu.Lock()
		defer sc.mu.Unlock()
		if sc.ended {
			wakeRead(conn)
		} else {
			sc.conns[conn] = struct{}{}
		}
		return readWaker{sc: sc, conn: conn}
	}
	return readWaker{stop: context.AfterFunc(ctx, func() { wakeRead(conn) })}
}

func (w readWaker) release() {
	if w.sc == nil {
		w.stop()
		return
	}
	w.sc.mu.Lock()
	defer w.sc.mu.Unlock()
	delete(w.sc.conns, w.conn)
}
