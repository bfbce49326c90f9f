// Command client is the note's client for the struct-framed remote-command
// server (利用struct解决粘包问题), line by line: it sends each command typed,
// then reads a 4-byte header length, the JSON header and data_size bytes.
package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "server address")
	flag.Parse()
	t, err := net.Dial("tcp", *addr) // t = socket(AF_INET,SOCK_STREAM); t.connect(('127.0.0.1',8080))
	if err != nil {
		log.Fatal(err)
	}
	input := bufio.NewScanner(os.Stdin)
	buf := make([]byte, 1024)
	for { // while True:  #通信循环
		fmt.Print(">>> :") // #发消息  cmd = input('>>> :')
		if !input.Scan() { // (input() raises EOFError at the end of the input)
			break
		}
		cmd := input.Text()
		if cmd == "" { // if not cmd: continue
			continue
		}
		t.Write([]byte(cmd)) // t.send(bytes(cmd,encoding='utf8'))
		headStruct := make([]byte, 4)
		n, _ := t.Read(headStruct) // #收报头的长度  head_struct=t.recv(4)  (BUG kept: one recv may return fewer than 4 bytes)
		var headLen int32          // head_len = struct.unpack('i',head_struct)  (the note's is a tuple (n,), and recv(tuple) raises TypeError)
		if err := binary.Read(bytes.NewReader(headStruct[:n]), binary.NativeEndian, &headLen); err != nil {
			log.Fatal("unpack: ", err) // struct.error: unpack requires a buffer of 4 bytes
		}
		headBytes := make([]byte, headLen)
		n, _ = t.Read(headBytes) // #收报头  head_bytes = t.recv(head_len)  (may return less, like recv(4))
		var headDic map[string]any
		if err := json.Unmarshal(headBytes[:n], &headDic); err != nil { // head_json = head_bytes.decode('utf8'); head_dic = json.loads(head_json)
			log.Fatal("json: ", err)
		}
		fmt.Println(headDic)                          // print(head_dic)
		dataSize, _ := headDic["data_size"].(float64) // data_size = head_dic['data_size']
		recvSize, recvData := 0, []byte{}             // #收数据  recv_size = 0; recv_data = b''
		for recvSize < int(dataSize) {                // while recv_size < data_size:
			n, err := t.Read(buf) // data = t.recv(1024)  (BUG kept: asks for 1024 bytes whatever is left, so it can take the next reply)
			if err != nil {       // (fixed: the note's loop spins forever once the server is gone and recv returns b'')
				log.Fatal(err)
			}
			recvSize += n                           // recv_size += len(data)
			recvData = append(recvData, buf[:n]...) // recv_data += data  (Python copies everything so far on each +=; append does not)
		}
		fmt.Println(string(recvData)) // print(recv_data.decode('utf8'))  #基于windows的shell 用GBK解码 #基于linux的shell 用utf8解码
	}
	t.Close() // t.close()
}
