package socketserver

import (
	"context"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// groupSizes returns, for each context LowMemoryEcho watches, how many
// connections wait under it.
func (e *LowMemoryEcho) groupSizes() []int {
	e.mu.Lock()
	defer e.mu.Unlock()
	var sizes []int
	for _, g := range e.groups {
		sizes = append(sizes, len(g.conns))
	}
	return sizes
}

// All the connections of one Serve call share one watcher (one
// context.AfterFunc), also when ConnContext adds a value to each
// connection's context; once they have left, nothing is kept.
func TestLowMemoryEchoOneWatcherPerServe(t *testing.T) {
	type key struct{}
	e := new(LowMemoryEcho)
	log := newLogRecorder()
	srv := &Server{Handler: e, ConnContext: func(ctx context.Context, c net.Conn) context.Context {
		return context.WithValue(ctx, key{}, c.RemoteAddr())
	}}
	srv.Logger = slog.New(log)
	addr := startServer(t, srv)
	var conns []net.Conn
	for i := range 5 {
		c := dial(t, addr)
		mustEcho(t, c, "conn "+string(rune('a'+i)))
		conns = append(conns, c)
	}
	// Each has echoed and waits again, registered before its first read.
	assert.Equal(t, []int{5}, e.groupSizes(), "connections per watcher")
	for _, c := range conns {
		c.Close()
		log.waitFor(t, "client left")
	}
	assert.Empty(t, e.groupSizes(), "watchers left after every client has gone")
}

// A connection that arrives after its context has ended is woken at once:
// ServeConn returns without waiting for data.
func TestLowMemoryEchoWokenWhenContextAlreadyCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	server, _ := tcpPair(t)
	done := make(chan struct{})
	go func() {
		defer close(done)
		new(LowMemoryEcho).ServeConn(ctx, server)
	}()
	select {
	case <-done:
	case <-time.After(ioTimeout):
		require.FailNow(t, "ServeConn with a canceled context is still waiting")
	}
}
