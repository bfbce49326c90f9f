// Command client sends shell commands to the remote-shell server, one line
// at a time, and prints their output. On a terminal it shows a ">>> " prompt;
// otherwise it reads commands from stdin until EOF.
package main

import (
	"bufio"
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
		os.Exit(1)
	}
}

// run connects and runs each line of stdin as a command.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("client", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "server address (host:port)")
	unframed := fs.Bool("unframed", false, "speak the notes' unframed protocol: one read of 1024 bytes per reply")
	wait := fs.Duration("wait", 3*time.Second, "with -unframed, how long to wait for a reply")
	encName := fs.String("encoding", "utf-8", "encoding of the server's output: utf-8, or gbk for a Chinese Windows shell")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var enc encoding.Encoding // nil: pass the bytes through (UTF-8)
	switch strings.ToLower(*encName) {
	case "utf-8", "utf8":
	case "gbk":
		enc = simplifiedchinese.GBK
	default:
		return fmt.Errorf("unknown -encoding %q (want utf-8 or gbk)", *encName)
	}

	dialCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	c, err := rsh.Dial(dialCtx, *addr)
	cancel()
	if err != nil {
		return fmt.Errorf("cannot connect to %s: %w", *addr, err)
	}
	defer c.Close()
	go func() {
		<-ctx.Done()
		c.Close() // Ctrl-C: leave, and the server kills the running command
	}()

	prompt := ""
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		prompt = ">>> "
	}
	lines := bufio.NewScanner(stdin)
	lines.Buffer(make([]byte, 0, 4096), rsh.MaxCommandSize+1)
	for {
		fmt.Fprint(stdout, prompt)
		if !lines.Scan() {
			break
		}
		command := strings.TrimRight(lines.Text(), "\r")
		if strings.TrimSpace(command) == "" {
			continue // an empty send sends nothing: the reply would never come
		}
		if *unframed {
			out, err := c.RunUnframed(command, *wait)
			if err != nil {
				if errors.Is(err, rsh.ErrDropped) {
					return err
				}
				fmt.Fprintln(stderr, "client:", err)
				continue
			}
			if _, err := decodeTo(stdout, enc).Write(out); err != nil {
				return err
			}
			if len(out) > 0 && out[len(out)-1] != '\n' {
				fmt.Fprintln(stdout)
			}
			continue
		}
		outw, errw := decodeTo(stdout, enc), decodeTo(stderr, enc)
		rep, err := c.Run(command, outw, errw)
		switch {
		case errors.Is(err, rsh.ErrBadCommand):
			fmt.Fprintln(stderr, "client:", err)
			continue
		case err != nil:
			return err
		}
		if err := errors.Join(outw.Close(), errw.Close()); err != nil {
			return err
		}
		report(stderr, rep)
	}
	if err := lines.Err(); err != nil {
		return fmt.Errorf("read commands: %w", err)
	}
	return nil
}

// report prints how a command ended, when that is worth saying.
func report(w io.Writer, rep rsh.Reply) {
	switch {
	case rep.Error != "":
		fmt.Fprintf(w, "[server could not run the command: %s]\n", rep.Error)
	case rep.Killed != "":
		fmt.Fprintf(w, "[killed by the server: %s; exit code %d]\n", rep.Killed, rep.ExitCode)
	case rep.ExitCode != 0:
		fmt.Fprintf(w, "[exit code %d]\n", rep.ExitCode)
	}
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
