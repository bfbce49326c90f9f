# The note's UDP client (基于udp的客户端), with its quote marks restored: the
# client of the note's ThreadingUDPServer.
# Not in the note: an optional HOST:PORT argument, so tests can use a free port.
import sys
from socket import *

ip_port = ('127.0.0.1', 8080)
if len(sys.argv) > 1:
    host, port = sys.argv[1].rsplit(':', 1)
    ip_port = (host, int(port))
Bufsize = 1024
t = socket(AF_INET, SOCK_DGRAM)


while True:
    msg = input('>>:').strip()
    # if not msg:continue
    t.sendto(msg.encode('utf8'), ip_port)

    back_msg, addr = t.recvfrom(Bufsize)
    print(back_msg.decode('utf8'), addr)
