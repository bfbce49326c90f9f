package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/gosockets/tutorial/07-ftp/client"
	"github.com/gosockets/tutorial/07-ftp/lineedit"
	"github.com/gosockets/tutorial/07-ftp/progress"
	"github.com/gosockets/tutorial/07-ftp/proto"
	"github.com/gosockets/tutorial/07-ftp/quota"
)

// loop reads and runs one command a line until the input ends, quit, or
// the connection is lost. It returns errCommandsFailed if a command
// failed (each failure is printed already).
func (sh *shell) loop(ctx context.Context, rd lineedit.Reader) error {
	for ctx.Err() == nil {
		line, err := rd.ReadLine()
		switch {
		case errors.Is(err, lineedit.ErrInterrupt):
			continue // Ctrl-C at the prompt drops the line, as a shell does
		case errors.Is(err, lineedit.ErrLineTooLong):
			sh.failed = true
			fmt.Fprintln(sh.errOut, "error:", err)
			continue
		case errors.Is(err, io.EOF):
			return sh.status()
		case err != nil:
			return err
		}
		sh.setRunning(true)
		quit, err := sh.exec(line)
		sh.setRunning(false)
		if err != nil {
			sh.failed = true
			if ctx.Err() != nil {
				fmt.Fprintln(sh.errOut, "interrupted: run the same command again to resume")
				return errCommandsFailed
			}
			if sh.wasInterrupted() {
				fmt.Fprintln(sh.errOut, "interrupted: run the same command again to resume")
				if err := sh.reconnect(ctx); err != nil {
					fmt.Fprintln(sh.errOut, "error: logging in again:", err)
					return errCommandsFailed
				}
				continue
			}
			fmt.Fprintln(sh.errOut, "error:", err)
			if errors.Is(err, client.ErrConn) {
				return errCommandsFailed
			}
		}
		if quit {
			break
		}
	}
	return sh.status()
}

func (sh *shell) status() error {
	if sh.failed {
		return errCommandsFailed
	}
	return nil
}

type shell struct {
	link
	out, errOut io.Writer
	failed      bool
	mode        progress.Mode
	// now is the progress clock; nil means time.Now.
	now func() time.Time
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
		{"ls", 0, 2, "ls [-l] [DIR]", "list a remote directory: type, size, modification time, name (always long: -l changes nothing)", (*shell).ls},
		{"mkdir", 1, 1, "mkdir DIR", "make a remote directory", (*shell).mkdir},
		{"put", 1, 3, "put LOCAL [REMOTE]", "upload a file (checked with SHA-256); resumes an interrupted one (put -fresh starts over)", (*shell).put},
		{"get", 1, 3, "get REMOTE [LOCAL]", "download a file (checked with SHA-256); resumes from LOCAL.part (get -fresh starts over)", (*shell).get},
		{"mv", 2, 2, "mv OLD NEW", "move or rename a remote file or directory (into NEW if it is a directory)", (*shell).mv},
		{"rm", 1, 1, "rm PATH", "remove a remote file or empty directory", (*shell).rm},
		{"quota", 0, 0, "quota", "show your disk usage and limit", (*shell).quota},
		{"help", 0, 0, "help", "list the commands; put names with spaces in quotes: put \"my notes.txt\"", (*shell).help},
		{"quit", 0, 0, "quit", "end the session", nil},
	}
}

