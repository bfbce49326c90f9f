// Command server is the note's sticky-packet server (粘包), line by line. It
// accepts one client and prints what four reads return: recv(1024) twice, then
// recv(1), a 5-second sleep, and recv(1024) once more.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"time"
)

// recv reads at most size bytes, as Python's conn.recv(size) does. At the end of
// the stream Python returns no bytes and Go returns io.EOF: recv returns no bytes.
func recv(conn net.Conn, size int) []byte {
	buf := make([]byte, size)
	n, err := conn.Read(buf)
	if err != nil && !errors.Is(err, io.EOF) {
		log.Fatal(err) // Python raises an exception here and stops
	}
	return buf[:n]
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on") // ip_port=('127.0.0.1',8080)
	flag.Parse()

	// phone=socket.socket(socket.AF_INET,socket.SOCK_STREAM)
	// #绑定电话卡
	ln, err := net.Listen("tcp", *addr) // phone.bind(ip_port); phone.listen(5)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("listening on %v", ln.Addr()) // not in the note: says where, for -addr 127.0.0.1:0
	conn, err := ln.Accept()                 // conn,addr=phone.accept()
	if err != nil {
		log.Fatal(err)
	}

	data1 := recv(conn, 1024)      // data1=conn.recv(1024)
	fmt.Printf("第一个包 %q\n", data1) // print('第一个包',data1)
	data2 := recv(conn, 1024)      // data2=conn.recv(1024)
	fmt.Printf("第二个包 %q\n", data2) // print('第二个包',data2)

	data1 = recv(conn, 1)          // data1=conn.recv(1)  #b'h'
	fmt.Printf("第一个包 %q\n", data1) // print('第一个包',data1)
	time.Sleep(5 * time.Second)    // time.sleep(5)  #利用time来解决粘包问题
	data2 = recv(conn, 1024)       // data2=conn.recv(1024)  #b'elloworldSB'
	fmt.Printf("第二个包 %q\n", data2) // print('第二个包',data2)
}
