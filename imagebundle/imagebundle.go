// Package imagebundle turns an OCI image into a bundle for `xrt create
// --image`, the way `docker run` does: the image is pulled into the layer
// store (each layer unpacked once), its config is merged into the spec
// (the bundle's config.json, or xrt's default), and the container's root
// is an overlay of the image layers under a per-container init layer and
// writable upper layer, mounted at the store's merged directory (in the
// container's mount namespace: see container.CreateOpts.MakeRoot).
package imagebundle

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"xrt/bundle"
	"xrt/image"
	"xrt/image/merge"
	"xrt/rootfs"
)

// Options say which image to run and how.
type Options struct {
	Store string // layer store directory
	Ref   string // PATH[:TAG] or PATH@DIGEST
	ID    string // container id
	// Bundle is a directory whose config.json, when there is one, is the
	// base spec: every value it sets wins over the image's. Without one
	// the base is xrt's default spec (writable root, no terminal).
	Bundle string
	Args   []string // command-line args: replace the image's Cmd
	// Owner is the container's state directory (runtime root/id), recorded
	// with its root in the store so that no other root's delete removes it.
	Owner string
	// FillUpper, when set, fills the new writable layer instead of the
	// init files (a restore unpacks the checkpoint's saved layer there).
	FillUpper func(upper string) error
}

// Pull makes sure the image is in the store and returns its record. An
// image pulled before under the same reference, its source unchanged,
// is not read again (see image.Store.LookupRef).
func Pull(storeDir, ref string) (*image.Store, *image.Record, error) {
	r, err := image.ParseRef(ref)
	if err != nil {
		return nil, nil, err
	}
	if abs, err := filepath.Abs(r.Path); err == nil {
		r.Path = abs
	}
	st, err := image.Open(storeDir)
	if err != nil {
		return nil, nil, err
	}
	if digest, ok := st.LookupRef(r); ok {
		if rec, err := st.Record(digest); err == nil {
			return st, rec, nil
		}
	}
	rec, err := st.PullRef(r)
	if err != nil {
		return nil, nil, err
	}
	return st, rec, nil
}

// Spec returns the spec for a container of the image: the base spec with
// the image config merged in. root.path is left as the base has it.
func Spec(o *Options, st *image.Store, rec *image.Record) (*specs.Spec, error) {
	s, explicit, err := baseSpec(o)
	if err != nil {
		return nil, err
	}
	if err := merge.Merge(s, &rec.Config, explicit, st.FS(rec), o.Args); err != nil {
		return nil, fmt.Errorf("image %s: %w", o.Ref, err)
	}
	return s, nil
}

// baseSpec reads the bundle's config.json, whose process fields are all
// explicit, or starts from the default spec made fit for images.
func baseSpec(o *Options) (*specs.Spec, merge.Explicit, error) {
	data, err := os.ReadFile(filepath.Join(o.Bundle, "config.json"))
	if errors.Is(err, fs.ErrNotExist) {
		s := bundle.Default(false)
		s.Process.Terminal = false
		s.Root.Readonly = false
		s.Hostname = o.ID
		if len(s.Hostname) > 12 {
			s.Hostname = s.Hostname[:12] // as Docker names its hosts
		}
		return s, merge.Explicit{}, nil
	}
	if err != nil {
		return nil, merge.Explicit{}, fmt.Errorf("read config.json in bundle %s: %w", o.Bundle, err)
	}
	s, err := bundle.Parse(data)
	if err != nil {
		return nil, merge.Explicit{}, fmt.Errorf("bundle %s: %w", o.Bundle, err)
	}
	var raw struct {
		Process map[string]json.RawMessage `json:"process"`
	}
	json.Unmarshal(data, &raw)
	has := func(k string) bool { _, ok := raw.Process[k]; return ok }
	return s, merge.Explicit{Args: has("args"), Env: has("env"), Cwd: has("cwd"), User: has("user")}, nil
}

