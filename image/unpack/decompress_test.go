package unpack

import (
	"bytes"
	stdgzip "compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"xrt/image/ocispec"
)

func gzipBlob(t testing.TB, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := stdgzip.NewWriter(&buf)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func zstdBlob(t testing.TB, data []byte) []byte {
	t.Helper()
	zw, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer zw.Close()
	return zw.EncodeAll(data, nil)
}

func readAll(t *testing.T, blob []byte, mediaType string) ([]byte, error) {
	t.Helper()
	rc, err := Decompress(bytes.NewReader(blob), mediaType)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

func TestDecompressMediaTypes(t *testing.T) {
	layer := tarBytes(t, dir("etc/", 0o755), file("etc/motd", strings.Repeat("hello ", 1000), 0o644))
	gz, zs := gzipBlob(t, layer), zstdBlob(t, layer)
	for _, c := range []struct {
		mediaType string
		blob      []byte
	}{
		{ocispec.MediaTypeLayer, layer},
		{ocispec.MediaTypeLayerNonDistributable, layer},
		{ocispec.MediaTypeLayerGzip, gz},
		{ocispec.MediaTypeLayerNonDistributableGzip, gz},
		{ocispec.MediaTypeDockerLayer, gz},
		{mediaTypeDockerForeignLayer, gz},
		{ocispec.MediaTypeLayerZstd, zs},
		{ocispec.MediaTypeLayerNonDistributableZstd, zs},
		{"", layer},
		{"", gz},
		{"", zs},
	} {
		got, err := readAll(t, c.blob, c.mediaType)
		if err != nil || !bytes.Equal(got, layer) {
			t.Errorf("%q (%d bytes): got %d bytes, %v", c.mediaType, len(c.blob), len(got), err)
		}
	}
}

func TestDecompressSniffsBzip2(t *testing.T) {
	blob, err := os.ReadFile("testdata/layer.tar.bz2")
	if err != nil {
		t.Fatal(err)
	}
	rc, err := Decompress(bytes.NewReader(blob), "")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	_, layer := sandbox(t)
	applyBytesFrom(t, layer, rc)
	if b, err := os.ReadFile(filepath.Join(layer, "etc/motd")); err != nil || string(b) != "bzip2 layer\n" {
		t.Errorf("motd = %q, %v", b, err)
	}
}

func applyBytesFrom(t *testing.T, layer string, r io.Reader) {
	t.Helper()
	if _, err := Apply(layer, r); err != nil {
		t.Fatal(err)
	}
}

func TestDecompressErrors(t *testing.T) {
	_, err := Decompress(bytes.NewReader(nil), "application/vnd.example.layer+lz4")
	if err == nil || !strings.Contains(err.Error(), "application/vnd.example.layer+lz4") {
		t.Errorf("unknown media type: err = %v", err)
	}
	xz := []byte{0xfd, '7', 'z', 'X', 'Z', 0, 0, 0, 0, 0, 0, 0}
	if _, err := Decompress(bytes.NewReader(xz), ""); err == nil || !strings.Contains(err.Error(), "xz") {
		t.Errorf("xz: err = %v", err)
	}
	if _, err := Decompress(bytes.NewReader([]byte("plain tar")), ocispec.MediaTypeLayerGzip); err == nil {
		t.Error("gzip type with a non-gzip blob accepted")
	}
	// A zstd frame header followed by garbage fails on read.
	if _, err := readAll(t, append([]byte{0x28, 0xb5, 0x2f, 0xfd}, bytes.Repeat([]byte{0xff}, 64)...), ocispec.MediaTypeLayerZstd); err == nil {
		t.Error("corrupt zstd decoded")
	}
	// A tar whose name starts with "BZh" is still a plain tar.
	layer := tarBytes(t, file("BZh9", "x", 0o644))
	if got, err := readAll(t, layer, ""); err != nil || !bytes.Equal(got, layer) {
		t.Errorf("BZh-named tar: %v", err)
	}
}

// The gzip checksum is only checked at the end of the stream: Apply must
// read that far, past the tar end marker.
func TestApplyDetectsBadGzipChecksum(t *testing.T) {
	gz := gzipBlob(t, tarBytes(t, file("f", "content", 0o644)))
	gz[len(gz)-8] ^= 0xff // CRC32 in the trailer
	rc, err := Decompress(bytes.NewReader(gz), ocispec.MediaTypeLayerGzip)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	_, layer := sandbox(t)
	if _, err := Apply(layer, rc); err == nil {
		t.Error("Apply accepted a gzip stream with a bad checksum")
	}
}

// failingReader returns data, then err.
type failingReader struct {
	data []byte
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

func TestReadahead(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789"), readaheadChunkSize/3) // several chunks
	ra := newReadahead(bytes.NewReader(data), func() {})
	got, err := io.ReadAll(ra)
	if err != nil || !bytes.Equal(got, data) {
		t.Errorf("read %d of %d bytes, %v", len(got), len(data), err)
	}

	boom := errors.New("disk on fire")
	ra = newReadahead(&failingReader{data: data[:1000], err: boom}, func() {})
	got, err = io.ReadAll(ra)
	if !errors.Is(err, boom) || len(got) != 1000 {
		t.Errorf("got %d bytes, err %v; want 1000 and the source's error", len(got), err)
	}
	ra.Close()

	// Closing early stops the goroutine (the source is endless) and
	// releases the decompressor once.
	released := 0
	ra = newReadahead(endless{}, func() { released++ })
	if _, err := io.ReadFull(ra, make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
	ra.Close()
	ra.Close()
	if released != 1 {
		t.Errorf("released %d times", released)
	}
}

type endless struct{}

func (endless) Read(p []byte) (int, error) { return len(p), nil }
