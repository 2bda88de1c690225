package image

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"xrt/containerid"

	"golang.org/x/sys/unix"

	"xrt/mountinfo"
)

// containerImage is containers/<id>/image: what a container holds on to,
// so that neither RemoveImage nor Prune takes it away.
type containerImage struct {
	ManifestDigest string   `json:"manifestDigest"`
	Layers         []string `json:"layers"` // chain IDs, bottom first
	// Owner is the state directory of the container (runtime root/id): the
	// store may be shared by runtime roots that reuse an id.
	Owner string `json:"owner,omitempty"`
}

// ErrOtherOwner is returned (wrapped) by RemoveContainer for a root that
// belongs to a live container of another owner.
var ErrOtherOwner = errors.New("the root belongs to another container of that id")

// validateID is the container id rule (package containerid): an id is
// one path component of the store and part of overlay mount options.
func validateID(id string) error { return containerid.Validate(id) }

// CreateContainer makes the writable layer, work dir, mount point and
// init layer of container id on top of the image's layers, and records
// that the container (whose state directory is owner, if not "") uses
// the image. It mounts nothing.
func (s *Store) CreateContainer(id, owner string, img Stack) (*Rootfs, error) {
	if err := validateID(id); err != nil {
		return nil, fmt.Errorf("create container root: %w", err)
	}
	unlock, err := s.lockMeta()
	if err != nil {
		return nil, err
	}
	defer unlock()
	fail := func(err error) (*Rootfs, error) {
		return nil, fmt.Errorf("create root filesystem of container %s: %w", id, err)
	}
	// Under the lock, the image must still be there: its record, read
	// without the lock, may have been removed since.
	if err := ValidateDigest(img.ManifestDigest); err != nil {
		return fail(err)
	}
	if _, err := os.Stat(s.recordPath(img.ManifestDigest)); errors.Is(err, fs.ErrNotExist) {
		return fail(fmt.Errorf("image %s is not in the store (removed?): pull it again", img.ManifestDigest))
	} else if err != nil {
		return fail(err)
	}
	final := s.path("containers", id)
	if _, err := os.Lstat(final); err == nil {
		return fail(fmt.Errorf("%s already exists: remove the container first", final))
	}
	meta := containerImage{ManifestDigest: img.ManifestDigest, Owner: owner}
	var diffs []string // top first
	for _, chain := range img.ChainIDs {
		if err := ValidateDigest(chain); err != nil {
			return fail(fmt.Errorf("layer of image %s: %w", img.ManifestDigest, err))
		}
		if err := s.checkLayer(chain, img.ManifestDigest); err != nil {
			return fail(err)
		}
		meta.Layers = append(meta.Layers, chain)
		diffs = append([]string{filepath.Join(s.layerDir(chain), "diff")}, diffs...)
	}

	tmp, err := os.MkdirTemp(s.path(TmpDir), CreatingPrefix+id+".")
	if err != nil {
		return fail(err)
	}
	done := false
	defer func() {
		if !done {
			os.RemoveAll(tmp)
		}
	}()
	for _, d := range []struct {
		name string
		mode fs.FileMode
	}{{"upper", 0o755}, {"work", 0o700}, {"merged", 0o755}} {
		if err := os.Mkdir(filepath.Join(tmp, d.name), d.mode); err != nil {
			return fail(err)
		}
	}
	var initDir string
	if len(meta.Layers) > 0 {
		if initDir, err = s.ensureInitLayer(meta.Layers[len(meta.Layers)-1], diffs); err != nil {
			return fail(err)
		}
	}
	// The container's own /etc files (hostname, hosts, resolv.conf) go in
	// its upper dir. overlay shows a merged directory with the attributes
	// of its topmost copy, here the upper dir's: give the root and /etc
	// those of the init layer, which has the image's (root's 0755 when
	// there are no layers).
	if err := os.Mkdir(filepath.Join(tmp, "upper", "etc"), 0o755); err != nil {
		return fail(err)
	}
	for _, d := range []string{"etc", "."} {
		var fi fs.FileInfo
		if initDir != "" {
			if fi, err = os.Lstat(filepath.Join(initDir, d)); err != nil {
				return fail(err)
			}
		}
		if err := copyAttrs(filepath.Join(tmp, "upper", d), fi, 0o755); err != nil {
			return fail(err)
		}
	}
	b, err := json.Marshal(meta)
	if err != nil {
		return fail(err)
	}
	// tmp is not published yet: a plain write, renamed with it.
	if err := os.WriteFile(filepath.Join(tmp, "image"), b, 0o644); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp, final); err != nil {
		return fail(err)
	}
	done = true
	return s.rootfs(id, meta), nil
}

// checkLayer makes sure a layer of image manifest is in the store and
// linked, relinking it when a crash lost its link.
func (s *Store) checkLayer(chainID, manifest string) error {
	if s.hasLayer(chainID) {
		return nil
	}
	if _, ok := s.layerSize(chainID); !ok {
		return fmt.Errorf("layer %s of image %s is missing from the store: remove the image and pull it again", chainID, manifest)
	}
	return s.ensureLink(chainID)
}

