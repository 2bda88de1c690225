// Package unpack turns OCI image layer blobs into directories that overlayfs
// can use as lower dirs: Decompress undoes the blob's compression and Apply
// extracts the layer tar into an empty directory, converting OCI whiteouts
// (image-spec layer.md) into overlay whiteouts on the way.
//
// Output format (what overlayfs expects, as Docker's overlay2 diff dirs):
//   - dir/.wh.NAME becomes a character device 0:0 named dir/NAME;
//   - dir/.wh..wh..opq becomes the xattr trusted.overlay.opaque=y on dir;
//   - a directory created where the same layer already put a whiteout for
//     it (".wh.b" before "b/") is marked opaque too, since the whiteout
//     removed the lower b and the new b must not merge with it.
//
// Safety: Apply resolves every parent directory with openat2
// RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS on a descriptor of the layer
// directory and then works on a single, never followed, final component
// relative to that parent's descriptor. Names that escape lexically ("../x",
// "/../x") and hard link targets that do are rejected. Symlinks created by
// earlier entries are contained rather than rejected: writing "a/passwd"
// after "a -> /etc" lands in dir/etc/passwd, exactly what a process in the
// container would see, and fails if dir/etc does not exist. Nothing is ever
// created, modified or followed outside dir. The directory must be private
// to the caller while Apply runs (no concurrent writers).
//
// Requirements: Linux 5.6 or later (openat2), /proc mounted (xattrs on
// directories, symlinks and devices are set through /proc/self/fd/N/name),
// and root or equivalent capabilities for chown, mknod and trusted.*
// xattrs. Building needs cgo and the static zlib and libzstd (Debian's
// zlib1g-dev and libzstd-dev): gzip and zstd are decompressed by thin
// bindings to them (NewGzipReader, NewZstdReader), which unlike a Go
// decompressor cost nothing at process start-up.
//
// Speed: one goroutine, a 1 MiB copy buffer, cached parent directory
// descriptors, and no chown or chmod where creating the file already gives
// the header's owner and mode (see creator); compressed blobs are
// decompressed one goroutine ahead (see readahead).
package unpack
