module github.com/gosockets/tutorial/07-ftp

go 1.26.0

require (
	github.com/chzyer/readline v1.5.1
	github.com/google/go-cmp v0.7.0
	github.com/gosockets/tutorial/04-struct-framing v0.0.0
	github.com/gosockets/tutorial/06-concurrency v0.0.0
	github.com/schollz/progressbar/v3 v3.19.1
	github.com/xdg-go/scram v1.4.0
	go.uber.org/goleak v1.3.0
	golang.org/x/sys v0.50.0
	golang.org/x/term v0.48.0
)

require (
	github.com/mitchellh/colorstring v0.0.0-20190213212951-d06e56a500db // indirect
	github.com/rivo/uniseg v0.4.7 // indirect
	github.com/xdg-go/stringprep v1.0.4 // indirect
	golang.org/x/text v0.3.8 // indirect
)

replace github.com/gosockets/tutorial/04-struct-framing => ../04-struct-framing

replace github.com/gosockets/tutorial/06-concurrency => ../06-concurrency

replace github.com/gosockets/tutorial/01-tcp-echo => ../01-tcp-echo
