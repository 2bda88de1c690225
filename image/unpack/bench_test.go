package unpack

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkApply unpacks a synthetic layer (about 2,000 files, 40 MB), or
// the layer tars listed in $XRT_UNPACK_BENCH_TARS (colon separated, applied
// to one fresh directory each), for comparison with `tar -xf`. Tars named
// *.gz or *.zst are decompressed on the way by the decoder that
// $XRT_UNPACK_BENCH_DECODER names (see decoders; Decompress by default);
// throughput is then in compressed bytes.
func BenchmarkApply(b *testing.B) {
	var layers []func() (io.ReadCloser, error)
	var total int64
	if env := os.Getenv("XRT_UNPACK_BENCH_TARS"); env != "" {
		for _, p := range strings.Split(env, ":") {
			fi, err := os.Stat(p)
			if err != nil {
				b.Fatal(err)
			}
			total += fi.Size()
			layers = append(layers, func() (io.ReadCloser, error) { return openBenchLayer(p) })
		}
	} else {
		data := syntheticLayer(b)
		total = int64(len(data))
		layers = append(layers, func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
	}
	b.SetBytes(total)
	base := b.TempDir()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		for j, open := range layers {
			dir := filepath.Join(base, fmt.Sprintf("%d-%d", i, j))
			if err := os.Mkdir(dir, 0o755); err != nil {
				b.Fatal(err)
			}
			r, err := open()
			if err != nil {
				b.Fatal(err)
			}
			if _, err := Apply(dir, r); err != nil {
				b.Fatal(err)
			}
			r.Close()
		}
		b.StopTimer()
		if err := os.RemoveAll(base); err != nil {
			b.Fatal(err)
		}
		if err := os.Mkdir(base, 0o755); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

// syntheticLayer looks like a distribution layer: many small files in
// nested directories, a few large ones, symlinks and hard links.
func syntheticLayer(tb testing.TB) []byte {
	var ents []ent
	small := strings.Repeat("0123456789abcdef", 512) // 8 KiB
	for d := 0; d < 50; d++ {
		dname := fmt.Sprintf("usr/share/pkg%02d/", d)
		ents = append(ents, dir(dname, 0o755))
		for f := 0; f < 40; f++ {
			size := (f % 8) * 1024
			ents = append(ents, file(fmt.Sprintf("%sfile%03d", dname, f), small[:size], 0o644))
		}
		ents = append(ents, symlink(dname+"link", "file000"), hardlink(dname+"hard", dname+"file001"))
	}
	big := strings.Repeat("x", 4<<20)
	ents = append(ents, dir("usr/lib/", 0o755))
	for f := 0; f < 8; f++ {
		ents = append(ents, file(fmt.Sprintf("usr/lib/big%d.so", f), big, 0o755))
	}
	return tarBytes(tb, ents...)
}

// openBenchLayer opens a layer tar, through a decoder when it is compressed.
func openBenchLayer(p string) (io.ReadCloser, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	zstded := strings.HasSuffix(p, ".zst")
	if !zstded && !strings.HasSuffix(p, ".gz") {
		return f, nil
	}
	name := os.Getenv("XRT_UNPACK_BENCH_DECODER")
	if name == "" {
		name = "xrt-readahead"
	}
	open, ok := decoders[name]
	if !ok {
		f.Close()
		return nil, fmt.Errorf("XRT_UNPACK_BENCH_DECODER=%s: no such decoder", name)
	}
	zr, err := open(f, zstded)
	if err != nil {
		f.Close()
		return nil, err
	}
	return struct {
		io.Reader
		io.Closer
	}{zr, closers{zr, f}}, nil
}

type closers []io.Closer

func (cs closers) Close() error {
	for _, c := range cs {
		c.Close()
	}
	return nil
}
