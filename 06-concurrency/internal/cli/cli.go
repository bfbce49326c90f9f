// Package cli is what the chapter's commands share: parsing the command
// line and turning an error into one line on stderr and an exit status
// (1 for a runtime error, 2 for a usage error).
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

// A usageError is a mistake in the command line. Exit gives it status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// errExplained is a usage error the flag package has already printed.
var errExplained = usageError{}

// Usagef returns a usage error with the message fmt.Sprintf(format, args...).
func Usagef(format string, args ...any) error {
	return usageError{fmt.Sprintf(format, args...)}
}

// Parse parses args with fs, which must use flag.ContinueOnError, and
// rejects arguments that are not flags. It returns flag.ErrHelp for -h.
func Parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errExplained // the flag package printed the error and the usage
	}
	if fs.NArg() > 0 {
		return Usagef("unexpected argument %q (see -h)", fs.Arg(0))
	}
	return nil
}

// Exit ends the command run returned err: status 0 for nil or -h;
// otherwise it prints "name: err" on stderr (unless the flag package has
// already explained it) and exits 2 for a usage error, 1 for any other.
func Exit(name string, stderr io.Writer, err error) {
	var ue usageError
	switch {
	case err == nil || errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case errors.As(err, &ue):
		if ue != errExplained {
			fmt.Fprintf(stderr, "%s: %v\n", name, err)
		}
		os.Exit(2)
	default:
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
}
