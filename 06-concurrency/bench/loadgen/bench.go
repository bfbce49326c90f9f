package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// config holds the parsed flags.
type config struct {
	goServer string   // path of the built cmd/server binary
	python   []string // command that starts the Python server, port appended
	servers  []string // which servers to measure, by name (see allServers)
	runs     int
	clients  []int
	duration time.Duration
	warmup   time.Duration
	size     int
	idle     int
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg config
	fs.StringVar(&cfg.goServer, "go-server", "", "path of the built 06-concurrency/cmd/server binary")
	py := fs.String("python", "python3 bench/threading_echo.py", "command that starts the Python server (the port is appended)")
	servers := fs.String("servers", "go-lowmem,go,python", "comma-separated servers to measure: go-lowmem (cmd/server -low-memory, LowMemoryEcho), go (cmd/server, Echo), python")
	fs.IntVar(&cfg.runs, "runs", 3, "runs per server; medians are reported")
	clients := fs.String("clients", "1,50,500", "comma-separated numbers of concurrent clients (\"\" skips the round-trip test)")
	fs.DurationVar(&cfg.duration, "duration", 5*time.Second, "measured time per client count")
	fs.DurationVar(&cfg.warmup, "warmup", time.Second, "unmeasured time before each measurement")
	fs.IntVar(&cfg.size, "size", 64, "message size in bytes")
	fs.IntVar(&cfg.idle, "idle", 10000, "idle connections to hold at once (0 skips the memory test)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if cfg.goServer == "" {
		return errors.New("-go-server is required")
	}
	cfg.python = strings.Fields(*py)
	for _, f := range strings.FieldsFunc(*clients, func(r rune) bool { return r == ',' }) {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return fmt.Errorf("bad -clients entry %q", f)
		}
		cfg.clients = append(cfg.clients, n)
	}
	for _, name := range strings.Split(*servers, ",") {
		name = strings.TrimSpace(name)
		if !slices.Contains([]string{"go-lowmem", "go", "python"}, name) {
			return fmt.Errorf("bad -servers entry %q: want go-lowmem, go or python", name)
		}
		cfg.servers = append(cfg.servers, name)
	}
	if cfg.runs < 1 || cfg.size < 1 || cfg.idle < 0 {
		return errors.New("-runs and -size must be positive, -idle not negative")
	}
	if err := checkProc(); err != nil {
		return err
	}

	all := map[string]serverKind{
		"go-lowmem": {"go-lowmem", []string{cfg.goServer, "-low-memory", "-addr", "127.0.0.1:0"}},
		"go":        {"go", []string{cfg.goServer, "-addr", "127.0.0.1:0"}},
		"python":    {"python", append(slices.Clone(cfg.python), "0")},
	}
	rts := map[string][]rtResult{}     // key: server/clients
	idles := map[string][]idleResult{} // key: server
	for r := 1; r <= cfg.runs; r++ {
		// Rotate who goes first, so no server always gets the quieter moment.
		var order []serverKind
		for i := range cfg.servers {
			order = append(order, all[cfg.servers[(r-1+i)%len(cfg.servers)]])
		}
		for _, sk := range order {
			if cfg.idle > 0 {
				res, err := measureIdle(ctx, sk, cfg.idle)
				if err != nil {
					return fmt.Errorf("run %d, %s, idle: %w", r, sk.name, err)
				}
				fmt.Fprintf(stderr, "run %d %-9s idle %d: held %d, Pss +%.2f KiB/conn, VmRSS +%.2f KiB/conn, threads %d (opened in %v, checked in %v)\n",
					r, sk.name, cfg.idle, res.held, res.pssPerConn, res.rssPerConn, res.threads,
					res.opened.Round(time.Millisecond), res.checked.Round(time.Millisecond))
				idles[sk.name] = append(idles[sk.name], res)
			}
			if len(cfg.clients) == 0 {
				continue
			}
			results, err := measureRoundTrips(ctx, sk, cfg)
			if err != nil {
				return fmt.Errorf("run %d, %s: %w", r, sk.name, err)
			}
			for _, res := range results {
				fmt.Fprintf(stderr, "run %d %-9s %3d clients: %8.0f rt/s, %6.2f µs CPU/rt, p50 %v, p99 %v\n",
					r, sk.name, res.clients, res.perSec, res.cpuPerRT, res.p50, res.p99)
				key := fmt.Sprintf("%s/%d", sk.name, res.clients)
				rts[key] = append(rts[key], res)
			}
		}
	}
	printSummary(stdout, cfg, rts, idles)
	return nil
}

// serverKind names a server and the command that starts it on a free port.
type serverKind struct {
	name string
	argv []string
}

// server is a running server process.
type server struct {
	cmd  *exec.Cmd
	pid  int
	addr string
}

