// Command server is the note's FTP homework as a student writes it first,
// on the struct framing of chapter 04: a login, then put and get of one file
// at a time, its size and MD5 in the header; a goroutine per client. The
// message format, shared with the client, is in package wire.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"path/filepath"

	"github.com/gosockets/tutorial/07-ftp/note/wire"
)

// users holds the md5 of each password (用户加密认证).
var users = wire.Head{"alice": wire.MD5([]byte("alice123")), "bob": wire.MD5([]byte("bob123"))}

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	flag.Parse()
	ln, err := net.Listen("tcp", *addr) // server = socketserver.ThreadingTCPServer(('127.0.0.1', 8080), FtpServer)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("start.....", ln.Addr())
	for { // server.serve_forever()  # 链接循环
		if conn, err := ln.Accept(); err == nil { // conn = self.request
			go handle(conn) // a thread per client: 多用户同时登陆
		}
	}
}

func handle(conn net.Conn) {
	defer conn.Close() // self.request.close()
	h, _, err := wire.Recv(conn)
	if err != nil || h["password"] == nil || users[fmt.Sprint(h["user"])] != h["password"] {
		wire.Send(conn, wire.Head{"ok": false, "error": "login failed"}, nil)
		return
	}
	home := filepath.Join("home", fmt.Sprint(h["user"])) // 每个用户有自己的家目录
	os.MkdirAll(home, 0o755)
	wire.Send(conn, wire.Head{"ok": true}, nil)
	for { // while True:  # 通信循环
		h, data, err := wire.Recv(conn)
		if err != nil { // if not data: break
			return
		}
		name := filepath.Join(home, filepath.Base(fmt.Sprint(h["filename"]))) // a name only: never out of home
		switch {
		case h["cmd"] == "put" && h["md5"] != wire.MD5(data): // 保证文件一致性
			wire.Send(conn, wire.Head{"ok": false, "error": "md5 mismatch: not stored"}, nil)
		case h["cmd"] == "put":
			os.WriteFile(name, data, 0o644) // open(path, 'wb').write(data)
			wire.Send(conn, wire.Head{"ok": true, "md5": h["md5"]}, nil)
		default: // get
			if data, err = os.ReadFile(name); err != nil { // open(path, 'rb').read()
				wire.Send(conn, wire.Head{"ok": false, "error": "no such file"}, nil)
			} else {
				wire.Send(conn, wire.Head{"ok": true, "md5": wire.MD5(data)}, data)
			}
		}
	}
}
