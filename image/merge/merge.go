// Package merge turns an image's configuration into an OCI runtime spec: it
// fills process.args, env, cwd and user and the annotations from the image
// config the way image-spec's conversion.md describes and Docker's daemon
// behaves, letting whatever the user set explicitly win.
package merge

import (
	"errors"
	"fmt"
	"io/fs"
	"path"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"xrt/image/ocispec"
)

// Explicit says which process fields of the spec the user set on purpose (in
// the bundle's config.json or with flags). Those always win over the image;
// the others are xrt's defaults, which the image replaces.
type Explicit struct {
	// Args: keep process.args unless command-line args are given to Merge.
	Args bool
	// Env: every process.env entry is explicit and wins by key over the
	// image's Env. When false, only the keys in EnvKeys win; the other
	// entries are defaults, added only for keys the image does not set.
	Env bool
	// EnvKeys lists single explicit variables (e.g. from --env KEY=VAL).
	EnvKeys map[string]bool
	// Cwd: keep process.cwd.
	Cwd bool
	// User: keep process.user (uid, gid and additionalGids).
	User bool
}

// ErrNoCommand is returned when neither the user nor the image names a
// command to run.
var ErrNoCommand = errors.New("no command: the image has no Entrypoint or Cmd; give one after --")

// Merge merges the image configuration img into s in place.
//
// rootfs is the image's merged file tree (names without a leading slash, as
// fs.FS wants: "etc/passwd"); it is read only to resolve user and group
// names, and may be nil when the image has none. Its Open must follow
// symbolic links inside the image, never out of it.
//
// args are the command-line arguments given after `--`: when not empty they
// replace the image's Cmd (the Entrypoint stays) and any spec args.
//
// Volumes are not handled here: see Volumes and VolumeMounts.
func Merge(s *specs.Spec, img *ocispec.Image, explicit Explicit, rootfs fs.FS, args []string) error {
	if s == nil || img == nil {
		return errors.New("merge image config: nil spec or image")
	}
	if s.Process == nil {
		s.Process = &specs.Process{}
	}
	cfg := &img.Config
	p := s.Process

	switch {
	case len(args) > 0:
		p.Args = concat(cfg.Entrypoint, args)
	case explicit.Args:
	default:
		p.Args = concat(cfg.Entrypoint, cfg.Cmd)
	}
	if len(p.Args) == 0 {
		return ErrNoCommand
	}

	p.Env = mergeEnv(cfg.Env, p.Env, explicit)

	if !explicit.Cwd && cfg.WorkingDir != "" {
		// Image WorkingDir is meant to be absolute; Docker resolves a
		// relative one against "/".
		p.Cwd = path.Join("/", cfg.WorkingDir)
	}
	if p.Cwd == "" {
		p.Cwd = "/"
	}

	if !explicit.User {
		u, err := resolveUser(cfg.User, rootfs)
		if err != nil {
			return fmt.Errorf("merge image config: %w", err)
		}
		u.Umask = p.User.Umask
		p.User = u
	}

	mergeAnnotations(s, img)
	return nil
}

// concat returns a fresh slice holding a then b, nil when both are empty.
func concat(a, b []string) []string {
	if len(a)+len(b) == 0 {
		return nil
	}
	out := make([]string, 0, len(a)+len(b))
	return append(append(out, a...), b...)
}
