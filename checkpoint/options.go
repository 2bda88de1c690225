package checkpoint

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/checkpoint-restore/go-criu/v8/rpc"
	"golang.org/x/sys/unix"
)

// Options are the flags of `xrt checkpoint` and `xrt restore`, named and
// defaulted as runc's.
type Options struct {
	ImagePath  string // default: ./checkpoint
	WorkPath   string // CRIU's work files and log; default: the image path
	ParentPath string // pre-dump images, relative to ImagePath

	LeaveRunning    bool
	TCPEstablished  bool
	TCPSkipInFlight bool
	LinkRemap       bool
	ExtUnixSk       bool
	ShellJob        bool
	FileLocks       bool
	PreDump         bool
	AutoDedup       bool
	LazyPages       bool
	StatusFd        int    // -1: none
	PageServer      string // ADDRESS:PORT
	// ManageCgroupsMode is soft, full, strict or ignore; "" is CRIU's
	// default (soft).
	ManageCgroupsMode string
	// EmptyNs lists namespaces CRIU creates without restoring their
	// contents; the network namespace always is (xrt does not configure
	// networks: whoever made it does).
	EmptyNs []string

	LsmProfile      string // restore only, TYPE:NAME
	LsmMountContext string // restore only
}

// minVersion is the oldest CRIU xrt drives: the RPC version request and
// the options used here are all there by 3.11 (external network
// namespaces; the PID namespace is 3.15, checked where used).
const minVersion = 31100

// checkVersion fails with advice when CRIU is missing or too old.
func checkVersion() (int, error) {
	v, err := Version()
	if err != nil {
		return 0, err
	}
	if v < minVersion {
		return v, fmt.Errorf("criu %d.%d.%d is too old: xrt needs 3.11 or later", v/10000, v/100%100, v%100)
	}
	return v, nil
}

func cgMode(mode string) (rpc.CriuCgMode, error) {
	switch mode {
	case "":
		return rpc.CriuCgMode_DEFAULT, nil
	case "soft":
		return rpc.CriuCgMode_SOFT, nil
	case "full":
		return rpc.CriuCgMode_FULL, nil
	case "strict":
		return rpc.CriuCgMode_STRICT, nil
	case "ignore":
		return rpc.CriuCgMode_IGNORE, nil
	}
	return 0, fmt.Errorf("--manage-cgroups-mode %q: use soft, full, strict or ignore", mode)
}

func (o *Options) emptyNs() (uint32, error) {
	mask := uint32(unix.CLONE_NEWNET)
	for _, ns := range o.EmptyNs {
		if ns != "network" {
			return 0, fmt.Errorf("--empty-ns %q: only network is supported", ns)
		}
	}
	return mask, nil
}

func (o *Options) pageServer() (*rpc.CriuPageServerInfo, error) {
	if o.PageServer == "" {
		return nil, nil
	}
	host, port, err := net.SplitHostPort(o.PageServer)
	p, perr := strconv.ParseUint(port, 10, 16)
	if err != nil || host == "" || perr != nil || p == 0 {
		return nil, fmt.Errorf("--page-server %q: use ADDRESS:PORT", o.PageServer)
	}
	return &rpc.CriuPageServerInfo{Address: ptr(host), Port: ptr(int32(p))}, nil
}

// imagePath returns the image directory, absolute; "./checkpoint" when
// none is given, as with runc.
func (o *Options) imagePath() (string, error) {
	p := o.ImagePath
	if p == "" {
		p = "checkpoint"
	}
	return filepath.Abs(p)
}

// dirs opens the image and work directories for a request and points
// opts at them; it returns CRIU's log file and what to close after.
type dirs struct {
	image, work *os.File
	log         string
}

func (d *dirs) close() {
	if d.image != nil {
		d.image.Close()
	}
	if d.work != nil {
		d.work.Close()
	}
}

// openDirs opens image (made first when mkdir) and the work directory
// (made when missing) and sets them and the log file in opts.
func (o *Options) openDirs(opts *rpc.CriuOpts, image string, mkdir bool, logName string) (*dirs, error) {
	if mkdir {
		if err := os.MkdirAll(image, 0o700); err != nil {
			return nil, fmt.Errorf("create the image directory: %w", err)
		}
	}
	d := &dirs{log: filepath.Join(image, logName)}
	var err error
	if d.image, err = os.Open(image); err != nil {
		return nil, fmt.Errorf("open the image directory (--image-path): %w", err)
	}
	opts.ImagesDirFd = ptr(int32(d.image.Fd()))
	if o.WorkPath != "" {
		if err := os.MkdirAll(o.WorkPath, 0o700); err != nil {
			d.close()
			return nil, fmt.Errorf("create the work directory (--work-path): %w", err)
		}
		if d.work, err = os.Open(o.WorkPath); err != nil {
			d.close()
			return nil, fmt.Errorf("open the work directory (--work-path): %w", err)
		}
		opts.WorkDirFd = ptr(int32(d.work.Fd()))
		abs, _ := filepath.Abs(o.WorkPath)
		d.log = filepath.Join(abs, logName)
	}
	opts.LogLevel = ptr(int32(4))
	opts.LogFile = ptr(logName)
	return d, nil
}

// configFile sets CRIU's configuration file as runc does: the annotation
// org.criu.config names it ("" for none), else /etc/criu/runc.conf. CRIU
// ignores a file that does not exist.
func configFile(opts *rpc.CriuOpts, annotations map[string]string) {
	if f, ok := annotations[ConfigAnnotation]; ok {
		if f != "" {
			opts.ConfigFile = ptr(f)
		}
		return
	}
	opts.ConfigFile = ptr("/etc/criu/runc.conf")
}

// ConfigAnnotation names a CRIU configuration file for the container; its
// settings override xrt's (so `features` lists it as potentially unsafe).
const ConfigAnnotation = "org.criu.config"

// withLog adds CRIU's log to err: the last lines that report an error and
// where the whole log is.
func withLog(err error, log string) error {
	if err == nil {
		return nil
	}
	if _, serr := os.Stat(log); serr != nil {
		return fmt.Errorf("%w (no CRIU log at %s)", err, log)
	}
	if last := lastErrors(log, 3); last != "" && !strings.Contains(err.Error(), last) {
		return fmt.Errorf("%w: %s (CRIU's log: %s)", err, last, log)
	}
	return fmt.Errorf("%w (CRIU's log: %s)", err, log)
}

// lastErrors returns the last n lines of the log that say "Error", joined.
func lastErrors(log string, n int) string {
	f, err := os.Open(log)
	if err != nil {
		return ""
	}
	defer f.Close()
	var lines []string
	s := bufio.NewScanner(f)
	s.Buffer(make([]byte, 64*1024), 1<<20)
	for s.Scan() {
		if bytes.Contains(s.Bytes(), []byte("Error")) {
			lines = append(lines, strings.TrimSpace(s.Text()))
			if len(lines) > n {
				lines = lines[1:]
			}
		}
	}
	return strings.Join(lines, "; ")
}
