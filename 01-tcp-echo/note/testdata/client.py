# The note's TCP client (基于tcp的客户端), with its quote marks restored. Two
# things differ so that a test can run it: the server's port comes from the
# command line (without an argument it is the note's 8080), and the loop
# ends quietly when the input ends, where the note's raises EOFError.
import socket
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else 8080
phone = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
phone.connect(('127.0.0.1', port))

while True:
    try:
        msg = input('>> :').strip()
    except EOFError:
        break
    if not msg: continue
    phone.send(msg.encode('utf8'))
    print('has send=========>')
    data = phone.recv(1024)
    print('has recv==========>')
    print(data)

phone.close()
