// Package faststart is the fast path of `xrt start`, of `xrt delete` of a
// plain container and of a repeated `xrt delete --force`: a C constructor
// that does the common case before the Go runtime starts (see faststart.c
// and fastdel.c). Everything else, including every error, is left to
// start.go and delete.go, which then run as if nothing had happened.
package faststart

// #cgo CFLAGS: -Wall -Wextra -O2 -I${SRCDIR}/../nsenter
// #include <stdlib.h>
// #include "fastdel.h"
import "C"

import "unsafe"

// Record is a fastdel record as the C fast path of delete reads it
// (container/fastdel.go writes it).
type Record struct {
	Pid                  int
	Start                uint64
	Procs, Kill, Freezer string
	Dirs                 []string
}

// ReadState extracts the record from a state.json as the C fast path of
// delete does, then parses it; false when that path would leave the
// delete to the Go side.
func ReadState(state []byte) (Record, bool) {
	buf := C.CBytes(state)
	defer C.free(buf)
	rec := (*C.char)(C.malloc(C.XRT_FASTDEL_MAX_BYTES + 2))
	defer C.free(unsafe.Pointer(rec))
	n := C.xrt_fastdel_extract((*C.char)(buf), C.size_t(len(state)), rec, C.XRT_FASTDEL_MAX_BYTES+1)
	if n < 0 {
		return Record{}, false
	}
	return ReadRecord(C.GoBytes(unsafe.Pointer(rec), n))
}

// ReadRecord parses rec with the C fast path's own parser; false when
// that path would leave the delete to the Go side. It is how the tests
// hold the Go writer (container/fastdel.go) and the C reader together.
func ReadRecord(rec []byte) (Record, bool) {
	buf := (*C.char)(C.malloc(C.size_t(len(rec) + 1)))
	defer C.free(unsafe.Pointer(buf))
	b := unsafe.Slice((*byte)(unsafe.Pointer(buf)), len(rec)+1)
	copy(b, rec)
	b[len(rec)] = 0
	var r C.struct_xrt_fastdel
	if C.xrt_fastdel_parse(buf, C.size_t(len(rec)), &r) != 0 {
		return Record{}, false
	}
	str := func(p *C.char) string {
		if p == nil {
			return ""
		}
		return C.GoString(p)
	}
	out := Record{Pid: int(r.pid), Start: uint64(r.start), Procs: str(r.procs), Kill: str(r.kill), Freezer: str(r.freezer)}
	for i := 0; i < int(r.ndirs); i++ {
		out.Dirs = append(out.Dirs, str(r.dirs[i]))
	}
	return out, true
}
