package message_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"

	"github.com/gosockets/tutorial/04-struct-framing/message"
)

// Example runs chapter 03's two quick writes over loopback, framed: the
// server prints each message once, whole. The server's lines are collected
// and printed after the client's, so that the output does not depend on
// how the two goroutines interleave.
func Example() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	var served bytes.Buffer
	srv := &message.Server{Out: &served}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()

	cl := &message.Client{Out: os.Stdout}
	if err := cl.Send(context.Background(), ln.Addr().String(), []string{"helloworld", "SB"}); err != nil {
		fmt.Println(err)
	}
	srv.Close()
	fmt.Println(<-done) // Serve has returned: served is complete
	fmt.Print(served.String())
	// Output:
	// sent message 1: 10 bytes "helloworld"
	// sent message 2: 2 bytes "SB"
	// reply 1: server got "helloworld" whole
	// reply 2: server got "SB" whole
	// message: server closed
	// message 1: 10 bytes "helloworld"
	// message 2: 2 bytes "SB"
}
