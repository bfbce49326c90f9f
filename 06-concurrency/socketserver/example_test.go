package socketserver_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"time"

	"github.com/gosockets/tutorial/06-concurrency/socketserver"
)

// Two clients talk to one echo server over loopback at the same time: the
// second is answered while the first is still connected.
func ExampleServer() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	srv := &socketserver.Server{Handler: socketserver.HandlerFunc(socketserver.Echo)}
	go srv.Serve(ln)

	first, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		log.Fatal(err)
	}
	defer first.Close()
	second, err := net.Dial("tcp", ln.Addr().String()) // first is still connected
	if err != nil {
		log.Fatal(err)
	}
	defer second.Close()

	echo := func(c net.Conn, msg string) {
		c.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(c, msg)
		reply := make([]byte, len(msg))
		if _, err := io.ReadFull(c, reply); err != nil {
			log.Fatal(err)
		}
		fmt.Println(string(reply))
	}
	echo(second, "hello from the second client")
	echo(first, "hello from the first client")

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	fmt.Println("shutdown:", srv.Shutdown(ctx))
	// Output:
	// hello from the second client
	// hello from the first client
	// shutdown: <nil>
}

// A UDP echo server: the handler gets the datagram and the socket, and
// replies to the sender's address.
func ExamplePacketServer() {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	srv := &socketserver.PacketServer{Handler: socketserver.PacketHandlerFunc(socketserver.EchoDatagram)}
	go srv.Serve(pc)
	defer srv.Close()

	c, err := net.Dial("udp", pc.LocalAddr().String())
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(c, "ping over UDP")
	buf := make([]byte, 1500)
	n, err := c.Read(buf)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(buf[:n]))
	// Output: ping over UDP
}
