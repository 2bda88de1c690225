// Package ocispec holds the OCI image-spec v1.1 documents xrt reads: the
// image layout's index, image indexes, manifests, descriptors and the image
// configuration, plus Docker's `docker save` manifest. Only the fields xrt
// uses are declared; unknown fields are ignored when decoding.
package ocispec

// Media types from image-spec media-types.md and their Docker equivalents.
const (
	MediaTypeDescriptor   = "application/vnd.oci.descriptor.v1+json"
	MediaTypeLayoutHeader = "application/vnd.oci.layout.header.v1+json"
	MediaTypeIndex        = "application/vnd.oci.image.index.v1+json"
	MediaTypeManifest     = "application/vnd.oci.image.manifest.v1+json"
	MediaTypeConfig       = "application/vnd.oci.image.config.v1+json"

	MediaTypeLayer     = "application/vnd.oci.image.layer.v1.tar"
	MediaTypeLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip"
	MediaTypeLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd"
	// Non-distributable layers are deprecated but still valid to read.
	MediaTypeLayerNonDistributable     = "application/vnd.oci.image.layer.nondistributable.v1.tar"
	MediaTypeLayerNonDistributableGzip = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
	MediaTypeLayerNonDistributableZstd = "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd"

	MediaTypeDockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
	MediaTypeDockerManifest     = "application/vnd.docker.distribution.manifest.v2+json"
	MediaTypeDockerConfig       = "application/vnd.docker.container.image.v1+json"
	MediaTypeDockerLayer        = "application/vnd.docker.image.rootfs.diff.tar.gzip"

	// AnnotationRefName names a manifest in an image layout's index.json.
	AnnotationRefName = "org.opencontainers.image.ref.name"
	// ImageLayoutVersion is the "imageLayoutVersion" of the oci-layout file.
	ImageLayoutVersion = "1.0.0"
)

// Layout is the oci-layout file at the root of an image layout.
type Layout struct {
	Version string `json:"imageLayoutVersion"`
}

// Platform describes where an image runs (descriptor.md, image-index.md).
type Platform struct {
	Architecture string   `json:"architecture"`
	OS           string   `json:"os"`
	OSVersion    string   `json:"os.version,omitempty"`
	OSFeatures   []string `json:"os.features,omitempty"`
	Variant      string   `json:"variant,omitempty"`
}

// Descriptor points at a blob by digest (descriptor.md).
type Descriptor struct {
	MediaType    string            `json:"mediaType"`
	Digest       string            `json:"digest"`
	Size         int64             `json:"size"`
	URLs         []string          `json:"urls,omitempty"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	Data         []byte            `json:"data,omitempty"`
	Platform     *Platform         `json:"platform,omitempty"`
	ArtifactType string            `json:"artifactType,omitempty"`
}

// Index is an image index, and the shape of an image layout's index.json.
type Index struct {
	SchemaVersion int               `json:"schemaVersion"`
	MediaType     string            `json:"mediaType,omitempty"`
	Manifests     []Descriptor      `json:"manifests"`
	Annotations   map[string]string `json:"annotations,omitempty"`
}

// Manifest is an image manifest (manifest.md).
type Manifest struct {
	SchemaVersion int               `json:"schemaVersion"`
	MediaType     string            `json:"mediaType,omitempty"`
	ArtifactType  string            `json:"artifactType,omitempty"`
	Config        Descriptor        `json:"config"`
	Layers        []Descriptor      `json:"layers"`
	Subject       *Descriptor       `json:"subject,omitempty"`
	Annotations   map[string]string `json:"annotations,omitempty"`
}

// Image is the image configuration blob (config.md).
type Image struct {
	Created      string      `json:"created,omitempty"`
	Author       string      `json:"author,omitempty"`
	Architecture string      `json:"architecture"`
	OS           string      `json:"os"`
	OSVersion    string      `json:"os.version,omitempty"`
	OSFeatures   []string    `json:"os.features,omitempty"`
	Variant      string      `json:"variant,omitempty"`
	Config       ImageConfig `json:"config"`
	RootFS       RootFS      `json:"rootfs"`
	History      []History   `json:"history,omitempty"`
}

// ImageConfig is the execution parameters part of the image configuration.
type ImageConfig struct {
	User         string              `json:"User,omitempty"`
	ExposedPorts map[string]struct{} `json:"ExposedPorts,omitempty"`
	Env          []string            `json:"Env,omitempty"`
	Entrypoint   []string            `json:"Entrypoint,omitempty"`
	Cmd          []string            `json:"Cmd,omitempty"`
	Volumes      map[string]struct{} `json:"Volumes,omitempty"`
	WorkingDir   string              `json:"WorkingDir,omitempty"`
	Labels       map[string]string   `json:"Labels,omitempty"`
	StopSignal   string              `json:"StopSignal,omitempty"`
}

// RootFS lists the uncompressed layer digests (diff_ids), bottom first.
type RootFS struct {
	Type    string   `json:"type"`
	DiffIDs []string `json:"diff_ids"`
}

// History describes how one layer was made.
type History struct {
	Created    string `json:"created,omitempty"`
	CreatedBy  string `json:"created_by,omitempty"`
	Author     string `json:"author,omitempty"`
	Comment    string `json:"comment,omitempty"`
	EmptyLayer bool   `json:"empty_layer,omitempty"`
}

// DockerSaveEntry is one entry of manifest.json in a `docker save` archive.
type DockerSaveEntry struct {
	Config   string   `json:"Config"`
	RepoTags []string `json:"RepoTags"`
	Layers   []string `json:"Layers"`
	// LayerSources is set by newer Docker versions for foreign layers.
	LayerSources map[string]Descriptor `json:"LayerSources,omitempty"`
}
