# The note's sticky-packet client, with its quote marks restored. One line is
# changed for the tests: the port comes from the command line (the note uses 8080).
import socket,time
import sys  # added

phone=socket.socket(socket.AF_INET,socket.SOCK_STREAM)

ip_port=('127.0.0.1',int(sys.argv[1]))  # the note: ('127.0.0.1',8080)
phone.connect(ip_port)


phone.send('helloworld'.encode('utf-8'))
time.sleep(3)              #利用time来解决粘包问题
phone.send('SB'.encode('utf-8'))
