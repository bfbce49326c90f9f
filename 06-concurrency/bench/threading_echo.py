"""Baseline for chapter 06's benchmark: an echo server built the notes' way.

socketserver.ThreadingTCPServer starts one thread per connection; the
handler's loop is the notes' conversation loop (recv(1024), then send), with
the reply being the message itself instead of a line typed by an operator.

Two deliberate differences from the notes, both needed to measure anything:
- it stops when recv returns b'' (the client left); the notes' handler has no
  such check, so on Linux its thread would loop forever on a closed
  connection;
- it does not print each message (the benchmark would measure the terminal).

Usage: python3 threading_echo.py [PORT]   (PORT 0 picks a free port)
It prints "listening addr=127.0.0.1:PORT" once it accepts connections.
"""

import socketserver
import sys


class EchoHandler(socketserver.BaseRequestHandler):
    def handle(self):
        conn = self.request  # for a TCP server the request is the connection
        while True:
            data = conn.recv(1024)
            if not data:
                break
            conn.send(data)


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8080
    server = socketserver.ThreadingTCPServer(("127.0.0.1", port), EchoHandler)
    host, port = server.server_address
    print("listening addr=%s:%d" % (host, port), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
