// Command segcount measures what Nagle's algorithm does to a burst of small writes
// over loopback: for each burst size, with Nagle off (Go's default) and on, and with
// a reader that acknowledges at once or late (TCP_QUICKACK=0), it makes fresh
// connections, writes the burst back to back, and counts the data segments the
// writer really sent (Linux TCP_INFO tcpi_data_segs_out). It prints the median,
// minimum and maximum over -runs connections.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"

	"github.com/gosockets/tutorial/03-sticky-packets/internal/cli"
	"github.com/gosockets/tutorial/03-sticky-packets/sticky"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	cli.Exit("segcount", run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("segcount", flag.ContinueOnError)
	writes := fs.String("writes", "2,3,10,100", "comma-separated burst sizes (number of writes)")
	runs := fs.Int("runs", 50, "connections per configuration")
	acks := fs.String("acks", "prompt,delayed", "reader ACK modes to measure: prompt, delayed or both")
	if err := cli.Parse(fs, args, stderr); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return cli.Usagef("unexpected arguments %q", fs.Args())
	}
	var sizes []int
	for _, s := range strings.Split(*writes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return cli.Usagef("-writes: %q is not a positive number", s)
		}
		sizes = append(sizes, n)
	}
	var delayed []bool
	for _, a := range strings.Split(*acks, ",") {
		switch strings.TrimSpace(a) {
		case "prompt":
			delayed = append(delayed, false)
		case "delayed":
			delayed = append(delayed, true)
		default:
			return cli.Usagef("-acks: unknown mode %q (want prompt or delayed)", a)
		}
	}
	var bursts []sticky.Burst
	for _, d := range delayed {
		for _, n := range sizes {
			for _, nagle := range []bool{false, true} {
				bursts = append(bursts, sticky.Burst{Writes: n, Nagle: nagle, DelayACKs: d})
			}
		}
	}
	stats, err := sticky.MeasureBursts(ctx, bursts, *runs)
	if errors.Is(err, errors.ErrUnsupported) {
		return fmt.Errorf("cannot count segments on this system: %w", err)
	}
	if err != nil {
		return err
	}
	return sticky.FormatBursts(stdout, bursts, stats)
}
