package main

import (
	"os"

	"xrt/image/ocispec"
)

// breakLayer applies the faults of --break that concern the top layer d
// (whose tar digest is *diffID) before the config and manifest are written.
// missing-blob (applied last, by writeLayout), traversal (a layer of its
// own) and no-platform (the index) are done elsewhere.
func breakLayer(brk string, l layout, d *ocispec.Descriptor, diffID *string, comp string) error {
	switch brk {
	case "blob-digest":
		// Store the same-length tampered layer under the intact layer's
		// digest, with the tampered blob's size, so only the digest is off.
		bad, _, err := l.writeLayer(comp, brokenLayer(true).tarFunc())
		if err != nil {
			return err
		}
		if err := os.Rename(l.blobPath(bad.Digest), l.blobPath(d.Digest)); err != nil {
			return err
		}
		d.Size = bad.Size
	case "diffid":
		*diffID = digestOf([]byte("not the diff_id of this layer"))
	case "truncated-layer":
		// Cut the blob in half and describe the cut blob correctly: only
		// the layer's stream ends early.
		if err := os.Truncate(l.blobPath(d.Digest), d.Size/2); err != nil {
			return err
		}
		nd, err := l.rehash(*d)
		if err != nil {
			return err
		}
		*d = nd
	case "media-type":
		d.MediaType = badMediaType
	}
	return nil
}
