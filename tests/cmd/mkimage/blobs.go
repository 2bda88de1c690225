package main

import (
	"archive/tar"
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"xrt/image/ocispec"
)

// Layer compressions.
const (
	compNone = "none"
	compGzip = "gzip"
	compZstd = "zstd"
)

// layout writes blobs into an OCI image layout directory.
type layout struct{ dir string }

func (l layout) blobPath(digest string) string {
	return filepath.Join(l.dir, "blobs", "sha256", digest[len("sha256:"):])
}

func digestOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// writeBlob stores b and returns its descriptor.
func (l layout) writeBlob(mediaType string, b []byte) (ocispec.Descriptor, error) {
	d := ocispec.Descriptor{MediaType: mediaType, Digest: digestOf(b), Size: int64(len(b))}
	if err := os.WriteFile(l.blobPath(d.Digest), b, 0o644); err != nil {
		return d, fmt.Errorf("write blob %s: %w", d.Digest, err)
	}
	return d, nil
}

// writeJSON stores v as a JSON blob.
func (l layout) writeJSON(mediaType string, v any) (ocispec.Descriptor, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("encode %s: %w", mediaType, err)
	}
	return l.writeBlob(mediaType, b)
}

// hashCounter hashes and counts what passes through it to w.
type hashCounter struct {
	w io.Writer
	h hash.Hash
	n int64
}

func (c *hashCounter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.h.Write(p[:n])
	c.n += int64(n)
	return n, err
}

func (c *hashCounter) digest() string { return "sha256:" + hex.EncodeToString(c.h.Sum(nil)) }

// writeLayer streams the tar that fill writes through comp into a blob and
// returns the blob's descriptor and the tar's diff_id.
func (l layout) writeLayer(comp string, fill func(*tar.Writer) error) (ocispec.Descriptor, string, error) {
	tmp, err := os.CreateTemp(filepath.Join(l.dir, "blobs", "sha256"), ".layer-*")
	if err != nil {
		return ocispec.Descriptor{}, "", fmt.Errorf("create layer: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	if err := tmp.Chmod(0o644); err != nil {
		return ocispec.Descriptor{}, "", fmt.Errorf("create layer: %w", err)
	}

	buf := bufio.NewWriterSize(tmp, 1<<20)
	blob := &hashCounter{w: buf, h: sha256.New()}
	var zw io.WriteCloser
	mediaType := ocispec.MediaTypeLayer
	switch comp {
	case compGzip:
		mediaType = ocispec.MediaTypeLayerGzip
		zw = gzip.NewWriter(blob)
	case compZstd:
		mediaType = ocispec.MediaTypeLayerZstd
		// One goroutine keeps the output the same from run to run.
		if zw, err = zstd.NewWriter(blob, zstd.WithEncoderConcurrency(1)); err != nil {
			return ocispec.Descriptor{}, "", fmt.Errorf("zstd: %w", err)
		}
	case compNone:
		zw = nopCloser{blob}
	default:
		return ocispec.Descriptor{}, "", fmt.Errorf("unknown compression %q", comp)
	}
	diff := &hashCounter{w: zw, h: sha256.New()}
	tw := tar.NewWriter(diff)
	if err := fill(tw); err != nil {
		return ocispec.Descriptor{}, "", fmt.Errorf("make layer: %w", err)
	}
	if err := tw.Close(); err != nil {
		return ocispec.Descriptor{}, "", fmt.Errorf("finish layer tar: %w", err)
	}
	if err := zw.Close(); err != nil {
		return ocispec.Descriptor{}, "", fmt.Errorf("finish layer compression: %w", err)
	}
	if err := buf.Flush(); err != nil {
		return ocispec.Descriptor{}, "", fmt.Errorf("write layer: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return ocispec.Descriptor{}, "", fmt.Errorf("write layer: %w", err)
	}
	d := ocispec.Descriptor{MediaType: mediaType, Digest: blob.digest(), Size: blob.n}
	if err := os.Rename(tmp.Name(), l.blobPath(d.Digest)); err != nil {
		return ocispec.Descriptor{}, "", fmt.Errorf("store layer: %w", err)
	}
	return d, diff.digest(), nil
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// rehash recomputes the descriptor of a blob file that was changed in
// place and moves it to its new name.
func (l layout) rehash(d ocispec.Descriptor) (ocispec.Descriptor, error) {
	b, err := os.ReadFile(l.blobPath(d.Digest))
	if err != nil {
		return d, err
	}
	if err := os.Remove(l.blobPath(d.Digest)); err != nil {
		return d, err
	}
	nd, err := l.writeBlob(d.MediaType, b)
	nd.Annotations, nd.Platform = d.Annotations, d.Platform
	return nd, err
}
