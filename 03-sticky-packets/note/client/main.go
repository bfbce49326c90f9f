// Command client is the note's sticky-packet client, line by line: it sends
// "helloworld", sleeps 3 seconds (the note's fix for sticky packets) and sends "SB".
package main

import (
	"flag"
	"log"
	"net"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address of the server") // ip_port=('127.0.0.1',8080)
	flag.Parse()

	// phone=socket.socket(socket.AF_INET,socket.SOCK_STREAM)
	phone, err := net.Dial("tcp", *addr) // phone.connect(ip_port)
	if err != nil {
		log.Fatal(err)
	}
	// Go switches Nagle's algorithm off on every TCP connection; Python leaves it on.

	// Write sends every byte; Python's send may send fewer and return how many.
	if _, err := phone.Write([]byte("helloworld")); err != nil { // phone.send('helloworld'.encode('utf-8'))
		log.Fatal(err)
	}
	time.Sleep(3 * time.Second)                          // time.sleep(3)  #利用time来解决粘包问题
	if _, err := phone.Write([]byte("SB")); err != nil { // phone.send('SB'.encode('utf-8'))
		log.Fatal(err)
	}
	// The note never closes the socket: the operating system does when the program ends.
}
