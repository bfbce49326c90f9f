# The note's TCP client (基于tcp的客户端), with its quote marks restored.
# Not in the note: an optional HOST:PORT argument, so tests can use a free port.
import socket
import sys

ip_port = ('127.0.0.1', 8080)
if len(sys.argv) > 1:
    host, port = sys.argv[1].rsplit(':', 1)
    ip_port = (host, int(port))

phone = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
phone.connect(ip_port)

while True:
    msg = input('>> :').strip()
    if not msg: continue
    phone.send(msg.encode('utf8'))
    print('has send=========>')
    data = phone.recv(1024)
    print('has recv==========>')
    print(data)


phone.close()
