package sticky

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"
)

// ReadLoop reads c until the end of the stream, bufsize bytes at most per read,
// waiting delay before each read (a slow reader), and prints every read to out,
// numbered, with its length and its bytes quoted. It returns how many reads returned
// bytes. It stops early, returning ctx.Err(), when ctx is done.
func ReadLoop(ctx context.Context, c net.Conn, bufsize int, delay time.Duration, out io.Writer) (int, error) {
	if bufsize < 1 {
		return 0, fmt.Errorf("read size %d: must be at least 1", bufsize)
	}
	stop := context.AfterFunc(ctx, func() { c.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	buf := make([]byte, bufsize)
	reads := 0
	for {
		if delay > 0 {
			if err := sleep(ctx, delay); err != nil {
				return reads, err
			}
		}
		n, err := c.Read(buf)
		if n > 0 {
			reads++
			if _, werr := fmt.Fprintf(out, "read #%d: %s\n", reads, Quote(buf[:n])); werr != nil {
				return reads, werr
			}
		}
		if errors.Is(err, io.EOF) {
			return reads, nil
		}
		if err != nil {
			if ctx.Err() != nil {
				return reads, ctx.Err()
			}
			return reads, fmt.Errorf("read: %w", err)
		}
	}
}

// WriteAll writes each of msgs to c as a separate write, sleeping gap between
// writes, and prints every write to out, numbered, with its length and its bytes
// quoted. On Linux, each line also shows how many data segments the connection has
// sent so far. An empty message is skipped and reported, since an empty write sends
// nothing on TCP.
func WriteAll(ctx context.Context, c net.Conn, msgs []string, gap time.Duration, out io.Writer) error {
	tc, _ := c.(*net.TCPConn)
	base := -1
	if tc != nil {
		if n, err := SegmentsSent(tc); err == nil {
			base = n
		}
	}
	for i, m := range msgs {
		if i > 0 && gap > 0 {
			if err := sleep(ctx, gap); err != nil {
				return err
			}
		}
		if m == "" {
			if _, err := fmt.Fprintf(out, "write #%d: skipped: an empty write sends nothing on TCP\n", i+1); err != nil {
				return err
			}
			continue
		}
		n, err := c.Write([]byte(m))
		line := fmt.Sprintf("write #%d: %s", i+1, Quote([]byte(m[:n])))
		if base >= 0 {
			if segs, serr := SegmentsSent(tc); serr == nil {
				line += fmt.Sprintf("  [data segments sent: %d]", segs-base)
			}
		}
		if _, werr := fmt.Fprintln(out, line); werr != nil {
			return werr
		}
		if err != nil {
			return fmt.Errorf("write #%d: %w", i+1, err)
		}
	}
	return nil
}

// Server accepts connections one at a time and prints every read of each with
// ReadLoop. The zero value reads 1024 bytes at a time and prints nothing.
type Server struct {
	BufSize int           // bytes per read; zero means 1024
	Delay   time.Duration // wait before each read; zero means none
	Out     io.Writer     // where reads are printed; nil means discard
	Logger  *slog.Logger  // nil means discard
}

// Serve accepts connections on ln and serves them one after another until ctx is
// done; then it closes ln and returns ctx.Err(). It returns earlier only if Accept
// fails for another reason. A client that misbehaves ends its own connection only.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	log := s.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	out := s.Out
	if out == nil {
		out = io.Discard
	}
	bufsize := s.BufSize
	if bufsize == 0 {
		bufsize = 1024
	}
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	defer ln.Close()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("accept: %w", err)
		}
		l := log.With("remote", c.RemoteAddr().String())
		l.Info("connection accepted", "bufsize", bufsize, "delay", s.Delay)
		fmt.Fprintf(out, "connection from %v\n", c.RemoteAddr())
		reads, err := ReadLoop(ctx, c, bufsize, s.Delay, out)
		c.Close()
		if err != nil && ctx.Err() == nil {
			l.Warn("connection ended with an error", "reads", reads, "err", err)
		} else {
			l.Info("connection closed", "reads", reads)
		}
		fmt.Fprintf(out, "connection closed after %d %s\n", reads, plural(reads, "read"))
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}
