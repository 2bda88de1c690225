package image

import "xrt/image/ocispec"

// mediaTypeDockerForeignLayer is a Docker layer that lives outside the
// image (Windows base layers); xrt can only use it if its blob is present.
const mediaTypeDockerForeignLayer = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"

// mediaTypeDockerPlainLayer is the uncompressed layer type some Docker
// tools write.
const mediaTypeDockerPlainLayer = "application/vnd.docker.image.rootfs.diff.tar"

func isIndex(mt string) bool {
	return mt == ocispec.MediaTypeIndex || mt == ocispec.MediaTypeDockerManifestList
}

func isManifest(mt string) bool {
	return mt == ocispec.MediaTypeManifest || mt == ocispec.MediaTypeDockerManifest
}

func isConfig(mt string) bool {
	return mt == ocispec.MediaTypeConfig || mt == ocispec.MediaTypeDockerConfig
}

func isLayer(mt string) bool {
	switch mt {
	case ocispec.MediaTypeLayer, ocispec.MediaTypeLayerGzip, ocispec.MediaTypeLayerZstd,
		ocispec.MediaTypeLayerNonDistributable, ocispec.MediaTypeLayerNonDistributableGzip,
		ocispec.MediaTypeLayerNonDistributableZstd,
		ocispec.MediaTypeDockerLayer, mediaTypeDockerForeignLayer, mediaTypeDockerPlainLayer:
		return true
	}
	return false
}
