# What recv does after the peer leaves, on this system (claim T6). The peer
# leaves either with an orderly close (FIN) or with an abortive close (RST,
# forced with SO_LINGER set to zero). Prints one line per case.
import socket
import struct

def case(name, abortive):
    ln = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ln.bind(('127.0.0.1', 0))
    ln.listen(1)
    client = socket.create_connection(ln.getsockname(), timeout=5)
    conn, _ = ln.accept()
    conn.settimeout(5)
    if abortive:
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    client.close()
    results = []
    for _ in range(2):
        try:
            results.append(repr(conn.recv(1024)))
        except OSError as e:
            results.append(type(e).__name__)
    print(name, ' '.join(results), flush=True)
    conn.close()
    ln.close()

case('close', False)
case('reset', True)
