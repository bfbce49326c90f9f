package udpecho_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"time"

	"github.com/gosockets/tutorial/02-udp-echo/udpecho"
)

// This example runs a server on a free loopback port and sends it two
// datagrams, the second one empty.
func ExampleServer() {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	srv := &udpecho.Server{}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(pc) }()

	ctx := context.Background()
	c, err := udpecho.Dial(ctx, pc.LocalAddr().String(), 5*time.Second)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	for _, msg := range []string{"hello", ""} {
		reply, err := c.Exchange(ctx, []byte(msg))
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("sent %q, got back %q\n", msg, reply)
	}

	srv.Close()
	fmt.Println(<-done)
	// Output:
	// sent "hello", got back "hello"
	// sent "", got back ""
	// udpecho: server closed
}

// This example shows a client giving up on a reply that never comes: the
// socket it talks to is bound, but nobody answers.
func ExampleClient_Exchange_noReply() {
	silent, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer silent.Close()

	c, err := udpecho.Dial(context.Background(), silent.LocalAddr().String(), 50*time.Millisecond)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	_, err = c.Exchange(context.Background(), []byte("anyone there?"))
	fmt.Println(errors.Is(err, udpecho.ErrNoReply))
	// Output:
	// true
}
