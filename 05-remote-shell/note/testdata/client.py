# The note's simulated ssh client (模拟远程访问ssh), as the note writes it.
# Changes, each marked "# changed:": the quote marks the scraped page lost
# are back; the address comes from the command line (default 127.0.0.1
# 8080; the note connects to 192.168.184.128 port 8280, where its server is
# not); the program stops at the end of its input.
# Run: python3 -u client.py [HOST PORT]
from socket import *
import sys
t =socket(AF_INET,SOCK_STREAM)
t.connect((sys.argv[1], int(sys.argv[2])) if len(sys.argv) > 2 else ('127.0.0.1',8080))  # changed: address from argv

while True:  #通信循环
    try:  # changed: added, stops at the end of the input
        cmd = input('>>> :')
    except EOFError:
        break
    if not cmd: continue
    t.send(cmd.encode('utf8'))
    data = t.recv(1024)
    print(data.decode('utf8'))         #基于windows的shell 用GBK解码
                                        #基于linux的shell 用utf8解码

t.close()
