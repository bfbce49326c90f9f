# A UDP client in the style of the course notes: one SOCK_DGRAM socket with
# no connect, sendto for each line, then recvfrom(1024) and a print of the
# reply with the address it came from. Empty lines are sent too.
#
# Changes for testing: the server's port comes from the command line, input()
# shows no prompt (stdin is a pipe), and the socket has a timeout, so that
# a lost reply fails the test instead of hanging it.
import sys
from socket import *

server_addr = ('127.0.0.1', int(sys.argv[1]))
BUFSIZE = 1024

client = socket(AF_INET, SOCK_DGRAM)
client.settimeout(5)

while True:
    try:
        line = input()
    except EOFError:
        break
    client.sendto(line.encode('utf8'), server_addr)
    reply, peer = client.recvfrom(BUFSIZE)
    print(reply.decode('utf8'), peer, flush=True)
