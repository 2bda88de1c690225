package seccomp

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// cacheFormat changes whenever what Compile produces for the same input
// changes (other than through the libseccomp version, which is in the key).
const cacheFormat = "xrt-seccomp-3" // 2: the ENOSYS stub; 3: TSYNC dropped, SPEC_ALLOW by default

// CompileCached is Compile with a cache of compiled programs in cacheDir
// (e.g. /run/xrt/.seccomp-cache). libseccomp needs ~15 ms for Docker's
// default profile on three architectures; a cache hit is one small file read.
//
// The key is the SHA-256 of the profile's JSON without listenerPath and
// listenerMetadata (they do not change the filter, and per-container
// metadata would otherwise fill the cache), of the libseccomp version and of
// the native architecture. A missing, unreadable or corrupt entry is
// recompiled and rewritten; failing to write the cache is not an error,
// since the program itself is fine.
func CompileCached(s *specs.LinuxSeccomp, cacheDir string) (*Program, error) {
	if s == nil {
		return nil, nil
	}
	key, err := cacheKey(s)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(cacheDir, key+".bpf")
	if p := readCached(path); p != nil {
		p.ListenerPath, p.ListenerMetadata = s.ListenerPath, s.ListenerMetadata
		return p, nil
	}
	p, err := Compile(s)
	if err != nil {
		return nil, err
	}
	writeCached(cacheDir, path, p)
	return p, nil
}

func cacheKey(s *specs.LinuxSeccomp) (string, error) {
	c := *s
	c.ListenerPath, c.ListenerMetadata = "", ""
	b, err := json.Marshal(&c)
	if err != nil {
		return "", fmt.Errorf("seccomp cache: encode profile: %w", err)
	}
	h := sha256.New()
	// JSON drops an empty flags list as it drops a missing one; they
	// compile differently (no list: SPEC_ALLOW).
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%t\x00", cacheFormat, LibseccompVersion(), runtime.GOARCH, s.Flags == nil)
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// A cache entry is cacheMagic, the flags (uint64, little endian), a notify
// byte (0 or 1) and the raw filter: binary, since decoding a JSON Program
// with its base64 filter costs more than all the rest of a hit.
const cacheMagic = "XRTSCMP1"

const cacheHeader = len(cacheMagic) + 8 + 1

func readCached(path string) *Program {
	b, err := os.ReadFile(path)
	if err != nil || len(b) < cacheHeader || string(b[:len(cacheMagic)]) != cacheMagic {
		return nil
	}
	p := &Program{
		Flags:  uint(binary.LittleEndian.Uint64(b[len(cacheMagic):])),
		Filter: b[cacheHeader:],
	}
	switch b[cacheHeader-1] {
	case 0:
	case 1:
		p.Notify = true
	default:
		return nil
	}
	if _, err := decodeFilter(p.Filter); err != nil {
		return nil
	}
	return p
}

// writeCached stores p without the listener fields, atomically: a reader
// sees the old entry, no entry or the whole new one.
func writeCached(dir, path string, p *Program) {
	b := make([]byte, cacheHeader, cacheHeader+len(p.Filter))
	copy(b, cacheMagic)
	binary.LittleEndian.PutUint64(b[len(cacheMagic):], uint64(p.Flags))
	if p.Notify {
		b[cacheHeader-1] = 1
	}
	b = append(b, p.Filter...)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return
	}
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return
	}
	_, werr := f.Write(b)
	cerr := f.Close()
	if werr != nil || cerr != nil || os.Rename(f.Name(), path) != nil {
		os.Remove(f.Name())
	}
}
