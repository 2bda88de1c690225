package unpack

/*
#cgo LDFLAGS: -l:libz.a
#include <stdlib.h>
#include <zlib.h>

// A gzip stream (windowBits 15 + 16) with the largest window: zlib parses
// the header and checks the CRC-32 and ISIZE trailer of each member.
static int xrt_inflate_init(z_stream *s) {
	return inflateInit2(s, 15 + 16);
}

typedef struct {
	int ret;
	size_t produced;
} xrt_inflate_result;

// xrt_inflate inflates into dst, a Go buffer: next_out is cleared before
// returning so that no C memory keeps a pointer to it.
static xrt_inflate_result xrt_inflate(z_stream *s, void *dst, unsigned int cap) {
	xrt_inflate_result r;
	s->next_out = dst;
	s->avail_out = cap;
	r.ret = inflate(s, Z_NO_FLUSH);
	r.produced = cap - s->avail_out;
	s->next_out = NULL;
	s->avail_out = 0;
	return r;
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

// errGzipTruncated is returned when the input ends inside a gzip member.
var errGzipTruncated = fmt.Errorf("gzip: stream ends before the end of its last member (truncated blob?): %w", io.ErrUnexpectedEOF)

var errGzipTrailing = errors.New("gzip: data that is neither a gzip member nor zero padding follows the gzip stream: the blob is corrupt")

type gzipState int

const (
	inMember       gzipState = iota
	betweenMembers           // a member ended: EOF, zero padding or another member follows
	zeroPadding              // only zero bytes may follow, as gzip -d allows
)

type gzipC struct {
	zs *C.z_stream
	in unsafe.Pointer
}

func (c gzipC) free() {
	C.inflateEnd(c.zs)
	C.free(unsafe.Pointer(c.zs))
	C.free(c.in)
}

// gzipReader inflates a gzip stream with zlib.
type gzipReader struct {
	c       gzipC
	in      cInput
	state   gzipState
	err     error // sticky: the first error or io.EOF
	cleanup runtime.Cleanup
}

// NewGzipReader returns the decompressed content of the gzip stream r, as
// `gzip -d` gives it: members are concatenated, trailing zero bytes are
// ignored, and each member's CRC-32 and length are checked (a mismatch is a
// read error, at the end of that member). Any other data after the last
// member is an error. It reads the first bytes of r and fails if they are
// not a gzip header. r is read in 256 KiB blocks, past the end of the gzip
// stream to its EOF. Close releases the C memory and does not close r.
func NewGzipReader(r io.Reader) (io.ReadCloser, error) {
	in, err := newCInput(r)
	if err != nil {
		return nil, err
	}
	zs := (*C.z_stream)(C.calloc(1, C.sizeof_z_stream))
	if zs == nil {
		in.free()
		return nil, errors.New("gzip: out of memory for the zlib state")
	}
	if ret := C.xrt_inflate_init(zs); ret != C.Z_OK {
		C.free(unsafe.Pointer(zs))
		in.free()
		return nil, fmt.Errorf("gzip: zlib inflateInit2 failed (code %d)", int(ret))
	}
	z := &gzipReader{c: gzipC{zs: zs, in: in.mem}, in: in}
	z.cleanup = runtime.AddCleanup(z, gzipC.free, z.c)
	if err := z.readMagic(); err != nil {
		z.Close()
		return nil, err
	}
	return z, nil
}

// readMagic fills the input with at least the magic bytes and checks them
// (ID1, ID2 and the deflate method), so that a blob that is not gzip fails
// here rather than at its first read.
func (z *gzipReader) readMagic() error {
	n, err := io.ReadAtLeast(z.in.src, z.in.buf, len(magicGzip))
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return fmt.Errorf("gzip: not a valid gzip stream: the blob is %d bytes long, too short for a gzip header", n)
	}
	if err != nil {
		return err
	}
	if string(z.in.buf[:len(magicGzip)]) != string(magicGzip) {
		return fmt.Errorf("gzip: not a valid gzip stream: the blob does not start with the magic bytes 1f 8b 08 (it starts with % x)", z.in.buf[:len(magicGzip)])
	}
	z.setInput(n)
	return nil
}

func (z *gzipReader) setInput(n int) {
	z.c.zs.next_in = (*C.Bytef)(z.in.mem)
	z.c.zs.avail_in = C.uInt(n)
}

func (z *gzipReader) Read(p []byte) (int, error) {
	n, err := stickyRead(&z.err, p, z.read)
	runtime.KeepAlive(z) // the C state must outlive the calls above
	return n, err
}

func (z *gzipReader) read(p []byte) (int, error) {
	zs := z.c.zs
	dst, size := outChunk(p)
	for {
		if zs.avail_in == 0 && !z.in.eof {
			n, err := z.in.fill()
			if err != nil {
				return 0, err
			}
			z.setInput(n)
			continue
		}
		switch z.state {
		case betweenMembers:
			if zs.avail_in == 0 {
				return 0, io.EOF
			}
			next := *(*byte)(unsafe.Pointer(zs.next_in))
			if next == 0 {
				z.state = zeroPadding
				continue
			}
			if next != magicGzip[0] {
				return 0, errGzipTrailing
			}
			if ret := C.inflateReset(zs); ret != C.Z_OK {
				return 0, fmt.Errorf("gzip: zlib inflateReset failed (code %d)", int(ret))
			}
			z.state = inMember
		case zeroPadding:
			for _, b := range unsafe.Slice((*byte)(unsafe.Pointer(zs.next_in)), zs.avail_in) {
				if b != 0 {
					return 0, errGzipTrailing
				}
			}
			zs.avail_in = 0
			if z.in.eof {
				return 0, io.EOF
			}
			continue
		}
		r := C.xrt_inflate(zs, dst, C.uint(size))
		switch r.ret {
		case C.Z_OK:
			if r.produced > 0 {
				return int(r.produced), nil
			}
		case C.Z_STREAM_END:
			z.state = betweenMembers
			if r.produced > 0 {
				return int(r.produced), nil
			}
		case C.Z_BUF_ERROR: // no progress: the input is exhausted
			if z.in.eof {
				return 0, errGzipTruncated
			}
		case C.Z_DATA_ERROR, C.Z_NEED_DICT:
			return 0, fmt.Errorf("gzip: corrupt stream: %s (the blob is damaged)", z.zlibMsg())
		case C.Z_MEM_ERROR:
			return 0, errors.New("gzip: zlib is out of memory")
		default:
			return 0, fmt.Errorf("gzip: zlib inflate failed (code %d: %s)", int(r.ret), z.zlibMsg())
		}
	}
}

func (z *gzipReader) zlibMsg() string {
	if z.c.zs.msg == nil {
		return "no message from zlib"
	}
	return C.GoString(z.c.zs.msg)
}

// Close frees the zlib state and the input buffer; a later Read fails.
func (z *gzipReader) Close() error {
	if z.c.zs == nil {
		return nil
	}
	z.cleanup.Stop()
	z.c.free()
	z.c = gzipC{}
	z.in.mem, z.in.buf = nil, nil
	z.err = errReadAfterClose
	return nil
}
