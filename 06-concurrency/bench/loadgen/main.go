// Command loadgen measures chapter 06's concurrent echo server, with each of
// its two handlers (LowMemoryEcho: cmd/server -low-memory; Echo: cmd/server),
// against a Python socketserver.ThreadingTCPServer echo server, side by side
// in one run.
//
// For each server and each run it starts a fresh server process on a free
// loopback port and measures:
//
//   - round trips per second of -size-byte messages with 1, 50 and 500
//     concurrent clients (each client sends, waits for the echo, repeats),
//     the server's CPU time per round trip (utime+stime from /proc/PID/stat
//     before and after the measured window), and p50/p99 latency;
//   - memory per idle connection: -idle connections opened at once and kept
//     open (each proven alive by an echo after all are open), then the
//     server's Pss (and VmRSS) growth divided by the number held.
//
// It prints one line per measurement, then the medians over -runs as a
// Markdown table. It needs Linux (/proc) and enough file descriptors:
// run it through bench/run.sh, which raises the limit.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}
