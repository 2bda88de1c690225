package merge

import "strings"

// DefaultPath is the PATH a process gets when neither the image nor the
// spec sets one (Docker's default).
const DefaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// envKey returns the variable name of a KEY=value entry: the part before the
// first "=", or the whole entry when it has none.
func envKey(entry string) string {
	k, _, _ := strings.Cut(entry, "=")
	return k
}

// mergeEnv returns the image's Env followed by the spec's entries. An
// explicit spec entry replaces the image entry with the same key in place;
// a default (non-explicit) spec entry is added only when the image lacks
// that key. Within one list a later duplicate key replaces the earlier one
// in place. PATH is added last if nobody set it.
func mergeEnv(image, spec []string, explicit Explicit) []string {
	out := make([]string, 0, len(image)+len(spec)+1)
	at := make(map[string]int, len(image)+len(spec))
	put := func(entry string, override bool) {
		k := envKey(entry)
		if i, ok := at[k]; ok {
			if override {
				out[i] = entry
			}
			return
		}
		at[k] = len(out)
		out = append(out, entry)
	}
	for _, e := range image {
		put(e, true)
	}
	for _, e := range spec {
		put(e, explicit.Env || explicit.EnvKeys[envKey(e)])
	}
	if _, ok := at["PATH"]; !ok {
		out = append(out, DefaultPath)
	}
	return out
}
