module github.com/gosockets/tutorial/03-sticky-packets

go 1.26
