// Command client is the note's FTP homework client as a student writes it
// first: it logs in, then puts and gets one file a line (put FILE, get
// FILE), the size and MD5 in the header of chapter 04's framing. The
// message format, shared with the server, is in package wire.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"strings"

	"github.com/gosockets/tutorial/07-ftp/note/wire"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address of the server")
	flag.Parse()
	conn, err := net.Dial("tcp", *addr) // phone.connect(('127.0.0.1', 8080))
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close() // phone.close()
	in := bufio.NewScanner(os.Stdin)
	user, password := input(in, "user: "), input(in, "password: ")
	wire.Send(conn, wire.Head{"user": user, "password": wire.MD5([]byte(password))}, nil) // 用户加密认证: md5, not the password
	if h, _, err := wire.Recv(conn); err != nil || h["ok"] != true {
		fmt.Println("login failed")
		os.Exit(1) // sys.exit(1)
	}
	fmt.Println("login ok")
	for { // while True:  # 通信循环
		cmd := strings.Fields(input(in, ">> :"))
		if len(cmd) != 2 { // if not cmd: continue
			continue
		}
		name, data := cmd[1], []byte(nil)
		if cmd[0] == "put" {
			if data, err = os.ReadFile(cmd[1]); err != nil { // open(filename, 'rb').read()
				fmt.Println(err)
				continue
			}
		}
		wire.Send(conn, wire.Head{"cmd": cmd[0], "filename": name, "md5": wire.MD5(data)}, data)
		h, got, err := wire.Recv(conn)
		switch {
		case err != nil:
			log.Fatal(err) // the server hung up
		case h["ok"] != true:
			fmt.Println(cmd[0], name, "failed:", h["error"])
		case cmd[0] == "get" && h["md5"] != wire.MD5(got): // 保证文件一致性
			fmt.Println("get", name, "failed: md5 mismatch")
		case cmd[0] == "get":
			os.WriteFile(name, got, 0o644) // open(filename, 'wb').write(data)
			fmt.Println("get", name, len(got), "bytes, md5", h["md5"], "ok")
		default:
			fmt.Println("put", name, len(data), "bytes, md5", h["md5"], "ok")
		}
	}
}

// input is Python's input(prompt); at the end of the input the client ends.
func input(in *bufio.Scanner, prompt string) string {
	fmt.Print(prompt)
	if !in.Scan() {
		os.Exit(0)
	}
	return strings.TrimSpace(in.Text())
}
