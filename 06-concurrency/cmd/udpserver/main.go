// Command udpserver is chapter 06's concurrent UDP echo server: each
// datagram is handed, with the socket, to its own goroutine, which sends the
// data back to the address it came from.
//
// Usage:
//
//	udpserver [-addr 127.0.0.1:8080] [-grace D]
//
// Ctrl-C stops reading, lets running handlers reply for up to -grace, then
// closes the socket. A second Ctrl-C kills it at once.
package main

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"time"

	"github.com/gosockets/tutorial/06-concurrency/internal/cli"
	"github.com/gosockets/tutorial/06-concurrency/socketserver"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	context.AfterFunc(ctx, stop) // a second Ctrl-C kills at once
	cli.Exit("udpserver", os.Stderr, run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run parses args, serves until ctx is canceled, then shuts down
// gracefully. Logs go to stderr.
func run(ctx context.Context, args []string, _ io.Reader, _, stderr io.Writer) error {
	fs := flag.NewFlagSet("udpserver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", socketserver.DefaultAddr, "`host:port` to listen on")
	grace := fs.Duration("grace", 5*time.Second, "on Ctrl-C, how long running handlers get to finish")
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	if *grace < 0 {
		return cli.Usagef("-grace must not be negative")
	}

	log := slog.New(slog.NewTextHandler(stderr, nil))
	pc, err := net.ListenPacket("udp", *addr)
	if err != nil {
		return err
	}
	srv := &socketserver.PacketServer{
		Handler: socketserver.PacketHandlerFunc(func(ctx context.Context, pc net.PacketConn, data []byte, from net.Addr) {
			log.Info("datagram", "remote", from.String(), "bytes", len(data))
			socketserver.EchoDatagram(ctx, pc, data, from)
		}),
		Logger: log,
	}
	log.Info("listening", "addr", pc.LocalAddr().String())

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(pc) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}

	log.Info("shutting down", "grace", *grace)
	sctx, cancel := context.WithTimeout(context.Background(), *grace)
	defer cancel()
	err = srv.Shutdown(sctx)
	<-errc // ErrServerClosed now
	if err != nil {
		log.Warn("grace period over; socket closed with handlers still running")
		return nil
	}
	log.Info("stopped")
	return nil
}
