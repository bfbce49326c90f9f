// Command client is the echo client of chapter 01. It connects to the server
// at -addr, sends each non-blank line of standard input, and prints whatever
// the server sends as it arrives. It shows a ">> " prompt only when standard
// input is a terminal, exits with status 0 at the end of input once the
// server has closed too, and prints one line and exits with status 1 when
// the server is missing, the address is bad or the connection drops.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"golang.org/x/term"

	"github.com/gosockets/tutorial/01-tcp-echo/echo"
)

func main() {
	// Ctrl-C keeps its default meaning here and ends the client at once;
	// the kernel then closes the socket and the server sees the client leave.
	if err := run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "client:", err)
		os.Exit(1)
	}
}

// errUsage reports bad flags, which the flag package has already explained.
var errUsage = errors.New("usage")

// Prompt is shown before each line when standard input is a terminal.
const Prompt = ">> "

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("client", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", echo.DefaultAddr, "`host:port` of the server")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "client: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return errUsage
	}

	conn, err := echo.Dial(ctx, *addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	prompt := ""
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		prompt = Prompt
	}
	return echo.Chat(conn, stdin, stdout, prompt)
}
