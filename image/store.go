package image

import (
	"bytes"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// DefaultStoreDir is where xrt keeps images unless told otherwise.
const DefaultStoreDir = "/var/lib/xrt"

// The store's layout that faststart/defaults.h shares: each container's
// root under ContainersDir, and the work of an unfinished create or remove
// in TmpDir, named CreatingPrefix or RemovingPrefix + id + "." + random.
const (
	ContainersDir  = "containers"
	TmpDir         = "tmp"
	CreatingPrefix = "container-"
	RemovingPrefix = "removed-"
)

// storeVersion is the format of the store layout described in doc.go.
const storeVersion = "1"

// Store is a content-addressed layer store (see the package doc for its
// layout). All methods are safe for concurrent use by goroutines and by
// processes sharing the directory.
type Store struct {
	dir string // absolute and clean
}

// Open opens the store in dir, creating it if needed.
func Open(dir string) (*Store, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("open image store %s: %w", dir, err)
	}
	s := &Store{dir: abs}
	// A store with its version file is made: the common case, no writes.
	if b, err := os.ReadFile(s.path("version")); err == nil {
		return s, s.checkVersionText(b)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("open image store: %w", err)
	}
	if err := s.checkVersion(); err != nil {
		return nil, err
	}
	for _, sub := range []string{"layers", "l", "images", "refs", "containers", "tmp", "locks"} {
		if err := os.Mkdir(s.path(sub), 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("open image store: %w", err)
		}
	}
	return s, nil
}

// Dir returns the store's absolute directory.
func (s *Store) Dir() string { return s.dir }

func (s *Store) checkVersion() error {
	p := s.path("version")
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return writeFileAtomic(p, []byte(storeVersion+"\n"), 0o644)
	}
	if err != nil {
		return fmt.Errorf("open image store: %w", err)
	}
	return s.checkVersionText(b)
}

func (s *Store) checkVersionText(b []byte) error {
	if v := string(bytes.TrimSpace(b)); v != storeVersion {
		return fmt.Errorf("open image store %s: format version %q, this xrt reads %q: use a matching xrt or another store directory", s.dir, v, storeVersion)
	}
	return nil
}

func (s *Store) path(elem ...string) string {
	return filepath.Join(append([]string{s.dir}, elem...)...)
}

// lockMeta takes the store lock, which guards images/, containers/ and
// the decisions of Prune. Hold it briefly.
func (s *Store) lockMeta() (unlock func(), err error) {
	f, err := flock(s.path("lock"), unix.LOCK_EX)
	if err != nil {
		return nil, fmt.Errorf("image store: %w", err)
	}
	return func() { f.Close() }, nil
}

// lockGC takes gc.lock: shared while pulling (layers are being added that
// no record names yet), exclusive while pruning.
func (s *Store) lockGC(how int) (unlock func(), err error) {
	f, err := flock(s.path("gc.lock"), how)
	if err != nil {
		return nil, fmt.Errorf("image store: %w", err)
	}
	return func() { f.Close() }, nil
}

// layerDir is layers/<chain-hex>.
func (s *Store) layerDir(chainID string) string {
	return s.path("layers", digestHex(chainID))
}

// shortID is the name of a layer's link under l/: 128 bits of its chain ID
// in 26 base32 characters, short enough to stack many lower dirs in one
// mount option page, long enough that no crafted layer can collide.
func shortID(chainID string) string {
	b, _ := hex.DecodeString(digestHex(chainID)[:32])
	return strings.ToUpper(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

// linkPath is the absolute path of a layer's diff dir through its short link.
func (s *Store) linkPath(chainID string) string {
	return s.path("l", shortID(chainID))
}

// ensureLink creates l/<short> for a layer if it is missing (a crash can
// leave a layer without its link).
func (s *Store) ensureLink(chainID string) error {
	link := s.linkPath(chainID)
	target := filepath.Join("..", "layers", digestHex(chainID), "diff")
	err := os.Symlink(target, link)
	if err == nil {
		return nil
	}
	if !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("link layer %s: %w", chainID, err)
	}
	if got, rerr := os.Readlink(link); rerr != nil || got != target {
		return fmt.Errorf("link layer %s: %s exists and does not point at %s: the store is damaged; remove the link and pull again", chainID, link, target)
	}
	return nil
}
