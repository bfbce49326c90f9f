package echo_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/gosockets/tutorial/01-tcp-echo/echo"
)

// A server and a client talking over loopback. The blank line is never sent:
// an empty send would send nothing, and the client would wait forever for a
// reply (claim T4).
func Example() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	srv := &echo.Server{}
	go srv.Serve(ln)
	defer srv.Close()

	conn, err := echo.Dial(context.Background(), ln.Addr().String())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer conn.Close()
	if err := echo.Chat(conn, strings.NewReader("hello\n\nworld\n"), os.Stdout, ""); err != nil {
		fmt.Println(err)
	}
	// Output:
	// hello
	// world
}

// With no server listening, Dial says so in one line.
func ExampleDial_noServer() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	addr := ln.Addr().String()
	ln.Close() // now nothing listens on addr

	_, err = echo.Dial(context.Background(), addr)
	fmt.Println(strings.ReplaceAll(err.Error(), addr, "ADDR"))
	// Output:
	// no server at ADDR (connection refused): is the server running?
}
