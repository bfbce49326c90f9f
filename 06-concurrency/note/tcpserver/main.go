// Command tcpserver is the note's ThreadingTCPServer (tcp协议下的并发问题), line
// by line: a handler per connection on its own goroutine (Python: thread).
// One operator types every reply: as with input() in several threads, each
// line goes to one waiting handler (here the one that has waited longest),
// and nothing says which client it answers.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
)

var operator = make(chan string) // the lines the operator types, for input('>>')

// handle is the handler: class Ftpserver(socketserver.BaseRequestHandler)  #通信链接
func handle(conn net.Conn) { // def handle(self):
	defer conn.Close()                                           // the server closes the request after handle
	fmt.Println("==========>", "handler for", conn.RemoteAddr()) // print('==========>',self)
	fmt.Println(conn.LocalAddr(), "<->", conn.RemoteAddr())      // print(self.request)  #self.request == conn
	buf := make([]byte, 1024)
	for { // while True:
		n, err := conn.Read(buf) // data = self.request.recv(1024)
		if err != nil {
			return // the note has no "if not data: break" (see the README)
		}
		fmt.Println(string(buf[:n])) // print(data.decode('utf8'))
		fmt.Print(">>")
		data1, ok := <-operator // data1 = input('>>')
		if !ok {
			return // at the end of stdin input() raises EOFError, which ends the handler
		}
		if _, err := conn.Write([]byte(data1)); err != nil { // self.request.send(data1.encode('utf8'))
			return
		}
	}
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	flag.Parse()
	// obj = socketserver.ThreadingTCPServer(('127.0.0.1',8080),Ftpserver)
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Fprintln(os.Stderr, "listening on", ln.Addr()) // not in the note: the port, for -addr 127.0.0.1:0
	go func() {
		stdin := bufio.NewScanner(os.Stdin)
		for stdin.Scan() {
			operator <- stdin.Text() // input() returns the line without its newline
		}
		close(operator)
	}()
	for { // obj.serve_forever()  #链接循环
		conn, err := ln.Accept()
		if err != nil {
			log.Fatal(err) // serve_forever() skips a failed accept and tries again
		}
		go handle(conn) // ThreadingTCPServer: a new thread for each request
	}
}
