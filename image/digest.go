package image

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"strings"
)

// ValidateDigest checks that d is "sha256:<64 hex>" or "sha512:<128 hex>"
// in lower case: the algorithms image-spec descriptor.md registers, and
// the only ones xrt can verify.
func ValidateDigest(d string) error {
	alg, enc, ok := strings.Cut(d, ":")
	if !ok {
		return fmt.Errorf("digest %q: want ALGORITHM:HEX, e.g. sha256:<64 hex digits>", d)
	}
	var n int
	switch alg {
	case "sha256":
		n = 64
	case "sha512":
		n = 128
	default:
		return fmt.Errorf("digest %q: unsupported algorithm %q (xrt verifies sha256 and sha512)", d, alg)
	}
	if len(enc) != n {
		return fmt.Errorf("digest %q: %s wants %d hex digits, got %d", d, alg, n, len(enc))
	}
	for _, c := range enc {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return fmt.Errorf("digest %q: %q is not a lower-case hex digit", d, c)
		}
	}
	return nil
}

// digestHex returns the encoded part of a validated digest.
func digestHex(d string) string {
	_, enc, _ := strings.Cut(d, ":")
	return enc
}

// newHash returns the hash of a validated digest's algorithm.
func newHash(d string) hash.Hash {
	if strings.HasPrefix(d, "sha512:") {
		return sha512.New()
	}
	return sha256.New()
}

// sha256Digest returns the "sha256:..." digest of b.
func sha256Digest(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// chainIDs computes the ChainID of each prefix of diffIDs (config.md):
// ChainID(L0) = DiffID(L0), ChainID(L0..Ln) = sha256(ChainID(L0..Ln-1) + " " + DiffID(Ln)).
func chainIDs(diffIDs []string) []string {
	out := make([]string, len(diffIDs))
	for i, d := range diffIDs {
		if i == 0 {
			out[i] = d
			continue
		}
		out[i] = sha256Digest([]byte(out[i-1] + " " + d))
	}
	return out
}

// verifier passes a blob through and checks it against its descriptor:
// reading more than size bytes, or reaching EOF early or with the wrong
// digest, is an error naming the blob instead of io.EOF.
type verifier struct {
	r      io.Reader
	name   string // what the error calls the blob
	digest string
	size   int64
	n      int64
	h      hash.Hash
	err    error // sticky once reported
}

func newVerifier(r io.Reader, name, digest string, size int64) *verifier {
	return &verifier{r: r, name: name, digest: digest, size: size, h: newHash(digest)}
}

func (v *verifier) Read(p []byte) (int, error) {
	if v.err != nil {
		return 0, v.err
	}
	if rem := v.size - v.n + 1; int64(len(p)) > rem {
		p = p[:rem] // read one byte past size to notice a longer blob
	}
	n, err := v.r.Read(p)
	v.n += int64(n)
	v.h.Write(p[:n])
	if v.n > v.size {
		v.err = fmt.Errorf("%s: larger than the %d bytes its descriptor says: the image is corrupt", v.name, v.size)
		return n, v.err
	}
	if err == io.EOF {
		if v.n != v.size {
			v.err = fmt.Errorf("%s: truncated: %d of %d bytes: the image is corrupt or incomplete", v.name, v.n, v.size)
			return n, v.err
		}
		if got := digestPrefix(v.digest) + hex.EncodeToString(v.h.Sum(nil)); got != v.digest {
			v.err = fmt.Errorf("%s: content has digest %s: the image is corrupt", v.name, got)
			return n, v.err
		}
		v.err = io.EOF
	} else if err != nil {
		v.err = fmt.Errorf("read %s: %w", v.name, err)
	}
	return n, v.err
}

func digestPrefix(d string) string {
	alg, _, _ := strings.Cut(d, ":")
	return alg + ":"
}
