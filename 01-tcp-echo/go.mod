module github.com/gosockets/tutorial/01-tcp-echo

go 1.26
