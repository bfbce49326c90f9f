// Package faultproxy is a fault-injecting TCP proxy for tests.
//
// A [Proxy] listens on a loopback port and forwards every connection it
// accepts to a target address. Its [Fault] says when to break a connection:
// once exactly After bytes have passed in one direction (client to server
// or server to client), the proxy stops forwarding and closes both sides,
// either with an orderly FIN or, with Reset, with a TCP RST as a crashed
// peer or a pulled cable would. The proxy never forwards a byte beyond the
// limit, and it reports how many bytes passed each way, so a test of an
// interrupted transfer knows exactly where the cut fell.
//
// With Reset, data that the proxy had handed to its kernel but that had not
// yet left is discarded by the RST, as it would be by a real crash, so the
// receiver sees at most After bytes. Without Reset it sees exactly After
// bytes and then the end of the stream.
package faultproxy

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"time"
)

// Direction names the way bytes flow through the proxy.
type Direction int

const (
	// ClientToServer is the direction from the dialling client to the
	// target (an upload).
	ClientToServer Direction = iota
	// ServerToClient is the direction from the target back to the client
	// (a download).
	ServerToClient
)

// String returns "client->server" or "server->client".
func (d Direction) String() string {
	if d == ServerToClient {
		return "server->client"
	}
	return "client->server"
}

// Fault says when the proxy breaks a connection.
type Fault struct {
	// Dir is the direction whose bytes are counted.
	Dir Direction
	// After is the number of bytes that pass in Dir before both
	// connections are dropped. Zero drops them as soon as the connection
	// to the target is made; a negative value never drops them.
	After int64
	// Reset closes both connections with a TCP RST (SO_LINGER 0) rather
	// than an orderly FIN.
	Reset bool
}

// NoFault forwards everything and never breaks a connection.
var NoFault = Fault{After: -1}

// Stats reports what passed through one proxied connection.
type Stats struct {
	// Up is the number of bytes forwarded from the client to the server.
	Up int64
	// Down is the number of bytes forwarded from the server to the client.
	Down int64
	// Cut reports whether the fault fired on this connection.
	Cut bool
	// DialErr is the error of dialling the target, if that failed.
	DialErr error
}

// Proxy is a running fault-injecting proxy. Its methods are safe for
// concurrent use.
type Proxy struct {
	ln     net.Listener
	target string

	mu       sync.Mutex
	pick     func(n int) Fault
	accepted int
	conns    map[net.Conn]struct{}
	finished []Stats
	notify   chan struct{} // closed and replaced whenever finished grows
	closed   bool

	wg sync.WaitGroup
}

// DialTimeout bounds the proxy's dial to the target.
const DialTimeout = 5 * time.Second

// Start listens on 127.0.0.1:0 and forwards each accepted connection to
// target, applying f to it.
func Start(target string, f Fault) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{
		ln:     ln,
		target: target,
		pick:   func(int) Fault { return f },
		conns:  map[net.Conn]struct{}{},
		notify: make(chan struct{}),
	}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr returns the address that clients should dial instead of the target.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// SetFault changes the fault applied to connections accepted from now on;
// connections already open keep theirs.
func (p *Proxy) SetFault(f Fault) {
	p.SetFaultFunc(func(int) Fault { return f })
}

// SetFaultFunc makes the proxy ask pick for the fault of each connection
// it accepts from now on; n counts the proxy's connections from 0. A load
// test uses it to break random connections at random points. pick is
// called from one goroutine at a time.
func (p *Proxy) SetFaultFunc(pick func(n int) Fault) {
	p.mu.Lock()
	p.pick = pick
	p.mu.Unlock()
}

// Close stops listening, closes every open connection and waits until all
// of the proxy's goroutines have returned.
func (p *Proxy) Close() error {
	err := p.ln.Close()
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
	return err
}

// Next waits for the next proxied connection to end (in the order they
// end) and returns its statistics.
func (p *Proxy) Next(ctx context.Context) (Stats, error) {
	for {
		p.mu.Lock()
		if len(p.finished) > 0 {
			s := p.finished[0]
			p.finished = p.finished[1:]
			p.mu.Unlock()
			return s, nil
		}
		ch := p.notify
		p.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return Stats{}, ctx.Err()
		}
	}
}

func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		c.Close()
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *Proxy) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}

func (p *Proxy) finish(s Stats) {
	p.mu.Lock()
	p.finished = append(p.finished, s)
	close(p.notify)
	p.notify = make(chan struct{})
	p.mu.Unlock()
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		f := p.pick(p.accepted)
		p.accepted++
		p.mu.Unlock()
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.finish(p.serve(c, f))
		}()
	}
}

// pair is one proxied connection: both sides and the fault's state.
type pair struct {
	client, server net.Conn
	fault          Fault

	once sync.Once
	mu   sync.Mutex
	cut  bool
}

// drop closes both sides, once; with Reset it asks for an RST.
func (pr *pair) drop(cut bool) {
	pr.once.Do(func() {
		if cut {
			pr.mu.Lock()
			pr.cut = true
			pr.mu.Unlock()
		}
		for _, c := range []net.Conn{pr.client, pr.server} {
			if pr.fault.Reset && cut {
				if tc, ok := c.(*net.TCPConn); ok {
					tc.SetLinger(0)
				}
			} else if tc, ok := c.(*net.TCPConn); ok && cut {
				// An orderly end: FIN first, so that the receiver reads
				// every forwarded byte before the end of the stream.
				tc.CloseWrite()
			}
			c.Close()
		}
	})
}

func (p *Proxy) serve(client net.Conn, f Fault) Stats {
	if !p.track(client) {
		return Stats{}
	}
	defer p.untrack(client)
	server, err := net.DialTimeout("tcp", p.target, DialTimeout)
	if err != nil {
		client.Close()
		return Stats{DialErr: err}
	}
	if !p.track(server) {
		client.Close()
		return Stats{}
	}
	defer p.untrack(server)
	pr := &pair{client: client, server: server, fault: f}
	if f.After == 0 {
		pr.drop(true)
		return Stats{Cut: true}
	}
	var up, down int64
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		up = pr.pipe(server, client, f.Dir == ClientToServer)
	}()
	go func() {
		defer wg.Done()
		down = pr.pipe(client, server, f.Dir == ServerToClient)
	}()
	wg.Wait()
	pr.drop(false)
	pr.mu.Lock()
	cut := pr.cut
	pr.mu.Unlock()
	return Stats{Up: up, Down: down, Cut: cut}
}

// pipe copies src to dst. If limited, it forwards at most fault.After
// bytes and drops both connections the moment that many have passed.
// When src ends, pipe half-closes dst so the peer sees the end too; when
// either side fails it drops both.
func (pr *pair) pipe(dst, src net.Conn, limited bool) int64 {
	buf := make([]byte, 32<<10)
	var n int64
	for {
		want := len(buf)
		if limited && pr.fault.After >= 0 {
			if left := pr.fault.After - n; left < int64(want) {
				want = int(left)
			}
		}
		r, rerr := src.Read(buf[:want])
		if r > 0 {
			w, werr := dst.Write(buf[:r])
			n += int64(w)
			if werr != nil {
				pr.drop(false)
				return n
			}
		}
		if limited && pr.fault.After >= 0 && n >= pr.fault.After {
			pr.drop(true)
			return n
		}
		if rerr != nil {
			if errors.Is(rerr, io.EOF) {
				if tc, ok := dst.(*net.TCPConn); ok {
					tc.CloseWrite()
				}
				// The other direction may still carry data; it ends the
				// pair when it ends.
				return n
			}
			pr.drop(false)
			return n
		}
	}
}
