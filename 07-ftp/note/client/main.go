// Command client is the note's FTP homework client as a student writes it
// first: it logs in, then puts and gets one file a line (put FILE, get
// FILE), the size and MD5 in the header of chapter 04's framing.
package main

import (
	"bufio"
	"crypto/md5"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"strings"
)

type head = map[string]any // the JSON header (报头): a dict in Python

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
	send(conn, head{"user": user, "password": md5hex([]byte(password))}, nil) // 用户加密认证: md5, not the password
	if h, _, err := recv(conn); err != nil || h["ok"] != true {
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
		send(conn, head{"cmd": cmd[0], "filename": name, "md5": md5hex(data)}, data)
		h, got, err := recv(conn)
		switch {
		case err != nil:
			log.Fatal(err) // the server hung up
		case h["ok"] != true:
			fmt.Println(cmd[0], name, "failed:", h["error"])
		case cmd[0] == "get" && h["md5"] != md5hex(got): // 保证文件一致性
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

// recv reads one message: the 4-byte length, the header, data_size bytes.
func recv(conn net.Conn) (head, []byte, error) {
	var n uint32
	binary.Read(conn, binary.LittleEndian, &n) // head_len = struct.unpack('i', phone.recv(4))[0]
	b := make([]byte, min(n, 1<<16))
	var h head
	if _, err := io.ReadFull(conn, b); err != nil || n == 0 || json.Unmarshal(b, &h) != nil {
		return head{}, nil, io.ErrUnexpectedEOF // head_dic = json.loads(phone.recv(head_len).decode('utf-8'))
	}
	size, _ := h["data_size"].(float64)
	data := make([]byte, int(max(0, min(size, 1<<30))))
	_, err := io.ReadFull(conn, data) // while recv_size < data_size: data += phone.recv(1024)
	return h, data, err
}

// send writes one message: the 4-byte length, the header, the data.
func send(conn net.Conn, h head, data []byte) {
	h["data_size"] = len(data)
	b, _ := json.Marshal(h)                                // head_bytes = json.dumps(head_dic).encode('utf-8')
	binary.Write(conn, binary.LittleEndian, int32(len(b))) // phone.send(struct.pack('i', len(head_bytes)))
	conn.Write(append(b, data...))                         // phone.send(head_bytes); phone.send(data)
}

func md5hex(b []byte) string { return fmt.Sprintf("%x", md5.Sum(b)) } // hashlib.md5(b).hexdigest()