// exec runs one line. It reports whether the session should end.
func (sh *shell) exec(line string) (bool, error) {
	if strings.HasPrefix(strings.TrimSpace(line), "#") {
		return false, nil
	}
	args, err := splitArgs(line)
	if err != nil || len(args) == 0 {
		return false, err
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
	p, err := sh.c.Cd(args[0])
	if err == nil {
		sh.cwd = p
	}
	return err
}

// sortedListing is how many entries ls holds to print them sorted by
// name; a larger directory is printed as it arrives, in the server's order.
const sortedListing = 10000

func (sh *shell) ls(args []string) error {
	if len(args) > 0 && strings.HasPrefix(args[0], "-") {
		if args[0] != "-l" {
			return fmt.Errorf("ls: unknown option %s (ls always lists type, size, time and name; -l is accepted and changes nothing)", args[0])
		}
		args = args[1:]
	}
	if len(args) > 1 {
		return errors.New("usage: ls [-l] [DIR]")
	}
	var held []proto.Entry
	streaming := false
	err := sh.c.ListFunc(arg(args, 0), func(e proto.Entry) error {
		if !streaming && len(held) == sortedListing {
			fmt.Fprintf(sh.errOut, "note: more than %d entries: shown as the server sends them, unsorted\n", sortedListing)
			sh.printEntries(held...)
			held, streaming = nil, true
		}
		if streaming {
			sh.printEntries(e)
		} else {
			held = append(held, e)
		}
		return nil
	})
	slices.SortFunc(held, func(a, b proto.Entry) int { return strings.Compare(a.Name, b.Name) })
	sh.printEntries(held...)
	return err
}

// printEntries prints entries one a line: type, size, time, name.
func (sh *shell) printEntries(entries ...proto.Entry) {
	for _, e := range entries {
		name := quoteName(e.Name)
		if e.Type == "dir" {
			name += "/"
		}
		fmt.Fprintf(sh.out, "%-4s %12d  %s  %s\n", e.Type, e.Size, e.ModTime.Local().Format("2006-01-02 15:04"), name)
	}
}

func (sh *shell) mkdir(args []string) error { return sh.c.Mkdir(args[0]) }

func (sh *shell) mv(args []string) error {
	_, err := sh.c.Rename(args[0], args[1])
	return err
}
func (sh *shell) rm(args []string) error { return sh.c.Remove(args[0]) }

// completer completes command names, then local or remote paths
// depending on the command and the position of the word.
func (sh *shell) completer() lineedit.Completer {
	names := make([]string, len(commands))
	for i, c := range commands {
		names[i] = c.name
	}
	remote := func(dir string) ([]string, error) {
		var out []string
		err := sh.c.ListFunc(dir, func(e proto.Entry) error {
			if len(out) >= sortedListing {
				return nil // enough to choose from; the rest is dropped
			}
			if e.Type == "dir" {
				out = append(out, e.Name+"/")
			} else {
				out = append(out, e.Name)
			}
			return nil
		})
		return out, err
	}
	local := func(dir string) ([]string, error) {
		d := dir
		if d == "" {
			d = "."
		}
		ents, err := os.ReadDir(d)
		if err != nil {
			return nil, err
		}
		out := make([]string, 0, len(ents))
		for _, e := range ents {
			if e.IsDir() {
				out = append(out, e.Name()+"/")
			} else {
				out = append(out, e.Name())
			}
		}
		return out, nil
	}
	return lineedit.Words(names, func(cmd string, n int, word string) []string {
		switch {
		case n == 1 && (cmd == "get" || cmd == "cd" || cmd == "ls" || cmd == "rm"), n == 2 && cmd == "put":
			return lineedit.Paths(word, remote)
		case n == 1 && cmd == "put", n == 2 && cmd == "get":
			return lineedit.Paths(word, local)
		}
		return nil
	})
}

// transferArgs splits the arguments of put and get: an optional -fresh,
// then one or two names.
func transferArgs(cmd string, args []string) (fresh bool, names []string, err error) {
	if len(args) > 0 && args[0] == "-fresh" {
		fresh, args = true, args[1:]
	}
	if len(args) < 1 || len(args) > 2 || strings.HasPrefix(args[0], "-") {
		return false, nil, fmt.Errorf("usage: %s", map[string]string{"put": "put LOCAL [REMOTE]", "get": "get REMOTE [LOCAL]"}[cmd])
	}
	return fresh, args, nil
}

// transfer runs a put or a get with a progress report on stderr and prints
// its outcome.
func (sh *shell) transfer(cmd string, args []string, do func(a, b string, o client.Options) (client.Result, error)) error {
	fresh, names, err := transferArgs(cmd, args)
	if err != nil {
		return err
	}
	var rep *progress.Reporter
	o := client.Options{Fresh: fresh, Progress: func(size, offset int64) io.Writer {
		rep = progress.New(sh.errOut, progress.Options{Mode: sh.mode, Description: path.Base(filepath.ToSlash(names[0])), Total: size, Start: offset, Now: sh.now})
		return rep
	}}
	start := time.Now()
	r, err := do(names[0], arg(names, 1), o)
	if rep != nil {
		if err != nil {
			rep.Abort()
		} else {
			rep.Finish()
		}
	}
	if err != nil {
		return err
	}
	if r.Discarded > 0 {
		why := "it did not match this file"
		if fresh {
			why = "-fresh"
		}
		fmt.Fprintf(sh.errOut, "note: %s: discarded a part of %d bytes from an earlier attempt (%s) and started over\n", names[0], r.Discarded, why)
	}
	resumed := ""
	if r.Offset > 0 {
		resumed = fmt.Sprintf(" (resumed at %d, sent %d)", r.Offset, r.Sent)
	}
	fmt.Fprintf(sh.out, "%s %s -> %s: %d bytes in %s%s, sha256 %s verified\n", cmd, names[0], r.Path, r.Size, time.Since(start).Round(time.Millisecond), resumed, r.SHA256)
	return nil
}

func (sh *shell) put(args []string) error { return sh.transfer("put", args, sh.c.PutWith) }
func (sh *shell) get(args []string) error { return sh.transfer("get", args, sh.c.GetWith) }

func (sh *shell) quota([]string) error {
	u, err := sh.c.Quota()
	if err != nil {
		return err
	}
	fmt.Fprintf(sh.out, "used %d of %d bytes (%s of %s), %d bytes free\n", u.Bytes, u.BytesLimit, human(u.Bytes), quota.FormatSize(u.BytesLimit), max(u.BytesLimit-u.Bytes, 0))
	fmt.Fprintf(sh.out, "%d of %d files, directories and part files\n", u.Files, u.FilesLimit)
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
