package unpack

/*
#cgo LDFLAGS: -l:libzstd.a
#include <stdlib.h>
#include <zstd.h>
#include <zstd_errors.h>

typedef struct {
	size_t ret;
	size_t produced;
} xrt_zstd_result;

// xrt_zstd_decompress decompresses from in (C memory) into dst, a Go
// buffer that libzstd does not keep: without ZSTD_d_stableOutBuffer it
// decodes into its own window and only copies out.
static xrt_zstd_result xrt_zstd_decompress(ZSTD_DStream *ds, ZSTD_inBuffer *in, void *dst, size_t cap) {
	ZSTD_outBuffer out = { dst, cap, 0 };
	xrt_zstd_result r;
	r.ret = ZSTD_decompressStream(ds, &out, in);
	r.produced = out.pos;
	return r;
}

static int xrt_zstd_window_too_large(size_t ret) {
	return ZSTD_getErrorCode(ret) == ZSTD_error_frameParameter_windowTooLarge;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"unsafe"
)

// zstdWindowLogMax bounds the window a frame may ask for (1<<27 = 128 MiB,
// zstd's own default), so that a hostile frame cannot make the decoder
// allocate gigabytes. Frames made with `zstd --long=28` or more exceed it.
const zstdWindowLogMax = 27

// errZstdTruncated is returned when the input ends inside a zstd frame.
var errZstdTruncated = fmt.Errorf("zstd: stream ends inside a frame (truncated blob?): %w", io.ErrUnexpectedEOF)

// ErrZstdWindowTooLarge is wrapped by the read error of a zstd frame whose
// window exceeds the 128 MiB limit.
var ErrZstdWindowTooLarge = errors.New("zstd frame needs a window larger than the 128 MiB limit")

type zstdC struct {
	ds *C.ZSTD_DStream
	ib *C.ZSTD_inBuffer
	in unsafe.Pointer
}

func (c zstdC) free() {
	C.ZSTD_freeDStream(c.ds)
	C.free(unsafe.Pointer(c.ib))
	C.free(c.in)
}

// zstdReader decompresses a zstd stream with libzstd.
type zstdReader struct {
	c       zstdC
	in      cInput
	hint    C.size_t // last ZSTD_decompressStream result: 0 at a frame's end
	err     error    // sticky: the first error or io.EOF
	cleanup runtime.Cleanup
}

// NewZstdReader returns the decompressed content of the zstd stream r:
// every frame, one after the other (skippable frames are skipped), each
// checked against its content checksum when it has one. A frame whose
// window exceeds 128 MiB fails with an error wrapping
// ErrZstdWindowTooLarge; input that ends inside a frame (or is empty)
// fails with an error wrapping io.ErrUnexpectedEOF. r is read in 256 KiB
// blocks up to its EOF. Close releases the C memory and does not close r.
func NewZstdReader(r io.Reader) (io.ReadCloser, error) {
	in, err := newCInput(r)
	if err != nil {
		return nil, err
	}
	ib := (*C.ZSTD_inBuffer)(C.calloc(1, C.sizeof_ZSTD_inBuffer))
	ds := C.ZSTD_createDStream()
	if ib == nil || ds == nil {
		C.ZSTD_freeDStream(ds)
		C.free(unsafe.Pointer(ib))
		in.free()
		return nil, errors.New("zstd: out of memory for the decoder")
	}
	z := &zstdReader{c: zstdC{ds: ds, ib: ib, in: in.mem}, in: in, hint: 1}
	z.cleanup = runtime.AddCleanup(z, zstdC.free, z.c)
	if ret := C.ZSTD_DCtx_setParameter(ds, C.ZSTD_d_windowLogMax, zstdWindowLogMax); C.ZSTD_isError(ret) != 0 {
		z.Close()
		return nil, fmt.Errorf("zstd: set the window limit: %s", C.GoString(C.ZSTD_getErrorName(ret)))
	}
	ib.src = in.mem
	return z, nil
}

func (z *zstdReader) Read(p []byte) (int, error) {
	n, err := stickyRead(&z.err, p, z.read)
	runtime.KeepAlive(z) // the C state must outlive the calls above
	return n, err
}

func (z *zstdReader) read(p []byte) (int, error) {
	ib := z.c.ib
	dst, size := outChunk(p)
	for {
		inputLeft := ib.pos < ib.size
		if !inputLeft && !z.in.eof {
			n, err := z.in.fill()
			if err != nil {
				return 0, err
			}
			ib.size, ib.pos = C.size_t(n), 0
			continue
		}
		if !inputLeft && z.hint == 0 {
			return 0, io.EOF // the last frame ended with the input
		}
		// With no input left, this call flushes what the decoder holds.
		r := C.xrt_zstd_decompress(z.c.ds, ib, dst, C.size_t(size))
		if C.ZSTD_isError(r.ret) != 0 {
			if C.xrt_zstd_window_too_large(r.ret) != 0 {
				return 0, fmt.Errorf("zstd: %w (windowLogMax %d); recompress the layer with a smaller window (no --long)", ErrZstdWindowTooLarge, zstdWindowLogMax)
			}
			return 0, fmt.Errorf("zstd: corrupt stream: %s (the blob is damaged)", C.GoString(C.ZSTD_getErrorName(r.ret)))
		}
		z.hint = r.ret
		if r.produced > 0 {
			return int(r.produced), nil
		}
		if !inputLeft && r.ret != 0 {
			return 0, errZstdTruncated
		}
	}
}

// Close frees the decoder and the input buffer; a later Read fails.
func (z *zstdReader) Close() error {
	if z.c.ds == nil {
		return nil
	}
	z.cleanup.Stop()
	z.c.free()
	z.c = zstdC{}
	z.in.mem, z.in.buf = nil, nil
	z.err = errReadAfterClose
	return nil
}
