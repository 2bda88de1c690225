package image

import (
	"os"
	"testing"

	"xrt/image/ocispec"
)

// TestBadImages checks that each kind of broken image is a clear error,
// at Resolve or at Pull, and that a failed Pull leaves no layer dir of
// the broken layer and nothing in tmp/.
func TestBadImages(t *testing.T) {
	readManifest := func(t *testing.T, l *testLayout, d ocispec.Descriptor) ocispec.Manifest {
		var m ocispec.Manifest
		b, err := os.ReadFile(l.blobFile(d))
		if err != nil {
			t.Fatal(err)
		}
		if err := jsonUnmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	topLayer := func(t *testing.T, l *testLayout, d ocispec.Descriptor) ocispec.Descriptor {
		return readManifest(t, l, d).Layers[1]
	}
	tests := []struct {
		name      string
		build     func(t *testing.T, l *testLayout) ocispec.Descriptor
		atResolve bool
		want      []string
		tag       string
	}{
		{"missing layer blob", func(t *testing.T, l *testLayout) ocispec.Descriptor {
			d := l.image(imageOpts{}, baseTar(t), appTar(t))
			top := topLayer(t, l, d)
			os.Remove(l.blobFile(top))
			return d
		}, false, []string{"layer 1 blob", "is missing from the image"}, ""},
		{"layer digest mismatch", func(t *testing.T, l *testLayout) ocispec.Descriptor {
			d := l.image(imageOpts{}, baseTar(t), appTar(t))
			top := topLayer(t, l, d)
			b, _ := os.ReadFile(l.blobFile(top))
			b[9] ^= 0xff // the gzip header's OS byte: still a valid gzip stream
			os.WriteFile(l.blobFile(top), b, 0o644)
			return d
		}, false, []string{"layer 1", "the image is corrupt"}, ""},
		{"truncated blob file", func(t *testing.T, l *testLayout) ocispec.Descriptor {
			d := l.image(imageOpts{}, baseTar(t), appTar(t))
			top := topLayer(t, l, d)
			os.Truncate(l.blobFile(top), top.Size-10)
			return d
		}, false, []string{"layer 1 blob " + "", "but its descriptor says"}, ""},
		{"truncated layer stream", func(t *testing.T, l *testLayout) ocispec.Descriptor {
			gz := gzipBytes(t, appTar(t))
			return l.image(imageOpts{compressed: [][]byte{nil, gz[:len(gz)/2]}}, baseTar(t), appTar(t))
		}, false, []string{"unpack layer 1"}, ""},
		{"uncompressed layer truncated", func(t *testing.T, l *testLayout) ocispec.Descriptor {
			app := appTar(t)
			return l.image(imageOpts{layerMT: ocispec.MediaTypeLayer, compressed: [][]byte{nil, app[:1000]}}, baseTar(t), app)
		}, false, []string{"layer 1"}, ""},
		{"diff_id mismatch", func(t *testing.T, l *testLayout) ocispec.Descriptor {
			return l.image(imageOpts{diffIDs: []string{digestOf(baseTar(t)), digestOf([]byte("other"))}}, baseTar(t), appTar(t))
		}, false, []string{"rootfs.diff_ids[1]", "uncompressed content has digest " + digestOf(appTar(t))}, ""},
		{"unknown layer media type", func(t *testing.T, l *testLayout) ocispec.Descriptor {
			return l.image(imageOpts{layerMT: "application/x-squashfs"}, baseTar(t), appTar(t))
		}, true, []string{"layer 0", `unsupported media type "application/x-squashfs"`}, ""},
		{"unknown config media type", func(t *testing.T, l *testLayout) ocispec.Descriptor {
			return l.image(imageOpts{configMT: "application/vnd.oci.empty.v1+json"}, baseTar(t))
		}, true, []string{`config media type "application/vnd.oci.empty.v1+json"`}, ""},
		{"unknown manifest media type", func(t *testing.T, l *testLayout) ocispec.Descriptor {
			d := l.image(imageOpts{}, baseTar(t))
			d.MediaType = "application/vnd.example+json"
			return d
		}, true, []string{`unsupported media type "application/vnd.example+json"`}, "t"},
		{"only unknown media types in index.json", func(t *testing.T, l *testLayout) ocispec.Descriptor {
			d := l.image(imageOpts{}, baseTar(t))
			d.MediaType = "application/vnd.example+json"
			return d
		}, true, []string{"index.json lists no image manifest or index"}, ""},
		{"missing config", func(t *testing.T, l *testLayout) ocispec.Descriptor {
			d := l.image(imageOpts{}, baseTar(t))
			cfg := readManifest(t, l, d).Config
			os.Remove(l.blobFile(cfg))
			return d
		}, true, []string{"config blob " + "", "is missing"}, ""},
		{"corrupt manifest", func(t *testing.T, l *testLayout) ocispec.Descriptor {
			d := l.image(imageOpts{}, baseTar(t))
			b, _ := os.ReadFile(l.blobFile(d))
			b[0] = ' '
			os.WriteFile(l.blobFile(d), b, 0o644)
			return d
		}, true, []string{"manifest blob " + "", "content has digest"}, ""},
		{"missing manifest", func(t *testing.T, l *testLayout) ocispec.Descriptor {
			d := l.image(imageOpts{}, baseTar(t))
			os.Remove(l.blobFile(d))
			return d
		}, true, []string{"manifest blob", "is missing"}, ""},
		{"layer count differs from diff_ids", func(t *testing.T, l *testLayout) ocispec.Descriptor {
			return l.image(imageOpts{diffIDs: []string{digestOf(baseTar(t))}}, baseTar(t), appTar(t))
		}, true, []string{"lists 1 layers", "the manifest has 2"}, ""},
		{"bad diff_id", func(t *testing.T, l *testLayout) ocispec.Descriptor {
			return l.image(imageOpts{diffIDs: []string{"sha256:xyz"}}, baseTar(t))
		}, true, []string{"rootfs.diff_ids[0]"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLayout(t)
			d := tt.build(t, l)
			l.add(d, tt.tag)
			ref := l.dir
			if tt.tag != "" {
				ref += ":" + tt.tag
			}
			if tt.atResolve {
				wantErr(t, resolveErr(t, ref), tt.want...)
				return
			}
			img := mustResolve(t, ref)
			s := openStore(t)
			_, err := s.Pull(img, "bad")
			wantErr(t, err, tt.want...)
			if _, ok := s.layerSize(img.Layers[1].ChainID); ok {
				t.Errorf("broken layer %s is in the store", img.Layers[1].ChainID)
			}
			if names := dirNames(t, s.path("tmp")); len(names) != 0 {
				t.Errorf("tmp/ holds %v", names)
			}
			if names := dirNames(t, s.path("images")); len(names) != 0 {
				t.Errorf("images/ holds %v", names)
			}
		})
	}
}
