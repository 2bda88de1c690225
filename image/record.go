package image

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"

	"xrt/image/ocispec"
)

// Record is an image in the store: what CreateContainer needs, with no
// need for the source it was pulled from.
type Record struct {
	ManifestDigest string        `json:"manifestDigest"`
	Names          []string      `json:"names,omitempty"`
	ConfigDigest   string        `json:"configDigest"`
	Config         ocispec.Image `json:"config"`
	Layers         []RecordLayer `json:"layers"` // bottom first
	Size           int64         `json:"size"`   // bytes unpacked, all layers
	Pulled         time.Time     `json:"pulled"`
}

// Stack names the layers of an image in the store, what a container's
// root is made of: all CreateContainer needs.
type Stack struct {
	ManifestDigest string
	ChainIDs       []string // bottom first
}

// Stack returns the layers of r.
func (r *Record) Stack() Stack {
	st := Stack{ManifestDigest: r.ManifestDigest}
	for _, l := range r.Layers {
		st.ChainIDs = append(st.ChainIDs, l.ChainID)
	}
	return st
}

// RecordLayer is one layer of a Record.
type RecordLayer struct {
	ChainID   string `json:"chainID"`
	DiffID    string `json:"diffID"`
	Digest    string `json:"digest"` // of the blob it was unpacked from
	MediaType string `json:"mediaType"`
	Size      int64  `json:"size"` // bytes unpacked
}

func (s *Store) recordPath(manifestDigest string) string {
	return s.path("images", digestHex(manifestDigest)+".json")
}

// Record reads the record of the image with that manifest digest.
func (s *Store) Record(manifestDigest string) (*Record, error) {
	return s.readRecord(manifestDigest)
}

// readRecord reads one record; a missing one is an error matching
// fs.ErrNotExist.
func (s *Store) readRecord(manifestDigest string) (*Record, error) {
	if err := ValidateDigest(manifestDigest); err != nil {
		return nil, fmt.Errorf("image record: %w", err)
	}
	b, err := os.ReadFile(s.recordPath(manifestDigest))
	if err != nil {
		return nil, fmt.Errorf("image record %s: %w", manifestDigest, err)
	}
	var r Record
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("image record %s: %w: the store is damaged; remove the image and pull it again", manifestDigest, err)
	}
	return &r, nil
}

func (s *Store) writeRecord(r *Record) error {
	b, err := json.MarshalIndent(r, "", "\t")
	if err != nil {
		return err
	}
	return writeFileAtomic(s.recordPath(r.ManifestDigest), b, 0o644)
}

// records reads every record. The caller holds the store lock.
func (s *Store) records() ([]*Record, error) {
	ents, err := os.ReadDir(s.path("images"))
	if err != nil {
		return nil, fmt.Errorf("list images: %w", err)
	}
	var out []*Record
	for _, e := range ents {
		name := e.Name()
		if strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ".json") {
			continue
		}
		hex := strings.TrimSuffix(name, ".json")
		r, err := s.readRecord(algFor(hex) + hex)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// saveRecord stores r, giving it name (when not empty) and taking that
// name from any other image: a name points at one image, like a tag. The
// caller holds the store lock.
func (s *Store) saveRecord(r *Record, name string) (*Record, error) {
	// Pulled again under a name it has: nothing to write (a warm create
	// would otherwise read every record and pay for two fsyncs).
	if cur, err := s.readRecord(r.ManifestDigest); err == nil && (name == "" || slices.Contains(cur.Names, name)) && sameLayers(cur, r) {
		return cur, nil
	}
	all, err := s.records()
	if err != nil {
		return nil, err
	}
	for _, other := range all {
		if other.ManifestDigest == r.ManifestDigest {
			r.Names = other.Names
			continue
		}
		if name != "" && slices.Contains(other.Names, name) {
			other.Names = slices.DeleteFunc(other.Names, func(n string) bool { return n == name })
			if err := s.writeRecord(other); err != nil {
				return nil, err
			}
		}
	}
	if name != "" && !slices.Contains(r.Names, name) {
		r.Names = append(r.Names, name)
	}
	if err := s.writeRecord(r); err != nil {
		return nil, err
	}
	return r, nil
}

func sameLayers(a, b *Record) bool {
	return slices.EqualFunc(a.Layers, b.Layers, func(x, y RecordLayer) bool { return x.ChainID == y.ChainID })
}
