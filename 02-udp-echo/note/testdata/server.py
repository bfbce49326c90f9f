# The note's UDP server (基于udp的服务端), with its quote marks restored. Two
# things differ so that a test can run it: the port comes from the command
# line (0 picks a free one; without an argument it is the note's 8080), and
# it prints the address it got.
from socket import *
import sys

ip_port = ('127.0.0.1', int(sys.argv[1]) if len(sys.argv) > 1 else 8080)
Bufsize = 1024
t = socket(AF_INET, SOCK_DGRAM)
t.bind(ip_port)
print('start.....', '%s:%d' % t.getsockname())
while True:
    msg, addr = t.recvfrom(Bufsize)
    print(msg.decode('utf8'), addr)
    msg = input('>> :').strip()
    t.sendto(msg.encode('utf8'), addr)
