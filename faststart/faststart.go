// Package faststart is the fast path of `xrt start`: a C constructor that
// releases a created container's init before the Go runtime starts, for
// the common case only (see faststart.c). Everything else, including every
// error, is left to start.go, which then runs as if nothing had happened.
package faststart

// #cgo CFLAGS: -Wall -Wextra -O2
import "C"
