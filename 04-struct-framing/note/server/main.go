// Command server is the note's remote-command server framed with struct
// (利用struct解决粘包问题), line by line: it runs each command it receives
// through the shell and answers with a 4-byte header length, a JSON header
// holding data_size, then the command's stdout and stderr.
package main

import (
	"encoding/binary"
	"encoding/json"
	"flag"
	"io"
	"log"
	"net"
	"os/exec"
	"runtime"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	flag.Parse()
	t, err := net.Listen("tcp", *addr) // t = socket(AF_INET,SOCK_STREAM); t.bind(('127.0.0.1',8080)); t.listen(5)
	if err != nil {
		log.Fatal(err)
	}
	log.Println("listening on", t.Addr()) // (not in the note: says which port -addr 127.0.0.1:0 got)

	for { // while True:  #链接循环
		conn, err := t.Accept() // conn,addr = t.accept()
		if err != nil {
			log.Fatal(err)
		}
		buf := make([]byte, 1024)
		for { // while True: # 通信循环
			n, err := conn.Read(buf) // cmd = conn.recv(1024)
			if err != nil {          // if not cmd:break  (io.EOF; a reset is the note's except Exception: break)
				break
			}
			res := shell(string(buf[:n])) // res = subprocess.Popen(cmd.decode('utf8'), shell=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
			stdout, _ := res.StdoutPipe()
			stderr, _ := res.StderrPipe()
			if err := res.Start(); err != nil { // except Exception: break
				break
			}
			outRes, _ := io.ReadAll(stdout) // out_res = res.stdout.read()  (BUG kept: a command that fills stderr first, 64 KiB, waits here forever)
			errRes, _ := io.ReadAll(stderr) // err_res = res.stderr.read()
			res.Wait()
			headDic := map[string]int{"data_size": len(outRes) + len(errRes)} // data_size = len(out_res)+len(err_res); head_dic = {'data_size':data_size}
			headBytes, _ := json.Marshal(headDic)                             // head_json = json.dumps(head_dic); head_bytes = head_json.encode('utf8')
			// #发送报头的长度
			binary.Write(conn, binary.NativeEndian, int32(len(headBytes))) // head_len = len(head_bytes); conn.send(struct.pack('i',head_len))  #该模块将一串数字打包以固定长度(4个字节)发送给客户端
			conn.Write(headBytes)                                          // #发送报头  conn.send(head_bytes)
			conn.Write(outRes)                                             // #发送数据部分  conn.send(out_res) # linux环境中 多个命令用分号隔开的情况
			conn.Write(errRes)                                             // conn.send(err_res)  (a failed send ends the loop at the next recv)
		}
		conn.Close() // conn.close()    #通信完成,关闭链接
	}
}

// shell is Popen's shell=True: /bin/sh -c, or cmd.exe /c on Windows. The
// command's stdin is empty; Popen would let it read the server's terminal.
func shell(command string) *exec.Cmd {
	if runtime.GOOS == "windows" {
		return exec.Command("cmd.exe", "/c", command)
	}
	return exec.Command("/bin/sh", "-c", command)
}
