// Command demo runs both ends of a sticky-packet demonstration in one process over
// loopback and prints a side-by-side timeline of the writes and the reads.
//
//	demo receiver   # S4: a reader that reads late gets both writes in one read
//	demo partial    # S5: recv(1) gets "h", the next read the rest
//	demo sender     # S3: Nagle and TCP_CORK, with the segments counted (Linux)
//	demo sleep      # S6: the notes' sleep works with a prompt reader only
//	demo udp        # S1: UDP keeps the boundaries
//	demo lengths    # S7: a reader that knows the lengths gets the messages back
//	demo big        # S2: one 200,000-byte write, read 1024 bytes at a time
//	demo all        # every case, in this order
//
// With -capture DIR (Linux, as root) it runs the case in a network namespace of
// its own, captures its packets, and writes DIR/CASE.pcapng and DIR/CASE.svg, a
// picture of the writes, the segments and the reads. With -veth the case runs
// between two namespaces joined by a veth pair with an MTU of 1500.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/gosockets/tutorial/03-sticky-packets/internal/cli"
	"github.com/gosockets/tutorial/03-sticky-packets/sticky"
	"github.com/gosockets/tutorial/03-sticky-packets/wire"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	cli.Exit("demo", run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: demo [flags] CASE|all")
		fmt.Fprintln(fs.Output(), "cases:")
		for _, c := range sticky.Cases {
			fmt.Fprintf(fs.Output(), "  %-9s %-6s %s\n", c.Name, c.Claim, c.About)
		}
		fs.PrintDefaults()
	}
	gap := fs.Duration("gap", sticky.DefaultGap, "the writer's sleep between writes in the sleep case")
	capture := fs.String("capture", "", "capture the packets and write `DIR`/CASE.pcapng and DIR/CASE.svg (Linux, root)")
	veth := fs.Bool("veth", false, "run between two network namespaces joined by a veth pair, MTU 1500 (Linux, root)")
	if err := cli.Parse(fs, args, stderr); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return cli.Usagef("want exactly one CASE or all (-h lists the cases)")
	}
	if *gap <= 0 {
		return cli.Usagef("-gap %v: must be positive", *gap)
	}
	if *capture != "" || *veth {
		if err := wire.CanCapture(); err != nil {
			return cli.UsageError{Err: err}
		}
	}
	var cases []sticky.Case
	if name := fs.Arg(0); name == "all" {
		cases = sticky.Cases
	} else if c, ok := sticky.Lookup(name); ok {
		cases = []sticky.Case{c}
	} else {
		names := make([]string, len(sticky.Cases))
		for i, c := range sticky.Cases {
			names[i] = c.Name
		}
		return cli.Usagef("unknown case %q (want one of %s, or all)", name, strings.Join(names, ", "))
	}
	for i, c := range cases {
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		fmt.Fprintf(stdout, "=== %s (%s): %s\n", c.Name, c.Claim, c.About)
		o := sticky.Options{Gap: *gap}
		var tls []*sticky.Timeline
		var err error
		if *capture != "" || *veth {
			var rec *wire.Recording
			if rec, err = wire.Record(ctx, c, o, *veth); err == nil {
				tls = rec.Timelines
				if *capture != "" {
					defer func() {
						if pcap, svg, err := rec.WriteFiles(*capture); err != nil {
							fmt.Fprintf(stderr, "demo: %v\n", err)
						} else {
							fmt.Fprintf(stdout, "wrote %s and %s\n", pcap, svg)
						}
					}()
				}
			}
		} else {
			tls, err = c.Run(ctx, o)
		}
		if errors.Is(err, errors.ErrUnsupported) {
			fmt.Fprintf(stdout, "skipped: %v\n", err)
			continue
		}
		if err != nil {
			return fmt.Errorf("%s: %w", c.Name, err)
		}
		for _, tl := range tls {
			if err := tl.Print(stdout); err != nil {
				return err
			}
		}
	}
	return nil
}
