module github.com/gosockets/tutorial/06-concurrency

go 1.26.0

require (
	github.com/gosockets/tutorial/01-tcp-echo v0.0.0
	github.com/stretchr/testify v1.12.1
	go.uber.org/goleak v1.3.0
)

require go.yaml.in/yaml/v3 v3.0.5 // indirect

replace github.com/gosockets/tutorial/01-tcp-echo => ../01-tcp-echo
