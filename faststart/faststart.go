// Package faststart is the fast path of `xrt start` and of a repeated
// `xrt delete --force`: a C constructor that does the common case before
// the Go runtime starts (see faststart.c). Everything else, including every
// error, is left to start.go and delete.go, which then run as if nothing
// had happened.
package faststart

// #cgo CFLAGS: -Wall -Wextra -O2
import "C"
