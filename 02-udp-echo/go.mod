module github.com/gosockets/tutorial/02-udp-echo

go 1.26.0

require (
	github.com/google/go-cmp v0.7.0
	github.com/stretchr/testify v1.12.1
	golang.org/x/sys v0.50.0
	golang.org/x/term v0.48.0
)

require (
	github.com/gosockets/tutorial/01-tcp-echo v0.0.0
	go.yaml.in/yaml/v3 v3.0.5 // indirect
)

replace github.com/gosockets/tutorial/01-tcp-echo => ../01-tcp-echo