// startServer runs sk and waits for the line that holds "addr=HOST:PORT"
// (the Go server logs it to stderr, the Python one prints it to stdout).
// Everything else the server writes is drained and discarded, so its logging
// can never block it.
func startServer(ctx context.Context, sk serverKind) (*server, error) {
	cmd := exec.CommandContext(ctx, sk.argv[0], sk.argv[1:]...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	addrc := make(chan string, 2)
	scan := func(r io.Reader) {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			for _, f := range strings.Fields(sc.Text()) {
				if a, ok := strings.CutPrefix(f, "addr="); ok {
					select {
					case addrc <- a:
					default:
					}
				}
			}
		}
		io.Copy(io.Discard, r)
	}
	go scan(stdout)
	go scan(stderr)
	select {
	case a := <-addrc:
		return &server{cmd: cmd, pid: cmd.Process.Pid, addr: a}, nil
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		return nil, fmt.Errorf("%s printed no addr= line within 30s", sk.name)
	}
}

// stop kills the server and reaps it.
func (s *server) stop() {
	s.cmd.Process.Kill()
	s.cmd.Wait()
}

// echoOnce sends msg on c and waits for it to come back.
func echoOnce(c net.Conn, msg, buf []byte) error {
	if _, err := c.Write(msg); err != nil {
		return err
	}
	if _, err := io.ReadFull(c, buf[:len(msg)]); err != nil {
		return err
	}
	if string(buf[:len(msg)]) != string(msg) {
		return fmt.Errorf("echo mismatch: got %q, want %q", buf[:len(msg)], msg)
	}
	return nil
}

// openConns dials n connections, one after another, each proven served by
// one echo before the next is dialed. (Python's ThreadingTCPServer listens
// with a backlog of 5; dialing all at once would mostly measure SYN
// retransmits.)
func openConns(ctx context.Context, addr string, n, size int) ([]net.Conn, error) {
	conns := make([]net.Conn, 0, n)
	msg := make([]byte, size)
	for i := range msg {
		msg[i] = 'a' + byte(i%26)
	}
	buf := make([]byte, size)
	d := net.Dialer{Timeout: 30 * time.Second}
	for range n {
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			closeAll(conns)
			return nil, fmt.Errorf("dial connection %d: %w", len(conns)+1, err)
		}
		conns = append(conns, c)
		c.SetDeadline(time.Now().Add(30 * time.Second))
		if err := echoOnce(c, msg, buf); err != nil {
			closeAll(conns)
			return nil, fmt.Errorf("first echo on connection %d: %w", len(conns), err)
		}
	}
	return conns, nil
}

func closeAll(conns []net.Conn) {
	for _, c := range conns {
		c.Close()
	}
}

// rtResult is one round-trip measurement.
type rtResult struct {
	clients  int
	perSec   float64       // round trips per second, all clients together
	cpuPerRT float64       // server CPU (user+system) per round trip, in µs
	p50, p99 time.Duration // round-trip latency seen by a client
}

// measureRoundTrips starts a fresh server and measures every client count.
func measureRoundTrips(ctx context.Context, sk serverKind, cfg config) ([]rtResult, error) {
	srv, err := startServer(ctx, sk)
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	var out []rtResult
	for _, n := range cfg.clients {
		res, err := roundTrips(ctx, srv, n, cfg)
		if err != nil {
			return nil, fmt.Errorf("%d clients: %w", n, err)
		}
		out = append(out, res)
	}
	return out, nil
}

// roundTrips runs n clients, each sending a message and waiting for its echo
// in a loop, and measures the window after the warm-up.
func roundTrips(ctx context.Context, srv *server, n int, cfg config) (rtResult, error) {
	conns, err := openConns(ctx, srv.addr, n, cfg.size)
	if err != nil {
		return rtResult{}, err
	}
	defer closeAll(conns)

	var measuring, stopping atomic.Bool
	lat := make([][]time.Duration, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Go(func() {
			msg := make([]byte, cfg.size)
			for j := range msg {
				msg[j] = byte('A' + (i+j)%26)
			}
			buf := make([]byte, cfg.size)
			for !stopping.Load() {
				c.SetDeadline(time.Now().Add(30 * time.Second))
				start := time.Now()
				if err := echoOnce(c, msg, buf); err != nil {
					errs[i] = err
					return
				}
				if measuring.Load() {
					lat[i] = append(lat[i], time.Since(start))
				}
			}
		})
	}

	sleep(ctx, cfg.warmup)
	cpu0, err := cpuTime(srv.pid)
	if err != nil {
		stopping.Store(true)
		wg.Wait()
		return rtResult{}, err
	}
	t0 := time.Now()
	measuring.Store(true)
	sleep(ctx, cfg.duration)
	measuring.Store(false)
	elapsed := time.Since(t0)
	cpu1, err := cpuTime(srv.pid)
	stopping.Store(true)
	wg.Wait()
	if err != nil {
		return rtResult{}, err
	}
	if err := errors.Join(errs...); err != nil {
		return rtResult{}, err
	}
	if err := ctx.Err(); err != nil {
		return rtResult{}, err
	}

	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	if len(all) == 0 {
		return rtResult{}, errors.New("no round trip completed in the measured window")
	}
	slices.Sort(all)
	return rtResult{
		clients:  n,
		perSec:   float64(len(all)) / elapsed.Seconds(),
		cpuPerRT: float64((cpu1 - cpu0).Microseconds()) / float64(len(all)),
		p50:      all[len(all)*50/100],
		p99:      all[len(all)*99/100],
	}, nil
}

