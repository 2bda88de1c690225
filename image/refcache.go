package image

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// A warm create should not read the image again. Which manifest a
// reference resolves to is decided by one file: a layout's index.json (or
// a `docker save` directory's manifest.json), or the archive itself; the
// blobs it leads to are content-addressed. So the store remembers, per
// reference, that file's identity and the manifest digest it gave, in
// refs/<sha256 of the reference>:
//
//	<dev>:<ino>:<size>:<mtime>:<ctime> of the file
//	<manifest digest>
//
// While the file is unchanged (a rewrite or a replacement changes one of
// those) the reference still means that image. RemoveImage forgets the
// names it removes, Prune the entries of removed images.

// PullRef resolves r and pulls the image, as Resolve and Pull do, and
// remembers r for LookupRef.
func (s *Store) PullRef(r Ref) (*Record, error) {
	key, keyErr := sourceKey(r)
	img, err := Resolve(r)
	if err != nil {
		return nil, err
	}
	defer img.Close()
	rec, err := s.Pull(img, r.String())
	if err != nil {
		return nil, err
	}
	if keyErr == nil {
		s.rememberRef(r.String(), key, rec.ManifestDigest)
	}
	return rec, nil
}

// LookupRef returns the manifest digest of the image r resolved to when
// PullRef last pulled it, if r's source has not changed since and the
// image is still in the store; without reading the source. A miss
// (false) means: PullRef.
func (s *Store) LookupRef(r Ref) (string, bool) {
	key, err := sourceKey(r)
	if err != nil {
		return "", false
	}
	b, err := os.ReadFile(s.refPath(r.String()))
	if err != nil {
		return "", false
	}
	gotKey, digest, ok := strings.Cut(strings.TrimSuffix(string(b), "\n"), "\n")
	if !ok || gotKey != key || ValidateDigest(digest) != nil {
		return "", false
	}
	if _, err := os.Stat(s.recordPath(digest)); err != nil {
		return "", false
	}
	return digest, true
}

// sourceKey identifies the file that decides what r resolves to. It is
// taken before the source is read: a change while reading makes the key
// stale, never wrong.
func sourceKey(r Ref) (string, error) {
	p := r.onDisk().Path
	var st unix.Stat_t
	if err := unix.Stat(p, &st); err != nil {
		return "", err
	}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		err := unix.Stat(filepath.Join(p, "index.json"), &st)
		if errors.Is(err, unix.ENOENT) {
			err = unix.Stat(filepath.Join(p, "manifest.json"), &st)
		}
		if err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("%d:%d:%d:%d.%09d:%d.%09d", st.Dev, st.Ino, st.Size,
		st.Mtim.Sec, st.Mtim.Nsec, st.Ctim.Sec, st.Ctim.Nsec), nil
}

func (s *Store) refPath(name string) string {
	sum := sha256.Sum256([]byte(name))
	return s.path("refs", hex.EncodeToString(sum[:]))
}

// rememberRef writes name's entry. It is a cache: a failure to write it
// costs the next create a resolve, nothing else.
func (s *Store) rememberRef(name, key, digest string) {
	p := s.refPath(name)
	data := []byte(key + "\n" + digest + "\n")
	if err := replaceFile(p, data, 0o644, false); errors.Is(err, fs.ErrNotExist) {
		// A store made before refs/ existed.
		if os.Mkdir(filepath.Dir(p), 0o700) == nil {
			replaceFile(p, data, 0o644, false)
		}
	}
}

// forgetRefs removes the entries of names. The caller holds the store lock.
func (s *Store) forgetRefs(names ...string) {
	for _, n := range names {
		os.Remove(s.refPath(n))
	}
}

// pruneRefs removes the entries of images no longer in the store, and
// interrupted writes. The caller holds the store lock.
func (s *Store) pruneRefs() {
	ents, _ := os.ReadDir(s.path("refs"))
	for _, e := range ents {
		p := s.path("refs", e.Name())
		b, err := os.ReadFile(p)
		lines := strings.Split(string(b), "\n")
		if !isTmpFile(e.Name()) && err == nil && len(lines) >= 2 && ValidateDigest(lines[1]) == nil {
			if _, err := os.Stat(s.recordPath(lines[1])); err == nil {
				continue
			}
		}
		os.Remove(p)
	}
}
