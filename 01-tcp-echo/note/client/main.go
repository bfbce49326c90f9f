// Command client is the note's TCP client (基于tcp的客户端), line by line. It
// sends each line typed after ">> :", skipping empty ones, and prints what
// one read of at most 1024 bytes returns.
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

	// phone = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
	// phone.connect(('127.0.0.1', 8080))
	phone, err := net.Dial("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	defer phone.Close() // phone.close()

	data := make([]byte, 1024)
	for { // while True:
		fmt.Print(">> :")
		line, err := stdin.ReadString('\n') // msg = input('>> :').strip()
		if line == "" && err != nil {       // input() raises EOFError; we stop
			fmt.Println()
			return
		}
		msg := strings.TrimSpace(line)
		if msg == "" { // if not msg: continue  (an empty send sends nothing: claim T4)
			continue
		}
		if _, err := phone.Write([]byte(msg)); err != nil { // phone.send(msg.encode('utf8'))
			log.Fatal(err)
		}
		fmt.Println("has send=========>")
		n, err := phone.Read(data) // data = phone.recv(1024)
		if err != nil {            // the server left; Python's recv returns b'' and it loops on, we stop
			log.Fatal(err)
		}
		fmt.Println("has recv==========>")
		fmt.Printf("b%q\n", data[:n]) // print(data)  (Python quotes bytes as b'...', Go as "...")
	}
}
