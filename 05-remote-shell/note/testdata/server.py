# The note's simulated ssh server (模拟远程访问ssh), as the note writes it.
# Changes, each marked "# changed:": the quote marks the scraped page lost
# are back; the address comes from the command line (default 127.0.0.1 8080,
# port 0 for any free port), and the port is printed so that a test can
# find it.
# Run: python3 -u server.py [HOST PORT]
from socket import *
import subprocess
import sys
t = socket(AF_INET,SOCK_STREAM) #两个参数   基于网络通信的套接字,基于tcp协议的套接字
t.bind((sys.argv[1], int(sys.argv[2])) if len(sys.argv) > 2 else ('127.0.0.1',8080)) #绑定唯一一个IP地址和端口号     此处为本地回环地址  # changed: address from argv
t.listen(5)  #开启监听    同时允许最多5个客户端访问
print('listening on port', t.getsockname()[1])  # changed: added

while True:  #链接循环
    conn,addr = t.accept()  #等待客户端链接
    while True: # 通信循环
        try:           #应对windows系统   客户端关闭链接的情况下
            cmd = conn.recv(1024)  #接收客户端消息    每次接收1024字节的数据
            if not cmd:break   #应对linux系统   服务器不断的接收空
            res = subprocess.Popen(cmd.decode('utf8'),
                                   shell = True,
                                   stdout = subprocess.PIPE,
                                   stderr= subprocess.PIPE)
            conn.send(res.stdout.read()) # linux环境中 多个命令用分号隔开的情况
            conn.send(res.stderr.read())


            err = res.stderr.read()            #只有一个命令的情况下
            if err :
                cmd_res = err
            else:
                cmd_res = res.stdout.read()
            conn.send(cmd_res)
        except Exception:
            break
    conn.close()    #通信完成,关闭链接
t.close()
