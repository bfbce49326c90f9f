// Command client sends shell commands to the remote-shell server, one line
// at a time, and prints their output. On a terminal it shows a ">>> "
// prompt; otherwise it reads commands from stdin until EOF.
//
// Usage:
//
//	client [-addr 127.0.0.1:8080] [-proto framed|notes|unframed] [-timeout 10s] [-encoding utf-8|gbk]
//
// -proto picks the protocol: framed (ours: framed requests and replies),
// notes (the note's struct programs: plain command in, framed reply out)
// or unframed (the note's simulated ssh: plain text both ways).
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
	"time"

	"github.com/gosockets/tutorial/05-remote-shell/rsh"
	"golang.org/x/term"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "client:", err)
		os.Exit(exitStatus(err))
	}
}

// usageError is a mistake in the command line: exit status 2.
type usageError struct{ error }

func exitStatus(err error) int {
	if errors.As(err, new(usageError)) {
		return 2
	}
	return 1
}

// config is what the flags say.
type config struct {
	addr    string
	proto   string
	timeout time.Duration
	enc     encoding.Encoding // nil: pass the bytes through (UTF-8)
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("client", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors go to main, as one line; -h prints the usage
	fs.StringVar(&cfg.addr, "addr", rsh.DefaultAddr, "server address (host:port)")
	fs.StringVar(&cfg.proto, "proto", "framed", "protocol: framed (ours), notes (the note's struct programs) or unframed (the note's ssh programs)")
	fs.DurationVar(&cfg.timeout, "timeout", 10*time.Second, "limit on connecting and, with -proto unframed, on each reply")
	encName := fs.String("encoding", "utf-8", "encoding of the server's output: utf-8, or gbk for a Chinese Windows shell")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stderr)
			fs.Usage()
			return cfg, err
		}
		return cfg, usageError{err}
	}
	if fs.NArg() > 0 {
		return cfg, usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	switch cfg.proto {
	case "framed", "notes", "unframed":
	default:
		return cfg, usageError{fmt.Errorf("unknown -proto %q (want framed, notes or unframed)", cfg.proto)}
	}
	switch strings.ToLower(*encName) {
	case "utf-8", "utf8":
	case "gbk":
		cfg.enc = simplifiedchinese.GBK
	default:
		return cfg, usageError{fmt.Errorf("unknown -encoding %q (want utf-8 or gbk)", *encName)}
	}
	return cfg, nil
}

// run connects and runs each line of stdin as a command.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	c, err := rsh.Dial(ctx, cfg.addr, cfg.timeout)
	if ctx.Err() != nil {
		return errors.New("interrupted")
	}
	if err != nil {
		return err
	}
	defer c.Close()
	// Ctrl-C: leave; the server kills the running command when we hang up.
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()

	limit := rsh.MaxCommandSize
	if cfg.proto != "framed" {
		limit = rsh.RawCommandSize
	}
	prompt := ""
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		prompt = ">>> "
	}
	done := make(chan struct{})
	defer close(done)
	lines := readLines(stdin, limit, done)
	for {
		fmt.Fprint(stdout, prompt)
		var l line
		var ok bool
		select {
		case <-ctx.Done():
			return errors.New("interrupted")
		case l, ok = <-lines:
		}
		switch {
		case !ok:
			return nil
		case l.err != nil:
			return fmt.Errorf("read commands: %w", l.err)
		case l.n > limit:
			fmt.Fprintf(stderr, "client: command of %d bytes is too long (the limit is %d); not sent\n", l.n, limit)
			continue
		case strings.TrimSpace(l.text) == "":
			continue // an empty send sends nothing: the reply would never come
		}
		err := runCommand(c, cfg, l.text, stdout, stderr)
		switch {
		case ctx.Err() != nil:
			return fmt.Errorf("interrupted while %q was running; the server kills it", l.text)
		case errors.Is(err, rsh.ErrBadCommand), errors.Is(err, rsh.ErrNoReply):
			fmt.Fprintln(stderr, "client:", err)
		case errors.Is(err, rsh.ErrShutDown):
			return fmt.Errorf("the server shut down while %q was running; the command was killed", l.text)
		case err != nil:
			return err
		}
	}
}

// runCommand runs one command in the protocol cfg names and prints its
// output.
func runCommand(c *rsh.Client, cfg config, command string, stdout, stderr io.Writer) error {
	if cfg.proto == "unframed" {
		out, err := c.RunUnframed(command, cfg.timeout)
		if err != nil {
			return err
		}
		if _, err := decodeTo(stdout, cfg.enc).Write(out); err != nil {
			return err
		}
		if out[len(out)-1] != '\n' {
			fmt.Fprintln(stdout)
		}
		return nil
	}
	outw, errw := decodeTo(stdout, cfg.enc), decodeTo(stderr, cfg.enc)
	var rep rsh.Reply
	var err error
	if cfg.proto == "notes" {
		rep, err = c.RunNotes(command, outw, errw)
	} else {
		rep, err = c.Run(command, outw, errw)
	}
	if cerr := errors.Join(outw.Close(), errw.Close()); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	switch {
	case rep.Error != "":
		fmt.Fprintf(stderr, "[server did not run the command: %s]\n", rep.Error)
	case rep.Killed != "":
		fmt.Fprintf(stderr, "[killed by the server: %s; exit code %d]\n", rep.Killed, rep.ExitCode)
	case rep.ExitCode != 0:
		fmt.Fprintf(stderr, "[exit code %d]\n", rep.ExitCode)
	}
	return nil
}

// decodeTo returns a writer that decodes text in enc into UTF-8 on w; with
// enc nil it passes bytes through. Close it after each reply to flush a
// character cut in half at the end.
func decodeTo(w io.Writer, enc encoding.Encoding) io.WriteCloser {
	if enc == nil {
		return nopCloser{w}
	}
	return transform.NewWriter(w, enc.NewDecoder())
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }
