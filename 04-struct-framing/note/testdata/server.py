# The note's remote-command server framed with struct (利用struct解决粘包问题),
# as the note writes it. Changes, each marked "# changed:":
# the quote marks the scraped page lost are back; the address comes from the
# command line (default 127.0.0.1 8080, port 0 for any free port), and the
# port is printed so that a test can find it.
# Run: python3 -u server.py [HOST PORT]
from socket import *
import subprocess
import struct
import json
import sys

t = socket(AF_INET,SOCK_STREAM)
t.bind((sys.argv[1], int(sys.argv[2])) if len(sys.argv) > 2 else ('127.0.0.1',8080))  # changed: the note binds 192.168.184.128
t.listen(5)
print('listening on port', t.getsockname()[1])  # changed: added

while True:  #链接循环
    conn,addr = t.accept()
    while True: # 通信循环
        try:
            cmd = conn.recv(1024)
            if not cmd:break
            res = subprocess.Popen(cmd.decode('utf8'),
                                   shell = True,
                                   stdout = subprocess.PIPE,
                                   stderr= subprocess.PIPE)
            out_res = res.stdout.read()
            err_res = res.stderr.read()
            data_size = len(out_res)+len(err_res)
            head_dic = {'data_size':data_size}
            head_json = json.dumps(head_dic)
            head_bytes = head_json.encode('utf8')
            #发送报头的长度
            head_len = len(head_bytes)
            conn.send(struct.pack('i',head_len))  #该模块将一串数字打包以固定长度(4个字节)发送给客户端
            #发送报头
            conn.send(head_bytes)
            #发送数据部分
            conn.send(out_res) # linux环境中 多个命令用分号隔开的情况
            conn.send(err_res)
        except Exception:
            break
    conn.close()    #通信完成,关闭链接
t.close()
