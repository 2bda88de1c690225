package image

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"xrt/image/unpack"
)

// testHookUnpacked, when set, is called each time a layer has been
// unpacked and verified, before it is moved into place.
var testHookUnpacked func(chainID string)

// Pull stores img's layers, unpacking those the store lacks, and records
// the image under name (usually the reference it was resolved from; ""
// records it without a name). Each layer is unpacked once even when
// several processes pull images sharing it at the same time. A layer that
// fails verification leaves nothing behind.
func (s *Store) Pull(img *Image, name string) (*Record, error) {
	unlockGC, err := s.lockGC(unix.LOCK_SH)
	if err != nil {
		return nil, err
	}
	defer unlockGC()
	s.sweepLayerTmp()

	rec := &Record{
		ManifestDigest: img.ManifestDigest,
		ConfigDigest:   img.ConfigDigest,
		Config:         img.Config,
		Pulled:         time.Now().UTC(),
	}
	for i, l := range img.Layers {
		size, err := s.ensureLayer(img, i)
		if err != nil {
			return nil, fmt.Errorf("pull %s: %w", img.Ref, err)
		}
		rec.Layers = append(rec.Layers, RecordLayer{
			ChainID: l.ChainID, DiffID: l.DiffID, Digest: l.Descriptor.Digest,
			MediaType: l.Descriptor.MediaType, Size: size,
		})
		rec.Size += size
	}
	unlock, err := s.lockMeta()
	if err != nil {
		return nil, err
	}
	defer unlock()
	if rec, err = s.saveRecord(rec, name); err != nil {
		return nil, fmt.Errorf("pull %s: %w", img.Ref, err)
	}
	return rec, nil
}

// ensureLayer makes layers/<chain> exist for layer i and returns its size.
func (s *Store) ensureLayer(img *Image, i int) (int64, error) {
	chain := img.Layers[i].ChainID
	if size, ok := s.layerSize(chain); ok {
		return size, s.ensureLink(chain)
	}
	lock, err := flock(s.path("locks", digestHex(chain)), unix.LOCK_EX)
	if err != nil {
		return 0, err
	}
	defer lock.Close()
	// Someone else may have unpacked it while we waited for the lock.
	if size, ok := s.layerSize(chain); ok {
		return size, s.ensureLink(chain)
	}
	// Holding the lock, any tmp dir of this layer is a crash's leftover.
	s.removeLayerTmp(chain)
	tmp, err := os.MkdirTemp(s.path("tmp"), "layer-"+digestHex(chain)+".")
	if err != nil {
		return 0, fmt.Errorf("layer %d: %w", i, err)
	}
	done := false
	defer func() {
		if !done {
			os.RemoveAll(tmp)
		}
	}()
	size, err := unpackLayer(img, i, tmp)
	if err != nil {
		return 0, err
	}
	if testHookUnpacked != nil {
		testHookUnpacked(chain)
	}
	if err := os.Rename(tmp, s.layerDir(chain)); err != nil {
		return 0, fmt.Errorf("layer %d: move into the store: %w", i, err)
	}
	done = true
	if err := syncDir(s.path("layers")); err != nil {
		return 0, err
	}
	return size, s.ensureLink(chain)
}

// layerSize reports whether a layer is in the store, and its size.
func (s *Store) layerSize(chainID string) (int64, bool) {
	dir := s.layerDir(chainID)
	if _, err := os.Stat(filepath.Join(dir, "diff")); err != nil {
		return 0, false
	}
	b, _ := os.ReadFile(filepath.Join(dir, "size"))
	n, _ := strconv.ParseInt(string(b), 10, 64)
	return n, true
}

// unpackLayer unpacks layer i into dir/diff, verifies it, and writes the
// layer's metadata files next to diff.
func unpackLayer(img *Image, i int, dir string) (int64, error) {
	l := img.Layers[i]
	what := fmt.Sprintf("layer %d (%s)", i, l.Descriptor.Digest)
	blob, err := img.OpenLayer(i)
	if err != nil {
		return 0, err
	}
	defer blob.Close()
	tarStream, err := unpack.Decompress(blob, l.Descriptor.MediaType)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	defer tarStream.Close()
	h := newHash(l.DiffID)
	tee := io.TeeReader(tarStream, h)
	diff := filepath.Join(dir, "diff")
	if err := os.Mkdir(diff, 0o755); err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	stats, err := unpack.Apply(diff, tee)
	if err != nil {
		return 0, fmt.Errorf("unpack %s: %w", what, err)
	}
	// The diff ID covers the whole tar, end blocks and padding included,
	// and the blob digest the whole blob: read both to their ends.
	if _, err := io.Copy(io.Discard, tee); err != nil {
		return 0, fmt.Errorf("unpack %s: %w", what, err)
	}
	if _, err := io.Copy(io.Discard, blob); err != nil {
		return 0, fmt.Errorf("unpack %s: %w", what, err)
	}
	if got := digestPrefix(l.DiffID) + fmt.Sprintf("%x", h.Sum(nil)); got != l.DiffID {
		return 0, fmt.Errorf("%s: uncompressed content has digest %s but the config's rootfs.diff_ids[%d] says %s: the image is corrupt", what, got, i, l.DiffID)
	}
	parent := ""
	if i > 0 {
		parent = img.Layers[i-1].ChainID
	}
	meta := map[string]string{
		"diffid": l.DiffID,
		"parent": parent,
		"size":   strconv.FormatInt(stats.Bytes, 10),
		"link":   shortID(l.ChainID),
	}
	for name, v := range meta {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(v), 0o644); err != nil {
			return 0, fmt.Errorf("%s: %w", what, err)
		}
	}
	return stats.Bytes, nil
}

// sweepLayerTmp removes the layer tmp dirs whose layer lock is free: no
// Pull is working in them, so a crash left them.
func (s *Store) sweepLayerTmp() {
	ents, _ := os.ReadDir(s.path("tmp"))
	for _, e := range ents {
		hex, ok := layerTmpHex(e.Name())
		if !ok {
			continue
		}
		lock, err := flock(s.path("locks", hex), unix.LOCK_EX|unix.LOCK_NB)
		if err != nil || lock == nil {
			continue
		}
		os.RemoveAll(s.path("tmp", e.Name()))
		lock.Close()
	}
}

// removeLayerTmp removes the tmp dirs of one layer; the caller holds its lock.
func (s *Store) removeLayerTmp(chainID string) {
	matches, _ := filepath.Glob(s.path("tmp", "layer-"+digestHex(chainID)+".*"))
	for _, m := range matches {
		os.RemoveAll(m) // what cannot go now, Prune retries
	}
}

// layerTmpHex parses "layer-<hex>.<rand>".
func layerTmpHex(name string) (string, bool) {
	const prefix = "layer-"
	if len(name) < len(prefix) || name[:len(prefix)] != prefix {
		return "", false
	}
	rest := name[len(prefix):]
	for i := 0; i < len(rest); i++ {
		if rest[i] == '.' {
			hex := rest[:i]
			return hex, (len(hex) == 64 || len(hex) == 128) && ValidateDigest(algFor(hex)+hex) == nil
		}
	}
	return "", false
}

// algFor guesses a digest algorithm from the length of its hex.
func algFor(hex string) string {
	if len(hex) == 128 {
		return "sha512:"
	}
	return "sha256:"
}
