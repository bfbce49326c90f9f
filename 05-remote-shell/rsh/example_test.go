package rsh_test

import (
	"context"
	"fmt"
	"log"
	"net"
	"os"
	"time"

	"github.com/gosockets/tutorial/05-remote-shell/rsh"
)

// Example runs a server on loopback and one command through it.
func Example() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	srv := &rsh.Server{}
	go srv.Serve(ln)
	defer srv.Close()

	c, err := rsh.Dial(context.Background(), ln.Addr().String(), time.Minute)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	rep, err := c.Run("echo hello; echo oops >&2; exit 3", os.Stdout, os.Stdout)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("exit code %d, %d bytes of stdout, %d of stderr\n", rep.ExitCode, rep.StdoutSize, rep.StderrSize)
	// Output:
	// hello
	// oops
	// exit code 3, 6 bytes of stdout, 5 of stderr
}
