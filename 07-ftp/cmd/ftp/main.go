// Command ftp is the client of this chapter's ftp server. It logs in, then
// runs one command per line from stdin:
//
//	ftp [-addr 127.0.0.1:2121] -user NAME
//
// The password comes from the FTP_PASSWORD environment variable, else from
// a prompt without echo. A failing command prints "error: ..." on stderr and
// the session goes on; the exit status is 1 if any command failed.
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
	"syscall"
	"time"

	"golang.org/x/term"

	"github.com/gosockets/tutorial/07-ftp/client"
	"github.com/gosockets/tutorial/07-ftp/quota"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) && !errors.Is(err, errCommandsFailed) {
			fmt.Fprintln(os.Stderr, "ftp:", err)
		}
		os.Exit(1)
	}
}

// errCommandsFailed reports that at least one command failed; each failure
// has been printed already.
var errCommandsFailed = errors.New("some commands failed")

func isTerminal(f any) bool {
	file, ok := f.(*os.File)
	return ok && term.IsTerminal(int(file.Fd()))
}

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("ftp", flag.ContinueOnError)
	fl.SetOutput(stderr)
	addr := fl.String("addr", "127.0.0.1:2121", "server address")
	user := fl.String("user", "", "user name (required)")
	timeout := fl.Duration("timeout", time.Minute, "give up when the server sends nothing for this long")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if *user == "" || fl.NArg() > 0 {
		fl.Usage()
		return errors.New("usage: ftp [-addr HOST:PORT] -user NAME")
	}
	password := getenv("FTP_PASSWORD")
	if password == "" {
		f, ok := stdin.(*os.File)
		if !ok || !term.IsTerminal(int(f.Fd())) {
			return errors.New("no password: set FTP_PASSWORD or run on a terminal")
		}
		fmt.Fprintf(stderr, "Password for %s: ", *user)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return err
		}
		password = string(b)
	}
	c, err := client.Dial(ctx, *addr, *timeout)
	if err != nil {
		return fmt.Errorf("cannot reach server: %w", err)
	}
	defer c.Close()
	if err := c.Login(*user, password); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "logged in as %s\n", *user)

	sh := &shell{c: c, out: stdout, errOut: stderr}
	interactive := isTerminal(stdin) && isTerminal(stdout)
	lines := bufio.NewScanner(stdin)
	lines.Buffer(make([]byte, 64<<10), 1<<20)
	for {
		if interactive {
			fmt.Fprint(stdout, "ftp> ")
		}
		if !lines.Scan() || ctx.Err() != nil {
			break
		}
		quit, err := sh.exec(lines.Text())
		if err != nil {
			sh.failed = true
			fmt.Fprintln(stderr, "error:", err)
			if errors.Is(err, client.ErrConn) {
				return errCommandsFailed
			}
		}
		if quit {
			break
		}
	}
	if err := lines.Err(); err != nil {
		return err
	}
	if sh.failed {
		return errCommandsFailed
	}
	return nil
}

type shell struct {
	c           *client.Client
	out, errOut io.Writer
	failed      bool
}

type command struct {
	name     string
	min, max int
	usage    string
	help     string
	fn       func(sh *shell, args []string) error
}

var commands []command

func init() {
	commands = []command{
		{"pwd", 0, 0, "pwd", "print the remote directory", (*shell).pwd},
		{"cd", 1, 1, "cd DIR", "change the remote directory", (*shell).cd},
		{"ls", 0, 1, "ls [DIR]", "list a remote directory: type, size, modification time, name", (*shell).ls},
		{"mkdir", 1, 1, "mkdir DIR", "make a remote directory", (*shell).mkdir},
		{"put", 1, 2, "put LOCAL [REMOTE]", "upload a file (checked with SHA-256)", (*shell).put},
		{"get", 1, 2, "get REMOTE [LOCAL]", "download a file (checked with SHA-256)", (*shell).get},
		{"rm", 1, 1, "rm PATH", "remove a remote file or empty directory", (*shell).rm},
		{"quota", 0, 0, "quota", "show your disk usage and limit", (*shell).quota},
		{"help", 0, 0, "help", "list the commands", (*shell).help},
		{"quit", 0, 0, "quit", "end the session", nil},
	}
}

// exec runs one line. It reports whether the session should end.
func (sh *shell) exec(line string) (bool, error) {
	args := strings.Fields(line)
	if len(args) == 0 || strings.HasPrefix(args[0], "#") {
		return false, nil
	}
	for _, cmd := range commands {
		if cmd.name != args[0] {
			continue
		}
		if n := len(args) - 1; n < cmd.min || n > cmd.max {
			return false, fmt.Errorf("usage: %s", cmd.usage)
		}
		if cmd.fn == nil {
			return true, nil
		}
		return false, cmd.fn(sh, args[1:])
	}
	return false, fmt.Errorf("unknown command %q (try help)", args[0])
}

func arg(args []string, i int) string {
	if i < len(args) {
		return args[i]
	}
	return ""
}

func (sh *shell) pwd([]string) error {
	p, err := sh.c.Pwd()
	if err == nil {
		fmt.Fprintln(sh.out, p)
	}
	return err
}

func (sh *shell) cd(args []string) error {
	_, err := sh.c.Cd(args[0])
	return err
}

func (sh *shell) ls(args []string) error {
	entries, err := sh.c.List(arg(args, 0))
	if err != nil {
		return err
	}
	for _, e := range entries {
		name := e.Name
		if e.Type == "dir" {
			name += "/"
		}
		fmt.Fprintf(sh.out, "%-4s %12d  %s  %s\n", e.Type, e.Size, e.ModTime.Local().Format("2006-01-02 15:04"), name)
	}
	return nil
}

func (sh *shell) mkdir(args []string) error { return sh.c.Mkdir(args[0]) }
func (sh *shell) rm(args []string) error    { return sh.c.Remove(args[0]) }

func (sh *shell) put(args []string) error {
	start := time.Now()
	r, err := sh.c.Put(args[0], arg(args, 1))
	if err != nil {
		return err
	}
	fmt.Fprintf(sh.out, "put %s -> %s: %d bytes in %s, sha256 %s verified\n", args[0], r.Path, r.Size, time.Since(start).Round(time.Millisecond), r.SHA256)
	return nil
}

func (sh *shell) get(args []string) error {
	start := time.Now()
	r, err := sh.c.Get(args[0], arg(args, 1))
	if err != nil {
		return err
	}
	fmt.Fprintf(sh.out, "get %s -> %s: %d bytes in %s, sha256 %s verified\n", args[0], r.Path, r.Size, time.Since(start).Round(time.Millisecond), r.SHA256)
	return nil
}

func (sh *shell) quota([]string) error {
	used, limit, err := sh.c.Quota()
	if err != nil {
		return err
	}
	fmt.Fprintf(sh.out, "used %d of %d bytes (%s of %s), %d bytes free\n", used, limit, human(used), quota.FormatSize(limit), max(limit-used, 0))
	return nil
}

func human(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func (sh *shell) help([]string) error {
	for _, cmd := range commands {
		fmt.Fprintf(sh.out, "  %-20s %s\n", cmd.usage, cmd.help)
	}
	return nil
}
