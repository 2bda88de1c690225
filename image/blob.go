package image

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"xrt/image/ocispec"
)

// maxJSONBlob bounds the manifests, indexes and configs xrt decodes, so
// a corrupt descriptor cannot make it allocate without limit.
const maxJSONBlob = 16 << 20

// blobPath is where an image layout keeps the blob of a validated digest.
func blobPath(digest string) string {
	alg, enc, _ := strings.Cut(digest, ":")
	return "blobs/" + alg + "/" + enc
}

// openBlob opens the blob desc points at in an image layout. Reading it
// to EOF verifies its size and digest; what names it in errors
// ("manifest", "layer 2", ...).
func openBlob(src source, desc ocispec.Descriptor, what string) (io.ReadCloser, error) {
	if err := ValidateDigest(desc.Digest); err != nil {
		return nil, fmt.Errorf("%s descriptor: %w", what, err)
	}
	return openBlobAt(src, blobPath(desc.Digest), desc, what)
}

// openBlobAt is openBlob for a blob stored under another name, as
// `docker save` archives do.
func openBlobAt(src source, name string, desc ocispec.Descriptor, what string) (io.ReadCloser, error) {
	label := what + " blob " + desc.Digest
	if desc.Size < 0 {
		return nil, fmt.Errorf("%s: descriptor has negative size %d", label, desc.Size)
	}
	if desc.Data != nil {
		return io.NopCloser(newVerifier(bytes.NewReader(desc.Data), label+" (embedded data)", desc.Digest, desc.Size)), nil
	}
	rc, size, err := src.open(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s is missing from the image (no %s): the image is incomplete", label, name)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", label, err)
	}
	if size != desc.Size {
		rc.Close()
		return nil, fmt.Errorf("%s: %s is %d bytes but its descriptor says %d: the image is corrupt", label, name, size, desc.Size)
	}
	return readCloser{newVerifier(rc, label, desc.Digest, desc.Size), rc}, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

// readBlob reads and verifies a whole (small) blob.
func readBlob(src source, desc ocispec.Descriptor, what string) ([]byte, error) {
	if desc.Size > maxJSONBlob {
		return nil, fmt.Errorf("%s blob %s: %d bytes is too large for a %s (limit %d)", what, desc.Digest, desc.Size, what, maxJSONBlob)
	}
	rc, err := openBlob(src, desc, what)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}
