module github.com/gosockets/tutorial/07-ftp

go 1.26

require (
	github.com/gosockets/tutorial/04-struct-framing v0.0.0
	github.com/gosockets/tutorial/06-concurrency v0.0.0
)

replace github.com/gosockets/tutorial/04-struct-framing => ../04-struct-framing

replace github.com/gosockets/tutorial/06-concurrency => ../06-concurrency
