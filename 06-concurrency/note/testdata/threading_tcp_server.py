# The note's ThreadingTCPServer (tcp协议下的并发问题), with its quote marks
# restored. Not in the note: an optional HOST:PORT argument (port 0 picks a
# free one) and the "listening on" line on stderr, so tests can find it.
import socketserver
import sys

class Ftpserver(socketserver.BaseRequestHandler):  #通信链接
    def handle(self):
        print('==========>', self)
        print(self.request)                 #self.request  ==   conn
        while True:
            data = self.request.recv(1024)
            print(data.decode('utf8'))
            data1 = input('>>')
            self.request.send(data1.encode('utf8'))

if __name__ == '__main__':
    ip_port = ('127.0.0.1', 8080)
    if len(sys.argv) > 1:
        host, port = sys.argv[1].rsplit(':', 1)
        ip_port = (host, int(port))
    obj = socketserver.ThreadingTCPServer(ip_port, Ftpserver)
    print('listening on %s:%d' % obj.server_address, file=sys.stderr, flush=True)
    obj.serve_forever()#链接循环
