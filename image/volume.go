package image

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// Volume returns the directory of container id's anonymous volume for
// the absolute container path p, creating it if needed. The directory is
// empty and owned by root; the image's content at p is not copied in.
func (s *Store) Volume(id, p string) (string, error) {
	dir, err := s.VolumeDir(id, p)
	if err != nil {
		return "", err
	}
	unlock, err := s.lockMeta()
	if err != nil {
		return "", err
	}
	defer unlock()
	if _, err := os.Stat(s.path("containers", id, "image")); err != nil {
		return "", fmt.Errorf("volume %s of container %s: the container has no root filesystem in the store: %w", p, id, err)
	}
	// volumes/ is made with the first volume: most images have none.
	if err := os.Mkdir(s.path("containers", id, "volumes"), 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return "", fmt.Errorf("volume %s of container %s: %w", p, id, err)
	}
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return "", fmt.Errorf("volume %s of container %s: %w", p, id, err)
	}
	return dir, nil
}

// VolumeDir returns the directory Volume makes for container id's volume
// at p, without making it.
func (s *Store) VolumeDir(id, p string) (string, error) {
	if err := validateID(id); err != nil {
		return "", fmt.Errorf("volume: %w", err)
	}
	if !filepath.IsAbs(p) || filepath.Clean(p) == "/" {
		return "", fmt.Errorf("volume %q of container %s: want an absolute path other than /", p, id)
	}
	return s.path("containers", id, "volumes", volumeName(p)), nil
}

// volumeName escapes a container path into one file name, reversibly so
// that distinct paths never share a volume ("/a_b" vs "/a/b").
func volumeName(p string) string {
	name := url.PathEscape(strings.TrimPrefix(filepath.Clean(p), "/"))
	if len(name) > 200 {
		name = "sha256-" + digestHex(sha256Digest([]byte(p)))
	}
	return name
}
