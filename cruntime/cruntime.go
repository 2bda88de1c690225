// Package cruntime tunes the C library under the Go runtime before either
// starts: every xrt process links glibc (cgo), and its defaults cost a
// short-lived, many-threaded process more than they save.
//
// One malloc arena. With cgo, the Go runtime starts each new thread with
// pthread_create from a running one, and mallocs its start record there.
// glibc gives each thread that first mallocs an arena of its own: a 64 MiB
// reservation (a larger mapping trimmed to alignment, two munmaps), an
// mprotect each time it grows, and fresh pages to fault in. A `run` made
// about half a dozen; with one arena the same `run` took 5% less CPU and
// wall time (interleaved A/B, 80 runs each). The little C code xrt runs
// (libseccomp's compiler, the handshake's buffers) never contends for it.
//
// Import it for its effect, from package main. Its test looks through
// package arenaprobe, which only tests link.
package cruntime

// #cgo CFLAGS: -Wall -Wextra -O2
import "C"
