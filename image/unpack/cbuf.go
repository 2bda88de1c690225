package unpack

/*
#include <stdlib.h>
*/
import "C"

import (
	"errors"
	"io"
	"unsafe"
)

// The gzip and zstd readers are thin cgo bindings to zlib and libzstd
// (linked statically), rather than a Go decompressor: they cost nothing at
// process start, which every xrt process pays for each linked package, and
// zlib inflates as fast as gzip(1).
//
// cgo pointer rules: the decompressor state and the input buffer are C
// memory, allocated once per reader and freed by Close. The caller's Go
// buffer is handed to C only for the duration of one call, and the C
// wrappers clear every pointer to it before they return.

// cInBufSize is the size of each reader's C input buffer.
const cInBufSize = 256 << 10

// maxOutChunk caps one decompression call's output (zlib counts in 32 bits).
const maxOutChunk = 1 << 30

var errReadAfterClose = errors.New("decompress layer: read after Close")

// cInput is a C input buffer that a Go reader fills.
type cInput struct {
	src io.Reader
	mem unsafe.Pointer // C memory, cInBufSize bytes
	buf []byte         // mem seen from Go, for src.Read
	eof bool           // src reported io.EOF
}

func newCInput(src io.Reader) (cInput, error) {
	mem := C.malloc(cInBufSize)
	if mem == nil {
		return cInput{}, errors.New("decompress layer: out of memory for the input buffer")
	}
	return cInput{src: src, mem: mem, buf: unsafe.Slice((*byte)(mem), cInBufSize)}, nil
}

// fill reads once from the source into the buffer (from its start) and
// returns how many bytes it holds. It returns a source error other than
// io.EOF; io.EOF only sets eof.
func (in *cInput) fill() (int, error) {
	n, err := in.src.Read(in.buf)
	if err == io.EOF {
		in.eof = true
		err = nil
	}
	return n, err
}

func (in *cInput) free() {
	C.free(in.mem)
	in.mem, in.buf = nil, nil
}

// outChunk returns p capped to what one C call may fill, and its address.
func outChunk(p []byte) (unsafe.Pointer, int) {
	n := min(len(p), maxOutChunk)
	return unsafe.Pointer(&p[0]), n
}

// stickyRead is the Read of the C-backed decoders: once read fails, every
// later call returns that error; an empty p reads nothing.
func stickyRead(sticky *error, p []byte, read func([]byte) (int, error)) (int, error) {
	if *sticky != nil {
		return 0, *sticky
	}
	if len(p) == 0 {
		return 0, nil
	}
	n, err := read(p)
	if err != nil {
		*sticky = err
	}
	return n, err
}
