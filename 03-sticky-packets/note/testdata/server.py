# The note's sticky-packet server, with its quote marks restored. Two lines are
# added for the tests: the port comes from the command line (the note uses 8080;
# 0 picks a free one), and the server says where it listens.
import socket,time
import sys  # added

phone=socket.socket(socket.AF_INET,socket.SOCK_STREAM)
#绑定电话卡
ip_port=('127.0.0.1',int(sys.argv[1]))  # the note: ('127.0.0.1',8080)
phone.bind(ip_port)
phone.listen(5)
print('listening on %s:%d' % phone.getsockname(), file=sys.stderr, flush=True)  # added
conn,addr=phone.accept()

data1=conn.recv(1024)
print('第一个包',data1)
data2=conn.recv(1024)
print('第二个包',data2)


data1=conn.recv(1) #b'h'
print('第一个包',data1)
time.sleep(5)                      #利用time来解决粘包问题
data2=conn.recv(1024) #b'elloworldSB'
print('第二个包',data2)
