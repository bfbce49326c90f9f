module github.com/gosockets/tutorial/02-udp-echo

go 1.26
