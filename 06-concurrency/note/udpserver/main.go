// Command udpserver is the note's socketserver.ThreadingUDPServer program
// (udp协议下的并发问题), line by line: every datagram is handed, with the
// socket, to a handler on its own goroutine (Python: its own thread), which
// sends the data back to the client's address.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"os"
)

// handle is the handler: class Ftpserver(socketserver.BaseRequestHandler)
// For a UDP server self.request is the pair (data, socket).
func handle(data []byte, sock net.PacketConn, clientAddr net.Addr) { // def handle(self):
	fmt.Printf("(%q, %v)\n", data, sock.LocalAddr()) // print(self.request)
	fmt.Println(clientAddr)                          // print(self.client_address)
	// msg = input('>>>:')
	sock.WriteTo(data, clientAddr) // self.request[1].sendto(self.request[0],self.client_address)
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	flag.Parse()
	// obj = socketserver.ThreadingUDPServer(('127.0.0.1',8080),Ftpserver)
	sock, err := net.ListenPacket("udp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Fprintln(os.Stderr, "listening on", sock.LocalAddr()) // the note prints nothing; this tells -addr :0's port
	for {                                                     // obj.serve_forever()
		buf := make([]byte, 8192) // UDPServer.max_packet_size: recvfrom(8192)
		n, clientAddr, err := sock.ReadFrom(buf)
		if err != nil {
			log.Fatal(err)
		}
		go handle(buf[:n], sock, clientAddr) // ThreadingUDPServer: a new thread for each request
	}
}