// hasLayer reports whether a layer is whole in the store and linked under
// l/: its link points at it, and its diff directory exists (a layer is
// renamed into layers/ only once complete).
func (s *Store) hasLayer(chainID string) bool {
	link := s.linkPath(chainID)
	got, err := os.Readlink(link)
	if err != nil || got != filepath.Join("..", "layers", digestHex(chainID), "diff") {
		return false
	}
	var st unix.Stat_t
	return unix.Stat(link, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFDIR
}

// MergedDir returns where container id's root filesystem is mounted, as
// CreateContainer's Rootfs.Merged but with the store's path free of
// symlinks, before the container is made.
func (s *Store) MergedDir(id string) (string, error) {
	if err := validateID(id); err != nil {
		return "", err
	}
	dir, err := filepath.EvalSymlinks(s.dir)
	if err != nil {
		return "", fmt.Errorf("image store: %w", err)
	}
	return filepath.Join(dir, "containers", id, "merged"), nil
}

// Rootfs returns the root filesystem of an existing container.
func (s *Store) Rootfs(id string) (*Rootfs, error) {
	if err := validateID(id); err != nil {
		return nil, err
	}
	meta, err := s.containerImage(id)
	if err != nil {
		return nil, err
	}
	return s.rootfs(id, *meta), nil
}

func (s *Store) rootfs(id string, meta containerImage) *Rootfs {
	dir := s.path("containers", id)
	r := &Rootfs{
		StoreDir: s.dir,
		Upper:    filepath.Join(dir, "upper"),
		Work:     filepath.Join(dir, "work"),
		Merged:   filepath.Join(dir, "merged"),
	}
	if n := len(meta.Layers); n > 0 {
		r.Lower = append(r.Lower, s.initLayerDir(meta.Layers[n-1]))
	}
	for _, c := range slices.Backward(meta.Layers) {
		r.Lower = append(r.Lower, s.linkPath(c))
	}
	return r
}

func (s *Store) containerImage(id string) (*containerImage, error) {
	b, err := os.ReadFile(s.path("containers", id, "image"))
	if err != nil {
		return nil, fmt.Errorf("container %s: %w", id, err)
	}
	var m containerImage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("container %s: %s: %w", id, s.path("containers", id, "image"), err)
	}
	return &m, nil
}

// containers maps each container in the store to the image it uses. The
// caller holds the store lock.
func (s *Store) containers() (map[string]*containerImage, error) {
	ents, err := os.ReadDir(s.path("containers"))
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	out := map[string]*containerImage{}
	for _, e := range ents {
		if validateID(e.Name()) != nil {
			continue
		}
		m, err := s.containerImage(e.Name())
		if err != nil {
			return nil, err
		}
		out[e.Name()] = m
	}
	return out, nil
}

// RemoveContainer removes container id's directory: writable layer,
// init layer and volumes. The caller unmounts first: while anything is
// mounted there it refuses. The image and its layers stay. Removing a
// container the store does not have is not an error; one that another
// live owner holds (see CheckOwner) is ErrOtherOwner.
func (s *Store) RemoveContainer(id, owner string) error {
	if err := validateID(id); err != nil {
		return fmt.Errorf("remove container root: %w", err)
	}
	unlock, err := s.lockMeta()
	if err != nil {
		return err
	}
	defer unlock()
	if err := s.CheckOwner(id, owner); err != nil {
		return err
	}
	// A create or remove of this id killed half-way left its work in tmp/.
	for _, name := range containerLeftovers(s.dir, id) {
		if err := os.RemoveAll(s.path("tmp", name)); err != nil {
			return fmt.Errorf("remove container %s: %w", id, err)
		}
	}
	dir := s.path("containers", id)
	if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return fmt.Errorf("remove container %s: %w", id, err)
	}
	mounts, err := mountinfo.GetMounts(mountinfo.PrefixFilter(real))
	if err != nil {
		return fmt.Errorf("remove container %s: %w", id, err)
	}
	if len(mounts) > 0 {
		return fmt.Errorf("remove container %s: %s is still mounted: unmount it first", id, mounts[0].Mountpoint)
	}
	// Rename first so that a crash midway leaves no half container.
	tmp, err := moveToTmp(s.path(TmpDir), dir, RemovingPrefix+id+".")
	if err != nil {
		return fmt.Errorf("remove container %s: %w", id, err)
	}
	if err := os.RemoveAll(tmp); err != nil {
		return fmt.Errorf("remove container %s: %w (Prune retries)", id, err)
	}
	return nil
}

// CheckOwner returns ErrOtherOwner when container id's root was made for
// another owner (state directory) than owner, and that one still exists;
// nil when it is owner's, has no owner, is orphaned, or is not there.
func (s *Store) CheckOwner(id, owner string) error {
	m, err := s.containerImage(id)
	if err != nil || m.Owner == "" || owner == "" || m.Owner == owner {
		return nil
	}
	if _, err := os.Stat(m.Owner); err != nil {
		return nil // its container is gone: a leftover anyone may remove
	}
	return fmt.Errorf("container %s in the image store %s: %w (%s)", id, s.dir, ErrOtherOwner, m.Owner)
}

// HasContainer reports whether the store at dir holds container id's root,
// without opening (or creating) the store.
func HasContainer(dir, id string) bool {
	if validateID(id) != nil {
		return false
	}
	_, err := os.Lstat(filepath.Join(dir, ContainersDir, id))
	return err == nil || len(containerLeftovers(dir, id)) > 0
}

// containerLeftovers lists the tmp/ entries of container id's unfinished
// creates and removes.
func containerLeftovers(dir, id string) []string {
	ents, err := os.ReadDir(filepath.Join(dir, TmpDir))
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range ents {
		if n := e.Name(); strings.HasPrefix(n, CreatingPrefix+id+".") || strings.HasPrefix(n, RemovingPrefix+id+".") {
			out = append(out, n)
		}
	}
	return out
}
