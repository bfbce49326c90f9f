# A TCP server written the way the course notes write theirs: socket,
# SO_REUSEADDR, bind, listen(5), then a connection loop around a
# conversation loop that reads with recv(1024). Differences from the notes,
# for running under a test: it echoes each message instead of asking the
# operator for a reply, it binds the port given on the command line (0 picks
# a free one) and prints the port it got.
import socket
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else 8080
phone = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
phone.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
phone.bind(('127.0.0.1', port))
phone.listen(5)
print('listening on', phone.getsockname()[1], flush=True)

while True:  # connection loop
    conn, addr = phone.accept()
    print('client', addr, flush=True)
    while True:  # conversation loop
        try:
            data = conn.recv(1024)
            if not data:
                break  # the client closed: recv returns b'' at once, forever
            print('message', data, flush=True)
            conn.send(data)
        except OSError as e:  # e.g. ConnectionResetError
            print('error', type(e).__name__, flush=True)
            break
    conn.close()
    print('disconnected', addr, flush=True)
