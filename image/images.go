package image

import (
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"time"
)

// ImageInfo describes one image in the store.
type ImageInfo struct {
	Names          []string  `json:"names"`
	ManifestDigest string    `json:"manifestDigest"`
	ConfigDigest   string    `json:"configDigest"`
	Size           int64     `json:"size"` // bytes unpacked, all its layers (shared ones included)
	Pulled         time.Time `json:"pulled"`
	Containers     []string  `json:"containers"` // ids of the containers using it
}

// Images lists the images in the store, sorted by first name then digest.
func (s *Store) Images() ([]ImageInfo, error) {
	unlock, err := s.lockMeta()
	if err != nil {
		return nil, err
	}
	defer unlock()
	recs, err := s.records()
	if err != nil {
		return nil, err
	}
	users, err := s.imageUsers()
	if err != nil {
		return nil, err
	}
	var out []ImageInfo
	for _, r := range recs {
		out = append(out, ImageInfo{
			Names: r.Names, ManifestDigest: r.ManifestDigest, ConfigDigest: r.ConfigDigest,
			Size: r.Size, Pulled: r.Pulled, Containers: users[r.ManifestDigest],
		})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := strings.Join(out[i].Names, ","), strings.Join(out[j].Names, ",")
		if a != b {
			return a < b
		}
		return out[i].ManifestDigest < out[j].ManifestDigest
	})
	return out, nil
}

// Lookup returns the record of the image named ref (a name given to Pull,
// or a manifest digest), or nil when the store has none.
func (s *Store) Lookup(ref string) (*Record, error) {
	unlock, err := s.lockMeta()
	if err != nil {
		return nil, err
	}
	defer unlock()
	return s.lookup(ref)
}

func (s *Store) lookup(ref string) (*Record, error) {
	recs, err := s.records()
	if err != nil {
		return nil, err
	}
	for _, r := range recs {
		if r.ManifestDigest == ref || slices.Contains(r.Names, ref) {
			return r, nil
		}
	}
	return nil, nil
}

// imageUsers maps manifest digests to the ids of containers using them.
// The caller holds the store lock.
func (s *Store) imageUsers() (map[string][]string, error) {
	cs, err := s.containers()
	if err != nil {
		return nil, err
	}
	users := map[string][]string{}
	for id, c := range cs {
		users[c.ManifestDigest] = append(users[c.ManifestDigest], id)
	}
	for _, ids := range users {
		sort.Strings(ids)
	}
	return users, nil
}

// RemoveImage removes ref from the store: given a name the image has
// among others, just that name; given its last name or its manifest
// digest, the whole record, which it refuses while containers use the
// image. Layers stay until Prune.
func (s *Store) RemoveImage(ref string) error {
	unlock, err := s.lockMeta()
	if err != nil {
		return err
	}
	defer unlock()
	r, err := s.lookup(ref)
	if err != nil {
		return err
	}
	if r == nil {
		return fmt.Errorf("remove image %s: no such image in the store", ref)
	}
	if ref != r.ManifestDigest && len(r.Names) > 1 {
		r.Names = slices.DeleteFunc(r.Names, func(n string) bool { return n == ref })
		s.forgetRefs(ref)
		return s.writeRecord(r)
	}
	users, err := s.imageUsers()
	if err != nil {
		return err
	}
	if ids := users[r.ManifestDigest]; len(ids) > 0 {
		return fmt.Errorf("remove image %s: in use by container(s) %s: remove them first", ref, strings.Join(ids, ", "))
	}
	s.forgetRefs(r.Names...)
	if err := os.Remove(s.recordPath(r.ManifestDigest)); err != nil {
		return fmt.Errorf("remove image %s: %w", ref, err)
	}
	return syncDir(s.path("images"))
}
