// Command client is the note's UDP client (基于udp的客户端), line by line. It
// sends each line typed after ">>:" as one datagram, an empty line too, and
// prints the reply with the address it came from.
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
	addr := flag.String("addr", "127.0.0.1:8080", "address of the server")
	flag.Parse()
	stdin := bufio.NewReader(os.Stdin)

	ipPort, err := net.ResolveUDPAddr("udp", *addr) // ip_port = ('127.0.0.1', 8080)
	if err != nil {
		log.Fatal(err)
	}
	const Bufsize = 1024 // Bufsize = 1024
	// t = socket(AF_INET, SOCK_DGRAM)  (Python binds a port at the first sendto; Go binds it here)
	t, err := net.ListenPacket("udp", ":0")
	if err != nil {
		log.Fatal(err)
	}

	buf := make([]byte, Bufsize)
	for { // while True:
		fmt.Print(">>:")
		line, err := stdin.ReadString('\n') // msg = input('>>:').strip()
		if line == "" && err != nil {       // input() raises EOFError; we stop
			fmt.Println()
			return
		}
		msg := strings.TrimSpace(line)
		// # if not msg:continue  (an empty datagram is still sent, claim U3)
		if _, err := t.WriteTo([]byte(msg), ipPort); err != nil { // t.sendto(msg.encode('utf8'), ip_port)
			log.Fatal(err)
		}
		// With no server, or a lost datagram, this waits for ever (claim U4).
		n, from, err := t.ReadFrom(buf) // back_msg, addr = t.recvfrom(Bufsize)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(string(buf[:n]), from) // print(back_msg.decode('utf8'), addr)
	}
}
