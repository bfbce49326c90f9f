module github.com/gosockets/tutorial/05-remote-shell

go 1.26

require github.com/gosockets/tutorial/04-struct-framing v0.0.0

replace github.com/gosockets/tutorial/04-struct-framing => ../04-struct-framing
