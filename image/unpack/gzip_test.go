package unpack

import (
	"bytes"
	stdgzip "compress/gzip"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/iotest"

	"xrt/image/ocispec"
)

// testData is size bytes that compress somewhat, like a layer: runs of
// text mixed with random bytes.
func testData(size int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 1))
	words := []string{"usr/", "lib/", "share/", "\x00\x00\x00\x00", "ELF", "hello ", "0123456789", "\n"}
	var b bytes.Buffer
	for b.Len() < size {
		if rng.IntN(4) == 0 {
			for range rng.IntN(64) {
				b.WriteByte(byte(rng.Uint32()))
			}
		} else {
			b.WriteString(words[rng.IntN(len(words))])
		}
	}
	return b.Bytes()[:size]
}

// readers runs check on r as it is and through readers that return data
// in odd pieces, which moves member and frame ends across input reads.
func readers(blob []byte) map[string]func() io.Reader {
	return map[string]func() io.Reader{
		"whole":   func() io.Reader { return bytes.NewReader(blob) },
		"onebyte": func() io.Reader { return iotest.OneByteReader(bytes.NewReader(blob)) },
		"half":    func() io.Reader { return iotest.HalfReader(bytes.NewReader(blob)) },
		"eof":     func() io.Reader { return iotest.DataErrReader(bytes.NewReader(blob)) },
	}
}

func gunzip(t *testing.T, r io.Reader) ([]byte, error) {
	t.Helper()
	zr, err := NewGzipReader(r)
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	return io.ReadAll(zr)
}

func TestGzipReader(t *testing.T) {
	big := testData(3<<20, 1) // several input and output blocks
	a, b := testData(1000, 2), testData(70000, 3)
	var empty bytes.Buffer
	stdgzip.NewWriter(&empty).Close()
	for _, c := range []struct {
		name string
		blob []byte
		want []byte
	}{
		{"big", gzipBlob(t, big), big},
		{"empty", empty.Bytes(), nil},
		{"multi-member", cat(gzipBlob(t, a), gzipBlob(t, b), empty.Bytes(), gzipBlob(t, a)), cat(a, b, a)},
		{"zero padding", cat(gzipBlob(t, a), make([]byte, 1000)), a},
		{"member then padding then nothing", cat(gzipBlob(t, b), gzipBlob(t, a), []byte{0}), cat(b, a)},
	} {
		for rname, r := range readers(c.blob) {
			got, err := gunzip(t, r())
			if err != nil || !bytes.Equal(got, c.want) {
				t.Errorf("%s/%s: got %d bytes (equal %v), %v; want %d bytes", c.name, rname, len(got), bytes.Equal(got, c.want), err, len(c.want))
			}
		}
	}
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func TestGzipReaderCorrupt(t *testing.T) {
	data := testData(200000, 4)
	good := gzipBlob(t, data)
	badCRC := bytes.Clone(good)
	badCRC[len(badCRC)-8] ^= 0x01
	badSize := bytes.Clone(good)
	badSize[len(badSize)-4] ^= 0x01
	badBody := bytes.Clone(good)
	badBody[len(badBody)/2] ^= 0xff
	for _, c := range []struct {
		name string
		blob []byte
		want string
	}{
		{"bad CRC", badCRC, "incorrect data check"},
		{"bad ISIZE", badSize, "incorrect length check"},
		{"bad CRC in the second member", cat(good, badCRC), "incorrect data check"},
		{"bad body", badBody, "corrupt"},
		{"garbage after the stream", cat(good, []byte("garbage")), "neither a gzip member nor zero padding"},
		{"garbage after padding", cat(good, []byte{0, 0, 0, 1}), "neither a gzip member nor zero padding"},
		{"bad flags in the second member", cat(good, []byte{0x1f, 0x8b, 8, 0xe0, 0, 0, 0, 0, 0, 3}), "corrupt"},
	} {
		got, err := gunzip(t, bytes.NewReader(c.blob))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.name, err, c.want)
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("%s: corruption reported as truncation: %v", c.name, err)
		}
		if len(got) > len(data)*2 {
			t.Errorf("%s: %d bytes out", c.name, len(got))
		}
	}
}

func TestGzipReaderTruncated(t *testing.T) {
	small := gzipBlob(t, testData(5000, 5))
	for cut := 3; cut < len(small); cut++ {
		_, err := gunzip(t, bytes.NewReader(small[:cut]))
		if !errors.Is(err, io.ErrUnexpectedEOF) || !strings.Contains(err.Error(), "truncated") {
			t.Fatalf("cut at %d of %d: err = %v, want a truncation error", cut, len(small), err)
		}
	}
	big := gzipBlob(t, testData(1<<20, 6))
	if _, err := gunzip(t, bytes.NewReader(big[:len(big)/2])); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("half a big blob: err = %v", err)
	}
	// Through Decompress and its read-ahead goroutine too.
	if _, err := readAll(t, big[:len(big)-1], ocispec.MediaTypeLayerGzip); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("Decompress, last byte cut: err = %v", err)
	}
	// The second member cut short.
	two := cat(small, small)
	if _, err := gunzip(t, bytes.NewReader(two[:len(two)-10])); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("second member cut: err = %v", err)
	}
}

func TestGzipReaderNotGzip(t *testing.T) {
	for _, blob := range [][]byte{nil, {0x1f}, {0x1f, 0x8b}, []byte("plain tar file"), {0x1f, 0x8b, 0x07, 0, 0, 0}} {
		if zr, err := NewGzipReader(bytes.NewReader(blob)); err == nil || !strings.Contains(err.Error(), "not a valid gzip stream") {
			t.Errorf("% x: err = %v", blob, err)
			if zr != nil {
				zr.Close()
			}
		}
	}
}

func TestGzipReaderSourceError(t *testing.T) {
	blob := gzipBlob(t, testData(100000, 7))
	boom := errors.New("disk on fire")
	_, err := gunzip(t, &failingReader{data: blob[:len(blob)/2], err: boom})
	if !errors.Is(err, boom) {
		t.Errorf("err = %v, want the source's error", err)
	}
}

// countingReader counts the bytes read from it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// closeEarly reads a little of a big stream, closes the reader, and checks
// that later reads fail and that the source is no longer read.
func closeEarly(t *testing.T, open func(io.Reader) (io.ReadCloser, error), blob []byte) {
	t.Helper()
	src := &countingReader{r: bytes.NewReader(blob)}
	zr, err := open(src)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(zr, make([]byte, 1000)); err != nil {
		t.Fatal(err)
	}
	if err := zr.Close(); err != nil {
		t.Fatal(err)
	}
	read := src.n
	if read >= len(blob) {
		t.Errorf("the whole %d byte blob was read before Close", len(blob))
	}
	if n, err := zr.Read(make([]byte, 10)); err == nil || n != 0 {
		t.Errorf("Read after Close = %d, %v", n, err)
	}
	if err := zr.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if src.n != read {
		t.Errorf("the source was read after Close")
	}
}

func TestGzipReaderCloseEarly(t *testing.T) {
	blob := gzipBlob(t, testData(8<<20, 8))
	closeEarly(t, NewGzipReader, blob)
	closeEarly(t, func(r io.Reader) (io.ReadCloser, error) { return Decompress(r, "") }, blob)
}