// sleep waits for d or until ctx ends. This program is a benchmark: the
// pause is the measured window itself.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// idleResult is one idle-connection measurement.
type idleResult struct {
	held       int     // connections that answered an echo while all were open
	pssPerConn float64 // KiB of Pss growth per connection held
	rssPerConn float64 // KiB of VmRSS growth per connection held
	threads    int     // server threads while holding them

	opened, checked time.Duration // time to open them all, to check them all
}

// measureIdle starts a fresh server, opens n connections and keeps them all
// open, checks that every one still answers once all are open, and reads the
// server's memory growth.
func measureIdle(ctx context.Context, sk serverKind, n int) (idleResult, error) {
	srv, err := startServer(ctx, sk)
	if err != nil {
		return idleResult{}, err
	}
	defer srv.stop()
	before, err := readMem(srv.pid)
	if err != nil {
		return idleResult{}, err
	}
	t0 := time.Now()
	conns, err := openConns(ctx, srv.addr, n, 1)
	if err != nil {
		return idleResult{}, err
	}
	defer closeAll(conns)
	opened := time.Since(t0)

	// Every connection is open now; each must still be served.
	t1 := time.Now()
	held := 0
	buf := make([]byte, 1)
	for _, c := range conns {
		c.SetDeadline(time.Now().Add(30 * time.Second))
		if echoOnce(c, []byte{'z'}, buf) == nil {
			held++
		}
	}
	after, err := readMem(srv.pid)
	if err != nil {
		return idleResult{}, err
	}
	srv.stop() // before the clients close, so the server cannot free anything first
	if held == 0 {
		return idleResult{}, errors.New("no connection held")
	}
	return idleResult{
		held:       held,
		pssPerConn: float64(after.pssKiB-before.pssKiB) / float64(held),
		rssPerConn: float64(after.rssKiB-before.rssKiB) / float64(held),
		threads:    after.threads,
		opened:     opened,
		checked:    time.Since(t1),
	}, nil
}

// mem is a server's memory as /proc reports it.
type mem struct {
	pssKiB, rssKiB int64
	threads        int
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func medianDur(ds []time.Duration) time.Duration {
	xs := make([]float64, len(ds))
	for i, d := range ds {
		xs[i] = float64(d)
	}
	return time.Duration(median(xs))
}

// printSummary prints the medians as Markdown tables.
func printSummary(w io.Writer, cfg config, rts map[string][]rtResult, idles map[string][]idleResult) {
	host, _ := os.Hostname()
	fmt.Fprintf(w, "\nMedians of %d runs; %d-byte messages; %v measured per client count after %v warm-up; host %s\n\n",
		cfg.runs, cfg.size, cfg.duration, cfg.warmup, host)
	if len(cfg.clients) > 0 {
		fmt.Fprintln(w, "| clients | server | round trips/s | server CPU per round trip | p50 latency | p99 latency |")
		fmt.Fprintln(w, "|---:|---|---:|---:|---:|---:|")
	}
	for _, n := range cfg.clients {
		for _, name := range cfg.servers {
			rs := rts[fmt.Sprintf("%s/%d", name, n)]
			var ps, cs []float64
			var p50s, p99s []time.Duration
			for _, r := range rs {
				ps = append(ps, r.perSec)
				cs = append(cs, r.cpuPerRT)
				p50s = append(p50s, r.p50)
				p99s = append(p99s, r.p99)
			}
			fmt.Fprintf(w, "| %d | %s | %.0f | %.1f µs | %v | %v |\n", n, name, median(ps), median(cs),
				medianDur(p50s).Round(time.Microsecond), medianDur(p99s).Round(time.Microsecond))
		}
	}
	if cfg.idle == 0 {
		return
	}
	fmt.Fprintf(w, "\n| server | idle connections held (of %d) | Pss per connection | VmRSS per connection | server threads |\n", cfg.idle)
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|")
	for _, name := range cfg.servers {
		var held, pss, rss, th []float64
		for _, r := range idles[name] {
			held = append(held, float64(r.held))
			pss = append(pss, r.pssPerConn)
			rss = append(rss, r.rssPerConn)
			th = append(th, float64(r.threads))
		}
		fmt.Fprintf(w, "| %s | %.0f (min %.0f) | %.2f KiB | %.2f KiB | %.0f |\n", name, median(held), slices.Min(held),
			median(pss), median(rss), median(th))
	}
}

// field returns the number after the line prefix name in a /proc file.
func field(b []byte, name string) (int64, error) {
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, name); ok {
			f := strings.Fields(rest)
			if len(f) == 0 {
				break
			}
			return strconv.ParseInt(f[0], 10, 64)
		}
	}
	return 0, fmt.Errorf("no %q in /proc file", name)
}