// Prepare pulls the image and returns the container's bundle, its spec
// merged, with makeRoot, which makes the overlay root filesystem at the
// bundle's rootfs (container.Create runs it, while init starts when it
// can). Prepare leaves nothing behind, nor does a makeRoot that fails;
// Cleanup undoes one that succeeded.
func Prepare(o *Options) (b *bundle.Bundle, makeRoot func() error, err error) {
	st, rec, err := Pull(o.Store, o.Ref)
	if err != nil {
		return nil, nil, err
	}
	s, err := Spec(o, st, rec)
	if err != nil {
		return nil, nil, err
	}
	vols := map[string]string{}
	for _, p := range merge.Volumes(&rec.Config.Config) {
		if vols[p], err = st.VolumeDir(o.ID, p); err != nil {
			return nil, nil, err
		}
	}
	s.Mounts = append(s.Mounts, merge.VolumeMounts(s, vols)...)
	merged, err := st.MergedDir(o.ID)
	if err != nil {
		return nil, nil, err
	}
	if s.Root == nil {
		s.Root = &specs.Root{}
	}
	s.Root.Path = merged
	if s.Annotations == nil {
		s.Annotations = map[string]string{}
	}
	s.Annotations[AnnotationStore] = st.Dir()
	s.Annotations[AnnotationImage] = rec.ManifestDigest
	dir := o.Bundle
	if _, err := os.Stat(filepath.Join(dir, "config.json")); err != nil {
		dir = filepath.Dir(merged) // the store's container directory
	}
	if b, err = bundle.NewUnmade(dir, s, merged); err != nil {
		return nil, nil, err
	}
	layers, hostname := rec.Stack(), s.Hostname
	makeRoot = func() (err error) {
		fsys, err := st.CreateContainer(o.ID, o.Owner, layers)
		if err != nil {
			// It made nothing; what is there (another root's container
			// of the same id) is not ours to remove.
			return err
		}
		defer func() {
			if err != nil {
				Cleanup(o.Store, o.ID, o.Owner)
			}
		}()
		fill := func(upper string) error { return writeInitFiles(upper, hostname) }
		if o.FillUpper != nil {
			fill = o.FillUpper
		}
		if err := fill(fsys.Upper); err != nil {
			return err
		}
		for p := range vols {
			if _, err := st.Volume(o.ID, p); err != nil {
				return err
			}
		}
		return rootfs.MountOverlay(fsys.Merged, &rootfs.Overlay{Lower: fsys.Lower, Upper: fsys.Upper, Work: fsys.Work, Legacy: fsys.MountData})
	}
	return b, makeRoot, nil
}

// Annotations image mode adds to the spec (and so to the state).
const (
	AnnotationStore = "io.github.xrt.image.store"
	AnnotationImage = "org.opencontainers.image.manifest.digest"
)

// writeInitFiles writes the container's /etc files into its upper dir
// (dir/etc exists), as Docker's bind mounts provide them: the hostname, a
// hosts file naming it, and the host's resolv.conf.
func writeInitFiles(dir, hostname string) error {
	hosts := "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
	if hostname != "" {
		hosts += "127.0.1.1\t" + hostname + "\n"
	}
	resolv, err := os.ReadFile("/etc/resolv.conf")
	if err != nil {
		resolv = nil
	}
	for name, content := range map[string][]byte{"hostname": []byte(hostname + "\n"), "hosts": []byte(hosts), "resolv.conf": resolv} {
		if err := os.WriteFile(filepath.Join(dir, "etc", name), content, 0o644); err != nil {
			return fmt.Errorf("init layer: %w", err)
		}
	}
	return nil
}

// CleanupRoot is Cleanup for a container whose annotations say which store
// made its root (container.RootCleanup); nothing to do for any other.
func CleanupRoot(annotations map[string]string, id, owner string) error {
	store := annotations[AnnotationStore]
	if store == "" {
		return nil
	}
	if err := Cleanup(store, id, owner); err != nil {
		return fmt.Errorf("image root: %w", err)
	}
	return nil
}

// MadeRoot reports whether the annotations are those of a container whose
// root an image store made (CleanupRoot then has something to do).
func MadeRoot(annotations map[string]string) bool { return annotations[AnnotationStore] != "" }

// Cleanup unmounts the root of the container whose state directory is
// owner and removes its layers from the store (never the image's).
// Nothing there is fine, and so is a root of that id that belongs to
// another runtime root's live container: it is left alone.
func Cleanup(storeDir, id, owner string) error {
	// Cheap, and creates no store where there is none.
	if !image.HasContainer(storeDir, id) {
		return nil
	}
	st, err := image.Open(storeDir)
	if err != nil {
		return err
	}
	if err := st.CheckOwner(id, owner); err != nil {
		return nil
	}
	fsys, err := st.Rootfs(id)
	if err == nil {
		if err := rootfs.Unmount(fsys.Merged); err != nil {
			return err
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	// Also what a create killed before the root existed left in tmp/.
	if err := st.RemoveContainer(id, owner); err != nil && !errors.Is(err, image.ErrOtherOwner) {
		return err
	}
	return nil
}
