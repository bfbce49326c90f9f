// Command server is the note's UDP server (基于udp的服务端), line by line. It
// receives datagrams from anyone, prints each with its sender's address, and
// sends back the reply the operator types after ">> :".
package main

import (
	"bufio"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"strings"
)

func main() {
	ipPort := flag.String("addr", "127.0.0.1:8080", "address to bind") // ip_port = ('127.0.0.1', 8080)
	flag.Parse()
	stdin := bufio.NewReader(os.Stdin)

	const Bufsize = 1024 // Bufsize = 1024
	// t = socket(AF_INET, SOCK_DGRAM)
	// t.bind(ip_port)  (no listen, no accept: UDP has no connections, claim U1)
	t, err := net.ListenPacket("udp", *ipPort)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("start.....", t.LocalAddr()) // not in the note: where it listens

	buf := make([]byte, Bufsize)
	for { // while True:
		n, addr, err := t.ReadFrom(buf) // msg, addr = t.recvfrom(Bufsize)  (a longer datagram is cut, U5)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(string(buf[:n]), addr) // print(msg.decode('utf8'), addr)
		fmt.Print(">> :")
		line, err := stdin.ReadString('\n') // msg = input('>> :').strip()
		if line == "" && err != nil {       // input() raises EOFError; we stop
			fmt.Println()
			return
		}
		msg := strings.TrimSpace(line)
		if _, err := t.WriteTo([]byte(msg), addr); err != nil { // t.sendto(msg.encode('utf8'), addr)
			log.Fatal(err)
		}
	}
}
