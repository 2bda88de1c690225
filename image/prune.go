package image

import (
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Prune removes the layers that no image record and no container uses,
// and what crashes left behind: work dirs in tmp/, dangling l/ links,
// unused layer locks, temporary record files. It waits for running
// Pulls to finish, and they wait for it. removed lists the chain IDs of
// the removed layers and the "tmp/NAME" leftovers; freed is the unpacked
// size of the removed layers.
func (s *Store) Prune() (removed []string, freed int64, err error) {
	unlockGC, err := s.lockGC(unix.LOCK_EX)
	if err != nil {
		return nil, 0, err
	}
	defer unlockGC()
	leftovers, removed, freed, err := s.pruneLocked()
	if err != nil {
		return nil, 0, err
	}
	// Nothing else writes in tmp/ without the store lock or gc.lock, so
	// these can go after the store lock is released.
	for _, name := range leftovers {
		if rerr := os.RemoveAll(s.path("tmp", name)); rerr != nil && err == nil {
			err = fmt.Errorf("prune: %w", rerr)
		}
	}
	return removed, freed, err
}

// pruneLocked moves unused layers into tmp/ under the store lock and
// returns everything in tmp/ to delete.
func (s *Store) pruneLocked() (leftovers, removed []string, freed int64, err error) {
	unlock, err := s.lockMeta()
	if err != nil {
		return nil, nil, 0, err
	}
	defer unlock()
	keep, err := s.usedLayers()
	if err != nil {
		return nil, nil, 0, fmt.Errorf("prune: %w", err)
	}
	tmpEnts, err := os.ReadDir(s.path("tmp"))
	if err != nil {
		return nil, nil, 0, fmt.Errorf("prune: %w", err)
	}
	for _, e := range tmpEnts {
		leftovers = append(leftovers, e.Name())
		removed = append(removed, "tmp/"+e.Name())
	}
	layers, err := os.ReadDir(s.path("layers"))
	if err != nil {
		return nil, nil, 0, fmt.Errorf("prune: %w", err)
	}
	for _, e := range layers {
		hex := e.Name()
		chain := algFor(hex) + hex
		if keep[hex] || ValidateDigest(chain) != nil {
			continue
		}
		size, _ := s.layerSize(chain)
		dst, err := moveToTmp(s.path("tmp"), s.layerDir(chain), "pruned-"+hex+".")
		if err != nil {
			return nil, nil, 0, fmt.Errorf("prune layer %s: %w", chain, err)
		}
		leftovers = append(leftovers, filepath.Base(dst))
		removed = append(removed, chain)
		freed += size
	}
	s.pruneDangling()
	return leftovers, removed, freed, nil
}

// usedLayers returns the hex of every chain ID an image record or a
// container names. The caller holds the store lock.
func (s *Store) usedLayers() (map[string]bool, error) {
	keep := map[string]bool{}
	recs, err := s.records()
	if err != nil {
		return nil, err
	}
	for _, r := range recs {
		for _, l := range r.Layers {
			keep[digestHex(l.ChainID)] = true
		}
	}
	cs, err := s.containers()
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		for _, l := range c.Layers {
			keep[digestHex(l)] = true
		}
	}
	return keep, nil
}

// pruneDangling removes l/ links to layers that are gone, locks of
// layers that are gone (safe: with gc.lock held no Pull has one open),
// references to images that are gone, and interrupted record writes.
func (s *Store) pruneDangling() {
	links, _ := os.ReadDir(s.path("l"))
	for _, e := range links {
		p := s.path("l", e.Name())
		if _, err := os.Stat(p); err != nil {
			os.Remove(p)
		}
	}
	locks, _ := os.ReadDir(s.path("locks"))
	for _, e := range locks {
		if _, err := os.Stat(s.path("layers", e.Name())); err != nil {
			os.Remove(s.path("locks", e.Name()))
		}
	}
	s.pruneRefs()
	recs, _ := os.ReadDir(s.path("images"))
	for _, e := range recs {
		if isTmpFile(e.Name()) {
			os.Remove(s.path("images", e.Name()))
		}
	}
}
