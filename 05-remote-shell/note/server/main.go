// Command server is the note's simulated ssh server (模拟远程访问ssh), line by
// line: it runs each command it receives through the shell and sends back
// the raw output, with no framing, so a long reply spills into the next.
package main

import (
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
	t, err := net.Listen("tcp", *addr) // t = socket(AF_INET,SOCK_STREAM) #两个参数 基于网络通信的套接字,基于tcp协议的套接字; t.bind(('127.0.0.1',8080)) #绑定唯一一个IP地址和端口号 此处为本地回环地址; t.listen(5) #开启监听 同时允许最多5个客户端访问
	if err != nil {
		log.Fatal(err)
	}
	log.Println("listening on", t.Addr()) // (not in the note: says which port -addr 127.0.0.1:0 got)

	for { // while True:  #链接循环
		conn, err := t.Accept() // conn,addr = t.accept()  #等待客户端链接
		if err != nil {
			log.Fatal(err)
		}
		buf := make([]byte, 1024)
		for { // while True: # 通信循环
			n, err := conn.Read(buf) // cmd = conn.recv(1024)  #接收客户端消息 每次接收1024字节的数据
			if err != nil {          // if not cmd:break  #应对linux系统 服务器不断的接收空; try/except: #应对windows系统 客户端关闭链接的情况下
				break
			}
			res := shell(string(buf[:n])) // res = subprocess.Popen(cmd.decode('utf8'), shell=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
			stdout, _ := res.StdoutPipe()
			stderr, _ := res.StderrPipe()
			if err := res.Start(); err != nil { // except Exception: break
				break
			}
			out, _ := io.ReadAll(stdout) // (the note's order: a command that fills stderr first, 64 KiB, waits here forever)
			conn.Write(out)              // conn.send(res.stdout.read()) # linux环境中 多个命令用分号隔开的情况
			errOut, _ := io.ReadAll(stderr)
			conn.Write(errOut) // conn.send(res.stderr.read())

			// BUG kept: both pipes were read to the end above, so these reads return nothing.
			err2, _ := io.ReadAll(stderr) // err = res.stderr.read()            #只有一个命令的情况下
			cmdRes := err2                // if err : cmd_res = err
			if len(err2) == 0 {
				cmdRes, _ = io.ReadAll(stdout) // else: cmd_res = res.stdout.read()
			}
			conn.Write(cmdRes) // conn.send(cmd_res)  (zero bytes: TCP sends nothing at all)
			res.Wait()
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
