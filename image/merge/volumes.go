package merge

import (
	"path"
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"xrt/image/ocispec"
)

// Volumes returns the image's volume paths, cleaned, absolute, sorted and
// without duplicates. The caller makes one anonymous volume directory per
// path for the container and passes them to VolumeMounts.
func Volumes(cfg *ocispec.ImageConfig) []string {
	if cfg == nil || len(cfg.Volumes) == 0 {
		return nil
	}
	out := make([]string, 0, len(cfg.Volumes))
	for v := range cfg.Volumes {
		out = append(out, path.Join("/", v))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// VolumeMounts returns the bind mounts for vols (container path to host
// directory), sorted by destination, leaving out every destination s
// already mounts something at: a mount the user configured wins. The
// caller appends them to s.Mounts.
func VolumeMounts(s *specs.Spec, vols map[string]string) []specs.Mount {
	taken := map[string]bool{}
	if s != nil {
		for _, m := range s.Mounts {
			taken[path.Join("/", m.Destination)] = true
		}
	}
	dests := make([]string, 0, len(vols))
	for d := range vols {
		dests = append(dests, d)
	}
	slices.Sort(dests)
	var out []specs.Mount
	for _, d := range dests {
		clean := path.Join("/", d)
		if taken[clean] {
			continue
		}
		taken[clean] = true
		out = append(out, specs.Mount{
			Destination: clean,
			Type:        "bind",
			Source:      vols[d],
			Options:     []string{"rbind", "rw"},
		})
	}
	return out
}
