// Command server is the note's FTP homework as a student writes it first,
// on the struct framing of chapter 04: a login, then put and get of one file
// at a time, its size and MD5 in the header; a goroutine per client.
package main

import (
	"crypto/md5"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"path/filepath"
)

type head = map[string]any // the JSON header (报头): a dict in Python

// users holds the md5 of each password (用户加密认证).
var users = head{"alice": md5hex([]byte("alice123")), "bob": md5hex([]byte("bob123"))}

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
	h, _, err := recv(conn)
	if err != nil || h["password"] == nil || users[fmt.Sprint(h["user"])] != h["password"] {
		send(conn, head{"ok": false, "error": "login failed"}, nil)
		return
	}
	home := filepath.Join("home", fmt.Sprint(h["user"])) // 每个用户有自己的家目录
	os.MkdirAll(home, 0o755)
	send(conn, head{"ok": true}, nil)
	for { // while True:  # 通信循环
		h, data, err := recv(conn)
		if err != nil { // if not data: break
			return
		}
		name := filepath.Join(home, filepath.Base(fmt.Sprint(h["filename"]))) // a name only: never out of home
		switch {
		case h["cmd"] == "put" && h["md5"] != md5hex(data): // 保证文件一致性
			send(conn, head{"ok": false, "error": "md5 mismatch: not stored"}, nil)
		case h["cmd"] == "put":
			os.WriteFile(name, data, 0o644) // open(path, 'wb').write(data)
			send(conn, head{"ok": true, "md5": h["md5"]}, nil)
		default: // get
			if data, err = os.ReadFile(name); err != nil { // open(path, 'rb').read()
				send(conn, head{"ok": false, "error": "no such file"}, nil)
			} else {
				send(conn, head{"ok": true, "md5": md5hex(data)}, data)
			}
		}
	}
}

// recv reads one message: the 4-byte length, the header, data_size bytes.
func recv(conn net.Conn) (head, []byte, error) {
	var n uint32
	binary.Read(conn, binary.LittleEndian, &n) // head_len = struct.unpack('i', conn.recv(4))[0]
	b := make([]byte, min(n, 1<<16))           // a header is small: a bigger length is a lie
	var h head
	if _, err := io.ReadFull(conn, b); err != nil || n == 0 || json.Unmarshal(b, &h) != nil {
		return nil, nil, io.EOF // head_dic = json.loads(conn.recv(head_len).decode('utf-8'))
	}
	size, _ := h["data_size"].(float64)
	data := make([]byte, int(max(0, min(size, 1<<30)))) // the whole file in memory, as data += conn.recv(1024) does
	_, err := io.ReadFull(conn, data)                   // while recv_size < data_size: data += conn.recv(1024)
	return h, data, err
}

// send writes one message: the 4-byte length, the header, the data.
func send(conn net.Conn, h head, data []byte) {
	h["data_size"] = len(data)
	b, _ := json.Marshal(h)                                // head_bytes = json.dumps(head_dic).encode('utf-8')
	binary.Write(conn, binary.LittleEndian, int32(len(b))) // conn.send(struct.pack('i', len(head_bytes)))
	conn.Write(append(b, data...))                         // conn.send(head_bytes); conn.send(data)
}

func md5hex(b []byte) string { return fmt.Sprintf("%x", md5.Sum(b)) } // hashlib.md5(b).hexdigest()
