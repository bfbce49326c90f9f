# The note's client for the struct-framed remote-command server
# (利用struct解决粘包问题), as the note writes it. Changes, each marked
# "# changed:": the quote marks the scraped page lost are back; the address
# comes from the command line (default 127.0.0.1 8080); the tuple that
# struct.unpack returns is indexed with [0] (as the note has it, recv raises
# TypeError on the first reply); the program stops at the end of its input.
# Kept: recv(4) and recv(head_len) may return less than asked, and recv(1024)
# may read past the end of a reply.
# Run: python3 -u client.py [HOST PORT]
from socket import *
import struct
import json
import sys
t =socket(AF_INET,SOCK_STREAM)
t.connect((sys.argv[1], int(sys.argv[2])) if len(sys.argv) > 2 else ('127.0.0.1',8080))  # changed: the note connects to 192.168.184.128

while True:  #通信循环
    #发消息
    try:  # changed: added, stops at the end of the input
        cmd = input('>>> :')
    except EOFError:
        break
    if not cmd: continue
    t.send(bytes(cmd,encoding='utf8'))
    #收报头的长度
    head_struct=t.recv(4)
    head_len = struct.unpack('i',head_struct)[0]  # changed: [0]
    #收报头
    head_bytes = t.recv(head_len)
    head_json = head_bytes.decode('utf8')

    head_dic = json.loads(head_json)
    print(head_dic)
    data_size = head_dic['data_size']

    #收数据
    recv_size = 0
    recv_data = b''
    while recv_size < data_size:

        data = t.recv(1024)
        recv_size += len(data)
        recv_data += data
    print(recv_data.decode('utf8'))         #基于windows的shell 用GBK解码
                                        #基于linux的shell 用utf8解码

t.close()
