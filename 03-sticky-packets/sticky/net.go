package sticky

import (
	"context"
	"net"
	"strconv"
)

// Net says where the sockets of a demonstration live. The zero value is this
// machine's loopback: both ends on 127.0.0.1.
type Net struct {
	// ReaderHost is the address the reader listens on; empty means 127.0.0.1.
	ReaderHost string
	// Reader and Writer, when not nil, call f so that every socket f creates
	// belongs to the reader's or the writer's network (for example, a network
	// namespace of its own); nil calls f as it is.
	Reader, Writer func(f func() error) error
}

type netKey struct{}

// WithNet returns a context whose demonstrations create their sockets in n.
func WithNet(ctx context.Context, n Net) context.Context {
	return context.WithValue(ctx, netKey{}, n)
}

func netFrom(ctx context.Context) Net {
	n, _ := ctx.Value(netKey{}).(Net)
	return n
}

func (n Net) readerAddr() string {
	host := n.ReaderHost
	if host == "" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, strconv.Itoa(0))
}

func (n Net) inReader(f func() error) error {
	if n.Reader == nil {
		return f()
	}
	return n.Reader(f)
}

func (n Net) inWriter(f func() error) error {
	if n.Writer == nil {
		return f()
	}
	return n.Writer(f)
}
