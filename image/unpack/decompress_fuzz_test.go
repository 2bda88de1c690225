package unpack

import (
	"bytes"
	stdgzip "compress/gzip"
	"errors"
	"io"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// FuzzGzipReader checks the zlib binding against the standard library:
// whatever compress/gzip decodes, NewGzipReader decodes to the same bytes.
// (The converse does not hold: trailing zero bytes are fine here.)
func FuzzGzipReader(f *testing.F) {
	a, b := testData(3000, 21), testData(100, 22)
	f.Add(gzipBlob(f, a))
	f.Add(cat(gzipBlob(f, a), gzipBlob(f, b)))
	f.Add(cat(gzipBlob(f, b), []byte{0, 0}))
	f.Fuzz(func(t *testing.T, blob []byte) {
		got, err := gunzip(t, bytes.NewReader(blob))
		if len(got) > 64<<20 {
			t.Fatalf("%d bytes out of %d", len(got), len(blob))
		}
		zr, stdErr := stdgzip.NewReader(bytes.NewReader(blob))
		var want []byte
		if stdErr == nil {
			want, stdErr = io.ReadAll(zr)
		}
		if stdErr == nil && (err != nil || !bytes.Equal(got, want)) {
			t.Fatalf("compress/gzip decodes %d bytes; NewGzipReader: %d bytes (equal %v), %v", len(want), len(got), bytes.Equal(got, want), err)
		}
	})
}

// FuzzZstdReader checks the libzstd binding against klauspost/compress the
// same way, frames over the window limit apart.
func FuzzZstdReader(f *testing.F) {
	a, b := testData(3000, 23), testData(100, 24)
	f.Add(zstdBlob(f, a))
	f.Add(cat(zstdBlob(f, a), skippableFrame([]byte("x")), zstdBlob(f, b)))
	f.Add(rawFrame(20, b))
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(64<<20))
	if err != nil {
		f.Fatal(err)
	}
	defer dec.Close()
	f.Fuzz(func(t *testing.T, blob []byte) {
		zr, err := NewZstdReader(bytes.NewReader(blob))
		if err != nil {
			t.Fatal(err)
		}
		defer zr.Close()
		got, err := io.ReadAll(io.LimitReader(zr, 64<<20))
		if len(got) >= 64<<20 {
			return // a legitimate bomb; klauspost would allocate it all
		}
		want, kErr := dec.DecodeAll(blob, nil)
		if kErr == nil && len(blob) > 0 && !errors.Is(err, ErrZstdWindowTooLarge) && (err != nil || !bytes.Equal(got, want)) {
			t.Fatalf("klauspost decodes %d bytes; NewZstdReader: %d bytes (equal %v), %v", len(want), len(got), bytes.Equal(got, want), err)
		}
	})
}
