package unpack

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"xrt/image/ocispec"
)

func unzstd(t *testing.T, r io.Reader) ([]byte, error) {
	t.Helper()
	zr, err := NewZstdReader(r)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	return io.ReadAll(zr)
}

// zstdStream compresses data as a stream (no content size, so the frame
// header carries the window size) with the given window and options.
func zstdStream(t *testing.T, data []byte, window int, opts ...zstd.EOption) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, err := zstd.NewWriter(&buf, append([]zstd.EOption{zstd.WithWindowSize(window)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// skippableFrame is a zstd skippable frame holding payload.
func skippableFrame(payload []byte) []byte {
	b := binary.LittleEndian.AppendUint32(nil, 0x184D2A50)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(payload)))
	return append(b, payload...)
}

func TestZstdReader(t *testing.T) {
	big := testData(3<<20, 11)
	a, b := testData(1000, 12), testData(300000, 13)
	for _, c := range []struct {
		name string
		blob []byte
		want []byte
	}{
		{"big", zstdBlob(t, big), big},
		{"streamed, 1 MiB window", zstdStream(t, big, 1<<20), big},
		{"128 MiB window, the limit", rawFrame(27, a), a},
		{"multi-frame", cat(zstdBlob(t, a), zstdBlob(t, b), zstdStream(t, a, 1<<20)), cat(a, b, a)},
		{"skippable frames", cat(skippableFrame([]byte("meta")), zstdBlob(t, a), skippableFrame(nil)), a},
		{"empty frame", zstdBlob(t, nil), nil},
	} {
		for rname, r := range readers(c.blob) {
			got, err := unzstd(t, r())
			if err != nil || !bytes.Equal(got, c.want) {
				t.Errorf("%s/%s: got %d bytes (equal %v), %v; want %d bytes", c.name, rname, len(got), bytes.Equal(got, c.want), err, len(c.want))
			}
		}
	}
}

// rawFrame is a zstd frame of one raw block holding data, whose header
// asks for a window of 1<<windowLog bytes (no content size, no checksum).
// Encoders shrink the window to the input; this one does not.
func rawFrame(windowLog int, data []byte) []byte {
	b := binary.LittleEndian.AppendUint32(nil, 0xFD2FB528)
	b = append(b, 0x00, byte(windowLog-10)<<3) // frame header descriptor, window descriptor
	hdr := uint32(1 | len(data)<<3)            // last block, raw, size
	b = append(b, byte(hdr), byte(hdr>>8), byte(hdr>>16))
	return append(b, data...)
}

func TestZstdReaderWindowLimit(t *testing.T) {
	data := []byte("a small layer with a huge window")
	if got, err := unzstd(t, bytes.NewReader(rawFrame(27, data))); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("128 MiB window: %q, %v", got, err)
	}
	blob := rawFrame(28, data)
	_, err := unzstd(t, bytes.NewReader(blob))
	if !errors.Is(err, ErrZstdWindowTooLarge) || !strings.Contains(err.Error(), "128 MiB") {
		t.Errorf("err = %v, want the window limit error", err)
	}
	// The limit holds for a later frame too, and through Decompress.
	blob = cat(zstdBlob(t, []byte("ok")), rawFrame(31, data))
	if _, err := readAll(t, blob, ocispec.MediaTypeLayerZstd); !errors.Is(err, ErrZstdWindowTooLarge) {
		t.Errorf("second frame: err = %v", err)
	}
}

func TestZstdReaderTruncated(t *testing.T) {
	small := zstdBlob(t, testData(5000, 14))
	for cut := 0; cut < len(small); cut++ {
		_, err := unzstd(t, bytes.NewReader(small[:cut]))
		if !errors.Is(err, io.ErrUnexpectedEOF) || !strings.Contains(err.Error(), "truncated") {
			t.Fatalf("cut at %d of %d: err = %v, want a truncation error", cut, len(small), err)
		}
	}
	big := zstdStream(t, testData(2<<20, 15), 1<<20)
	if _, err := unzstd(t, bytes.NewReader(big[:len(big)/2])); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("half a big blob: err = %v", err)
	}
	if _, err := readAll(t, big[:len(big)-1], ocispec.MediaTypeLayerZstd); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("Decompress, last byte cut: err = %v", err)
	}
	two := cat(small, small)
	if _, err := unzstd(t, bytes.NewReader(two[:len(two)-3])); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("second frame cut: err = %v", err)
	}
}

func TestZstdReaderCorrupt(t *testing.T) {
	data := testData(200000, 16)
	good := zstdStream(t, data, 1<<20, zstd.WithEncoderCRC(true))
	badSum := bytes.Clone(good)
	badSum[len(badSum)-1] ^= 0x01 // the content checksum ends the frame
	badBody := bytes.Clone(good)
	badBody[len(badBody)/2] ^= 0xff
	for name, blob := range map[string][]byte{
		"bad checksum":            badSum,
		"bad body":                badBody,
		"garbage after the frame": cat(good, []byte("garbage!")),
	} {
		_, err := unzstd(t, bytes.NewReader(blob))
		if err == nil || !strings.Contains(err.Error(), "corrupt") || errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("%s: err = %v, want a corruption error", name, err)
		}
	}
}

func TestZstdReaderSourceError(t *testing.T) {
	blob := zstdBlob(t, testData(100000, 17))
	boom := errors.New("disk on fire")
	if _, err := unzstd(t, &failingReader{data: blob[:len(blob)/2], err: boom}); !errors.Is(err, boom) {
		t.Errorf("err = %v, want the source's error", err)
	}
}

func TestZstdReaderCloseEarly(t *testing.T) {
	blob := zstdStream(t, testData(8<<20, 18), 1<<20)
	closeEarly(t, NewZstdReader, blob)
	closeEarly(t, func(r io.Reader) (io.ReadCloser, error) { return Decompress(r, "") }, blob)
}
