// Package cli holds what the chapter's commands share: flag parsing that reports
// a usage error in one line, and the exit status for each kind of error.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

// UsageError is an error in how a command was called. Its exit status is 2.
type UsageError struct{ Err error }

func (e UsageError) Error() string { return e.Err.Error() }
func (e UsageError) Unwrap() error { return e.Err }

// Usagef returns a UsageError with the formatted message.
func Usagef(format string, args ...any) error {
	return UsageError{fmt.Errorf(format, args...)}
}

// ErrHelp is returned by Parse when -h was given; the usage has been printed.
var ErrHelp = flag.ErrHelp

// Parse parses args with fs. On -h it prints the usage to stderr and returns
// ErrHelp; on a bad flag it returns a UsageError of one line.
func Parse(fs *flag.FlagSet, args []string, stderr io.Writer) error {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	fs.SetOutput(stderr)
	if errors.Is(err, flag.ErrHelp) {
		fs.Usage()
		return ErrHelp
	}
	if err != nil {
		return Usagef("%v (-h lists the flags)", err)
	}
	return nil
}

// Exit ends the command named name after run returned err: status 0 for nil or
// ErrHelp, 2 for a UsageError, 1 for anything else, with one line on stderr.
func Exit(name string, err error) {
	if err == nil || errors.Is(err, ErrHelp) {
		os.Exit(0)
	}
	fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
	if errors.As(err, new(UsageError)) {
		os.Exit(2)
	}
	os.Exit(1)
}
