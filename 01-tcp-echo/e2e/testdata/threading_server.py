# The note's concurrent TCP server (tcp协议下的并发问题): socketserver's
# ThreadingTCPServer runs the handler on a thread per client; the handler
# prints each message and sends back what the operator types, without a
# newline. Its quote marks are restored; two things differ so that a test can
# run it: the port comes from the command line (0 picks a free one; without
# an argument it is the note's 8080), and it prints the address it got.
import socketserver
import sys


class Ftpserver(socketserver.BaseRequestHandler):  # 通信链接
    def handle(self):
        print('==========>', self)
        print(self.request)  # self.request == conn
        while True:
            data = self.request.recv(1024)
            print(data.decode('utf8'))
            data1 = input('>>')
            self.request.send(data1.encode('utf8'))


if __name__ == '__main__':
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8080
    obj = socketserver.ThreadingTCPServer(('127.0.0.1', port), Ftpserver)
    print('serving on %s:%d' % obj.server_address)
    obj.serve_forever()  # 链接循环
