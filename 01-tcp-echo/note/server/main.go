// Command server is the note's TCP server (基于tcp的服务端), line by line. It
// serves one client at a time, prints each message, and sends back the
// reply the operator types after "....", without a newline, as Python's
// input() returns it.
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
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	flag.Parse()
	stdin := bufio.NewReader(os.Stdin)

	// phone = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
	// phone.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  (Go sets it on every listener)
	// phone.bind(('127.0.0.1', 8080))
	// phone.listen(5)  (Go asks for the kernel's largest backlog)
	phone, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	defer phone.Close() // phone.close()

	fmt.Println("start.....", phone.Addr()) // print('start.....')  (the address is ours)

	for { // while True:  #链接循环  一台客户端中断链接时,不至于服务端也停止运行
		conn, err := phone.Accept() // conn, addr = phone.accept()  #等待电话链接
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("电话线路是", conn.LocalAddr(), "<-", conn.RemoteAddr()) // print('电话线路是', conn)
		fmt.Println("客户端手机号", conn.RemoteAddr())                        // print('客户端手机号', addr)
		data := make([]byte, 1024)
		for { // while True:  # 通信循环
			n, err := conn.Read(data) // data = conn.recv(1024)
			if err != nil {           // if not data: break  #应对linux系统 (io.EOF); except Exception: break  #应对windows系统
				break
			}
			fmt.Println("客户端发来的消息", string(data[:n])) // print('客户端发来的消息', data.decode('utf8'))
			fmt.Print("....")
			s, err := stdin.ReadString('\n') // s = input("....")
			if s == "" && err != nil {       // input() raises EOFError: except Exception: break
				break
			}
			s = strings.TrimSuffix(strings.TrimSuffix(s, "\n"), "\r") // input() drops the newline
			// An empty reply sends nothing, and the client waits for ever (claim T4).
			if _, err := conn.Write([]byte(s)); err != nil { // conn.send(s.encode('utf8'))
				break
			}
		}
		conn.Close() // conn.close()
	}
}
