package unpack

import (
	"bytes"
	stdgzip "compress/gzip"
	"io"
	"os"
	"strings"
	"testing"

	kgzip "github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// decoders are the ways to decompress a blob that BenchmarkDecompress
// compares: ours, with and without the read-ahead goroutine, and the Go
// decoders xrt used before (klauspost/compress, as Decompress configured
// it) and the standard library's gzip.
var decoders = map[string]func(r io.Reader, zstded bool) (io.ReadCloser, error){
	"xrt":           xrtReader,
	"xrt-readahead": func(r io.Reader, _ bool) (io.ReadCloser, error) { return Decompress(r, "") },
	"klauspost":     klauspostReader,
	"xrt-ra-direct": func(r io.Reader, zstded bool) (io.ReadCloser, error) {
		zr, err := xrtReader(r, zstded)
		if err != nil {
			return nil, err
		}
		return newReadahead(zr, func() { zr.Close() }), nil
	},
	"klauspost-readahead": func(r io.Reader, zstded bool) (io.ReadCloser, error) {
		zr, err := klauspostReader(r, zstded)
		if err != nil {
			return nil, err
		}
		return newReadahead(zr, func() { zr.Close() }), nil
	},
	"stdlib": func(r io.Reader, _ bool) (io.ReadCloser, error) { return stdgzip.NewReader(r) },
}

func xrtReader(r io.Reader, zstded bool) (io.ReadCloser, error) {
	if zstded {
		return NewZstdReader(r)
	}
	return NewGzipReader(r)
}

func klauspostReader(r io.Reader, zstded bool) (io.ReadCloser, error) {
	if zstded {
		zr, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true))
		if err != nil {
			return nil, err
		}
		return zr.IOReadCloser(), nil
	}
	return kgzip.NewReader(r)
}

// BenchmarkDecompress decompresses the gzip and zstd blobs listed in
// $XRT_UNPACK_BENCH_BLOBS (colon separated, *.gz or *.zst, read into
// memory first), or the synthetic layer compressed both ways, with each
// decoder, into a 256 KiB buffer. Throughput is in uncompressed bytes.
func BenchmarkDecompress(b *testing.B) {
	type blob struct {
		name   string
		data   []byte
		zstded bool
	}
	var blobs []blob
	if env := os.Getenv("XRT_UNPACK_BENCH_BLOBS"); env != "" {
		for _, p := range strings.Split(env, ":") {
			data, err := os.ReadFile(p)
			if err != nil {
				b.Fatal(err)
			}
			blobs = append(blobs, blob{p[strings.LastIndex(p, "/")+1:], data, strings.HasSuffix(p, ".zst")})
		}
	} else {
		layer := syntheticLayer(b)
		blobs = append(blobs, blob{"synthetic.gz", gzipBlob(b, layer), false}, blob{"synthetic.zst", zstdBlob(b, layer), true})
	}
	buf := make([]byte, 256<<10)
	for _, bl := range blobs {
		size := decompressedSize(b, bl.data, bl.zstded)
		for _, name := range []string{"xrt", "xrt-readahead", "klauspost", "klauspost-readahead", "stdlib"} {
			if name == "stdlib" && bl.zstded {
				continue // the standard library has no zstd
			}
			open := decoders[name]
			b.Run(bl.name+"/"+name, func(b *testing.B) {
				b.SetBytes(size)
				for b.Loop() {
					zr, err := open(bytes.NewReader(bl.data), bl.zstded)
					if err != nil {
						b.Fatal(err)
					}
					n, err := io.CopyBuffer(onlyWriter{io.Discard}, zr, buf)
					if err != nil || n != size {
						b.Fatalf("%d bytes, %v", n, err)
					}
					zr.Close()
				}
			})
		}
	}
}

// onlyWriter hides io.Discard's ReadFrom, which would read in 8 KiB pieces.
type onlyWriter struct{ io.Writer }

func decompressedSize(tb testing.TB, blob []byte, zstded bool) int64 {
	zr, err := decoders["xrt"](bytes.NewReader(blob), zstded)
	if err != nil {
		tb.Fatal(err)
	}
	defer zr.Close()
	n, err := io.Copy(io.Discard, zr)
	if err != nil {
		tb.Fatal(err)
	}
	return n
}
