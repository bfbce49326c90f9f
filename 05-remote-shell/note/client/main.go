// Command client is the note's simulated ssh client (模拟远程访问ssh), line by
// line: it sends each command typed and prints what one recv(1024) brings
// back, which is not always the reply to that command.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "server address")
	flag.Parse()
	t, err := net.Dial("tcp", *addr) // t = socket(AF_INET,SOCK_STREAM); t.connect(('192.168.184.128',8280))  (the note's client dials another host and port than its server listens on)
	if err != nil {
		log.Fatal(err)
	}
	input := bufio.NewScanner(os.Stdin)
	buf := make([]byte, 1024)
	for { // while True:  #通信循环
		fmt.Print(">>> :") // cmd = input('>>> :')
		if !input.Scan() { // (input() raises EOFError at the end of the input)
			break
		}
		cmd := input.Text()
		if cmd == "" { // if not cmd: continue
			continue
		}
		t.Write([]byte(cmd))  // t.send(cmd.encode('utf8'))
		n, err := t.Read(buf) // data = t.recv(1024)  (BUG kept: a longer reply spills into the next; a command that prints nothing leaves this recv waiting)
		if err != nil {       // (the note prints b'' as an empty line and goes on; Go's Read says io.EOF)
			log.Fatal(err)
		}
		fmt.Println(string(buf[:n])) // print(data.decode('utf8'))  #基于windows的shell 用GBK解码 #基于linux的shell 用utf8解码
	}
	t.Close() // t.close()
}
