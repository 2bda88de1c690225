package containerinit

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// setupKernel applies the per-namespace kernel settings: hostname,
// domainname, sysctl. It runs after pivot_root (so /proc/sys is the
// container's) and before the readonly paths make /proc/sys read-only.
func setupKernel(s *specs.Spec) error {
	if s.Hostname != "" {
		if err := unix.Sethostname([]byte(s.Hostname)); err != nil {
			return fmt.Errorf("set hostname %q: %w", s.Hostname, err)
		}
	}
	if s.Domainname != "" {
		if err := unix.Setdomainname([]byte(s.Domainname)); err != nil {
			return fmt.Errorf("set domainname %q: %w", s.Domainname, err)
		}
	}
	if s.Linux == nil {
		return nil
	}
	for key, value := range s.Linux.Sysctl {
		path := "/proc/sys/" + strings.ReplaceAll(key, ".", "/")
		if err := os.WriteFile(path, []byte(value), 0); err != nil {
			return fmt.Errorf("set sysctl %s=%s: %w", key, value, err)
		}
	}
	return nil
}

// setupProcessKernel applies oomScoreAdj and personality, which must happen
// while init still has its capabilities.
func setupProcessKernel(s *specs.Spec) error {
	p := s.Process
	if p.OOMScoreAdj != nil {
		if err := os.WriteFile("/proc/self/oom_score_adj", []byte(strconv.Itoa(*p.OOMScoreAdj)), 0); err != nil {
			return fmt.Errorf("set oomScoreAdj %d: %w", *p.OOMScoreAdj, err)
		}
	}
	if s.Linux != nil && s.Linux.Personality != nil {
		var domain uintptr
		switch s.Linux.Personality.Domain {
		case specs.PerLinux:
			domain = 0x0000
		case specs.PerLinux32:
			domain = 0x0008
		default:
			return fmt.Errorf("unknown personality domain %q: use LINUX or LINUX32", s.Linux.Personality.Domain)
		}
		if _, _, errno := unix.RawSyscall(unix.SYS_PERSONALITY, domain, 0, 0); errno != 0 {
			return fmt.Errorf("set personality %s: %w", s.Linux.Personality.Domain, errno)
		}
	}
	return nil
}
