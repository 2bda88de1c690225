package unpack

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"fmt"
	"io"

	"xrt/image/ocispec"
)

// mediaTypeDockerForeignLayer is Docker's non-distributable layer type.
const mediaTypeDockerForeignLayer = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"

// mediaTypeDockerPlainLayer is the uncompressed layer type some Docker tools write.
const mediaTypeDockerPlainLayer = "application/vnd.docker.image.rootfs.diff.tar"

type compression int

const (
	sniff compression = iota
	plain
	gzipped
	zstded
	bzipped
)

var layerCompression = map[string]compression{
	"":                                     sniff,
	ocispec.MediaTypeLayer:                 plain,
	ocispec.MediaTypeLayerNonDistributable: plain,
	mediaTypeDockerPlainLayer:              plain,
	ocispec.MediaTypeLayerGzip:             gzipped,
	ocispec.MediaTypeLayerNonDistributableGzip: gzipped,
	ocispec.MediaTypeDockerLayer:               gzipped,
	mediaTypeDockerForeignLayer:                gzipped,
	ocispec.MediaTypeLayerZstd:                 zstded,
	ocispec.MediaTypeLayerNonDistributableZstd: zstded,
}

var (
	magicGzip = []byte{0x1f, 0x8b, 0x08} // magic and the deflate method
	magicZstd = []byte{0x28, 0xb5, 0x2f, 0xfd}
	magicXz   = []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}
)

// isBzip2 checks "BZh", a block size digit and the magic of the first block
// or of the end of stream, so that a plain tar whose first name starts with
// "BZh" is not mistaken for bzip2.
func isBzip2(head []byte) bool {
	if len(head) < 10 || string(head[:3]) != "BZh" || head[3] < '1' || head[3] > '9' {
		return false
	}
	block := string(head[4:10])
	return block == "\x31\x41\x59\x26\x53\x59" || block == "\x17\x72\x45\x38\x50\x90"
}

// Decompress returns the uncompressed tar stream of a layer blob. mediaType is
// the descriptor's media type (plain, gzip or zstd tar, Docker's
// rootfs.diff.tar.gzip, the non-distributable variants); when it is "" the
// compression is sniffed from the magic bytes (gzip, zstd, bzip2, else plain
// tar). An unknown media type is an error that names it. Compressed streams
// are decompressed by a goroutine a little ahead of the reader. Closing the
// result stops it and releases the decompressor; it does not close r, and r
// is not read after Close returns.
func Decompress(r io.Reader, mediaType string) (io.ReadCloser, error) {
	c, ok := layerCompression[mediaType]
	if !ok {
		return nil, fmt.Errorf("decompress layer: unknown layer media type %q (want an OCI or Docker tar layer type)", mediaType)
	}
	br := bufio.NewReaderSize(r, 64<<10)
	if c == sniff {
		var err error
		if c, err = sniffCompression(br); err != nil {
			return nil, err
		}
	}
	switch c {
	case gzipped:
		zr, err := NewGzipReader(br)
		if err != nil {
			return nil, fmt.Errorf("decompress layer: %w", err)
		}
		return newReadahead(zr, func() { zr.Close() }), nil
	case zstded:
		zr, err := NewZstdReader(br)
		if err != nil {
			return nil, fmt.Errorf("decompress layer: %w", err)
		}
		return newReadahead(zr, func() { zr.Close() }), nil
	case bzipped:
		return newReadahead(bzip2.NewReader(br), func() {}), nil
	default:
		return io.NopCloser(br), nil
	}
}

func sniffCompression(br *bufio.Reader) (compression, error) {
	head, err := br.Peek(10)
	if err != nil && err != io.EOF {
		return 0, fmt.Errorf("decompress layer: read magic bytes: %w", err)
	}
	switch {
	case bytes.HasPrefix(head, magicGzip):
		return gzipped, nil
	case bytes.HasPrefix(head, magicZstd):
		return zstded, nil
	case isBzip2(head):
		return bzipped, nil
	case bytes.HasPrefix(head, magicXz):
		return 0, fmt.Errorf("decompress layer: xz-compressed layers are not supported; recompress the layer with gzip or zstd")
	}
	return plain, nil
}
