module github.com/gosockets/tutorial/07-ftp

go 1.26.0

require (
	github.com/google/go-cmp v0.7.0
	github.com/gosockets/tutorial/04-struct-framing v0.0.0
	github.com/gosockets/tutorial/06-concurrency v0.0.0
	github.com/xdg-go/scram v1.4.0
	golang.org/x/term v0.48.0
)

require (
	github.com/xdg-go/stringprep v1.0.4 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/sys v0.50.0 // indirect
	golang.org/x/text v0.3.8 // indirect
)

replace github.com/gosockets/tutorial/04-struct-framing => ../04-struct-framing

replace github.com/gosockets/tutorial/06-concurrency => ../06-concurrency

replace github.com/gosockets/tutorial/01-tcp-echo => ../01-tcp-echo
