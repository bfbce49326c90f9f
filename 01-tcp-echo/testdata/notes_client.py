# A TCP client written the way the course notes write theirs: socket,
# connect, then send each typed message and print what one recv(1024)
# returns. Differences from the notes, for running under a test: the address
# comes from the command line, there is no ">> :" prompt, and the loop ends
# when standard input does.
import socket
import sys

host, port = sys.argv[1], int(sys.argv[2])
phone = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
phone.connect((host, port))

while True:
    try:
        msg = input().strip()
    except EOFError:
        break
    if not msg:
        continue  # sending b'' would send nothing, and recv would wait forever
    phone.send(msg.encode('utf8'))
    data = phone.recv(1024)
    print(data.decode('utf8'), flush=True)

phone.close()
