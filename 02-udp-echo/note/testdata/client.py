# The note's UDP client (基于udp的客户端), with its quote marks restored. Two
# things differ so that a test can run it: the server's port comes from the
# command line (without an argument it is the note's 8080), and the loop
# ends quietly when the input ends, where the note's raises EOFError.
from socket import *
import sys

ip_port = ('127.0.0.1', int(sys.argv[1]) if len(sys.argv) > 1 else 8080)
Bufsize = 1024
t = socket(AF_INET, SOCK_DGRAM)

while True:
    try:
        msg = input('>>:').strip()
    except EOFError:
        break
    # if not msg:continue
    t.sendto(msg.encode('utf8'), ip_port)

    back_msg, addr = t.recvfrom(Bufsize)
    print(back_msg.decode('utf8'), addr)
