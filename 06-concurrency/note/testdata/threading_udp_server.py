# The note's ThreadingUDPServer (udp协议下的并发问题), with its quote marks
# restored. Not in the note: an optional HOST:PORT argument (port 0 picks a
# free one) and the "listening on" line on stderr, so tests can find it.
import socketserver
import sys

class Ftpserver(socketserver.BaseRequestHandler):
    def handle(self):
        print(self.request)
        print(self.client_address)
        # msg = input('>>>:')
        self.request[1].sendto(self.request[0], self.client_address)

if __name__ == '__main__':
    ip_port = ('127.0.0.1', 8080)
    if len(sys.argv) > 1:
        host, port = sys.argv[1].rsplit(':', 1)
        ip_port = (host, int(port))
    obj = socketserver.ThreadingUDPServer(ip_port, Ftpserver)
    print('listening on %s:%d' % obj.server_address, file=sys.stderr, flush=True)
    obj.serve_forever()
