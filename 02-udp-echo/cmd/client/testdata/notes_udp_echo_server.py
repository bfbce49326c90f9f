# A UDP echo server in the style of the course notes: one SOCK_DGRAM socket,
# bind, then a loop of recvfrom(1024) and sendto back to the sender.
#
# Two changes for testing: it echoes each message instead of waiting for an
# operator to type a reply, and it binds port 0 and prints the port it got,
# so that the test never needs a fixed port.
from socket import *

BUFSIZE = 1024

server = socket(AF_INET, SOCK_DGRAM)
server.bind(('127.0.0.1', 0))
print(server.getsockname()[1], flush=True)

while True:
    data, peer = server.recvfrom(BUFSIZE)
    print(data.decode('utf8', 'replace'), peer, flush=True)
    server.sendto(data, peer)
