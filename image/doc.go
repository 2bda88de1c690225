// Package image is xrt's image mode: it reads OCI images from local
// layouts and archives, verifies them, unpacks their layers once into a
// content-addressed store, and gives each container an overlay root
// filesystem made of those layers (like Docker's overlay2 driver).
//
// The flow:
//
//	ref, _ := image.ParseRef("/srv/images/busybox.tar:latest")
//	img, _ := image.Resolve(ref)         // manifest and config read and verified
//	defer img.Close()
//	st, _ := image.Open("/var/lib/xrt")
//	rec, _ := st.Pull(img, ref.String()) // layers unpacked (once) and verified
//	fs, _ := st.CreateContainer("box", "", rec.Stack())
//	data, chdir, _ := fs.MountData()     // the rootfs package mounts overlay
//	...
//	st.RemoveContainer("box", "")            // after unmounting fs.Merged
//
// Sources: an OCI image layout directory, an oci-archive (a tar of one,
// plain, gzip or zstd), or a `docker save` archive or directory. Archives
// are read in place through an index of their members; a compressed
// archive is first decompressed into an unlinked temporary file. Every
// blob is checked against its descriptor's size and digest, and every
// layer's uncompressed stream against the config's rootfs.diff_ids.
//
// # Store layout
//
// Under the store directory (default /var/lib/xrt):
//
//	version                      store format version ("1")
//	lock                         store lock: held exclusively, briefly, for metadata changes
//	gc.lock                      held shared by Pull for its whole run, exclusively by Prune
//	locks/<chain-hex>            per-layer lock, held while that layer is unpacked
//	layers/<chain-hex>/          one unpacked layer, named by its ChainID's hex
//	    diff/                    the layer's files, overlay whiteouts included
//	    diffid                   its DiffID ("sha256:...")
//	    parent                   the ChainID of the layer below ("" for a base layer)
//	    size                     bytes of file content unpacked
//	    link                     its short name under l/
//	l/<short> -> ../layers/<chain-hex>/diff
//	                             26 base32 characters, so that many lower
//	                             dirs fit in one page of mount options
//	images/<manifest-hex>.json   one Record: names, config, layer chain IDs, size
//	refs/<sha256 of a name>      what a reference resolved to, and the identity
//	                             of the file that decided it (see LookupRef)
//	containers/<id>/
//	    image                    JSON: the manifest digest and layer chain IDs in use
//	    init/                    the init layer: mount points and empty /etc files
//	    upper/ work/ merged/     overlay upper, work and mount point
//	    volumes/<escaped path>/  anonymous volumes
//	tmp/                         work in progress: layer-<chain-hex>.<rand>,
//	                             container-<id>.<rand>, removed-<id>.<rand>,
//	                             pruned-<chain-hex>.<rand>
//
// A layer is unpacked into tmp/ and renamed into layers/ only once it is
// complete and verified, so a crash never leaves a half layer that looks
// whole; records and container metadata are written to a temporary file
// and renamed. Leftovers in tmp/ are removed by the next Pull that needs
// the same layer (or that finds the layer's lock free) and by Prune.
// Layer content is not fsynced: the store survives a killed process at
// any point, but a power loss right after a Pull may need a Prune and a
// new Pull.
package image
