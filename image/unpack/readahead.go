package unpack

import (
	"io"
	"sync"
)

const (
	readaheadChunks    = 4
	readaheadChunkSize = 256 << 10
)

// readahead decompresses in its own goroutine, a few chunks ahead of the
// reader, so that decompression and Apply's file writes use two CPUs the
// way `tar -xz` does with its gzip child.
type readahead struct {
	full      chan []byte // decompressed chunks, closed after the last
	free      chan []byte // emptied chunks for the goroutine to refill
	done      chan struct{}
	exited    chan struct{}
	err       error // the source's final error; read only after full is closed
	cur, last []byte
	release   func() // frees the decompressor once the goroutine is gone
	closeOnce sync.Once
	closed    bool // set by Close, read by Read: both on the reader's side
}

func newReadahead(r io.Reader, release func()) *readahead {
	ra := &readahead{
		full:    make(chan []byte, readaheadChunks),
		free:    make(chan []byte, readaheadChunks),
		done:    make(chan struct{}),
		exited:  make(chan struct{}),
		release: release,
	}
	for range readaheadChunks {
		ra.free <- make([]byte, readaheadChunkSize)
	}
	go ra.fill(r)
	return ra
}

func (ra *readahead) fill(r io.Reader) {
	defer close(ra.exited)
	defer close(ra.full)
	for {
		var buf []byte
		select {
		case buf = <-ra.free:
		case <-ra.done:
			return
		}
		// Not io.ReadFull: it would turn a source's io.ErrUnexpectedEOF
		// (a truncated blob) into a normal end.
		n, err := 0, error(nil)
		for n < len(buf) && err == nil {
			var m int
			m, err = r.Read(buf[n:])
			n += m
		}
		if n > 0 {
			select {
			case ra.full <- buf[:n]:
			case <-ra.done:
				return
			}
		}
		if err != nil {
			ra.err = err
			return
		}
	}
}

func (ra *readahead) Read(p []byte) (int, error) {
	if ra.closed {
		return 0, errReadAfterClose
	}
	for len(ra.cur) == 0 {
		if ra.last != nil {
			ra.free <- ra.last[:cap(ra.last)] // never blocks: one slot per chunk
			ra.last = nil
		}
		buf, ok := <-ra.full
		if !ok {
			return 0, ra.err
		}
		ra.cur, ra.last = buf, buf
	}
	n := copy(p, ra.cur)
	ra.cur = ra.cur[n:]
	return n, nil
}

// Close stops the goroutine, waits for it (so the source is no longer read
// once Close returns) and releases the decompressor.
func (ra *readahead) Close() error {
	ra.closed = true
	ra.closeOnce.Do(func() {
		close(ra.done)
		<-ra.exited
		ra.release()
	})
	return nil
}
