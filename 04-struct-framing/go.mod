module github.com/gosockets/tutorial/04-struct-framing

go 1.26
