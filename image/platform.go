package image

import (
	"bufio"
	"os"
	"runtime"
	"strings"

	"xrt/image/ocispec"
)

// platform is what an image index entry must describe to run here.
type platform struct {
	os, arch string
	// level is the host's variant as a number (amd64 v1-v4, arm v5-v8):
	// entries with a variant up to it run here, and the highest one wins.
	level int
}

func (p platform) String() string { return p.os + "/" + p.arch }

// hostPlatform describes this machine. xrt runs Linux containers only.
func hostPlatform() platform {
	p := platform{os: "linux", arch: runtime.GOARCH}
	switch p.arch {
	case "amd64":
		p.level = amd64Level()
	case "arm":
		p.level = armLevel()
	case "arm64":
		p.level = 8
	}
	return p
}

// amd64Level is the x86-64 micro-architecture level of this CPU
// (the GOAMD64 levels the image-index "variant" v1-v4 names), from the
// flags in /proc/cpuinfo. Read only when an index asks: a CPU feature
// package would run CPUID (a VM exit) in every xrt process at start-up.
func amd64Level() int {
	flags := cpuFlags()
	has := func(names ...string) bool {
		for _, n := range names {
			if !flags[n] {
				return false
			}
		}
		return true
	}
	switch {
	case !has("cx16", "lahf_lm", "popcnt", "pni", "sse4_1", "sse4_2", "ssse3"):
		return 1
	case !has("avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave"):
		return 2
	case !has("avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"):
		return 3
	}
	return 4
}

// cpuFlags returns the "flags" of the first CPU in /proc/cpuinfo.
func cpuFlags() map[string]bool {
	flags := map[string]bool{}
	for _, fl := range strings.Fields(cpuinfo("flags")) {
		flags[fl] = true
	}
	return flags
}

// cpuinfo returns the first value of key in /proc/cpuinfo ("" if none).
func cpuinfo(key string) string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// armLevel reads the ARM architecture version from /proc/cpuinfo
// ("CPU architecture: 7"); 7 when it cannot tell.
func armLevel() int {
	if v := cpuinfo("CPU architecture"); len(v) > 0 && v[0] >= '5' && v[0] <= '8' {
		return int(v[0] - '0')
	}
	return 7
}

// rank says how well an index entry's platform fits the host: 0 means it
// cannot run here, higher is better.
func (h platform) rank(p *ocispec.Platform) int {
	if p == nil || p.OS != h.os || normalizeArch(p.Architecture) != h.arch {
		return 0
	}
	v := strings.ToLower(p.Variant)
	if v == "" {
		return 1
	}
	switch h.arch {
	case "amd64", "arm", "arm64":
		if len(v) != 2 || v[0] != 'v' || v[1] < '1' || v[1] > '9' {
			return 0
		}
		n := int(v[1] - '0')
		if n > h.level {
			return 0
		}
		return 1 + n
	}
	// No variants are defined for other architectures: trust the entry.
	return 1
}

// normalizeArch maps the uname spellings some tools write to GOARCH names.
func normalizeArch(a string) string {
	switch a {
	case "x86_64", "x86-64":
		return "amd64"
	case "aarch64":
		return "arm64"
	case "i386", "i686":
		return "386"
	}
	return a
}

// platformString formats p as os/arch[/variant] for error messages.
func platformString(p *ocispec.Platform) string {
	if p == nil {
		return "(no platform)"
	}
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}
