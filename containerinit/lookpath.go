package containerinit

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// lookPath finds the program inside the container, with the container's
// PATH, so a missing executable fails `create`, not `start`. Relative
// names are relative to cwd, where the program will start. Messages match
// Go's os/exec, which engines and users know.
func lookPath(file, cwd string, env []string) (string, error) {
	if strings.Contains(file, "/") {
		path := file
		if !filepath.IsAbs(path) {
			path = filepath.Join(cwd, path)
		}
		if err := executable(path); err != nil {
			return "", fmt.Errorf("exec: %q: %w", file, err)
		}
		return path, nil
	}
	path := defaultPath
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v
		}
	}
	for _, dir := range filepath.SplitList(path) {
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(cwd, dir)
		}
		if p := filepath.Join(dir, file); executable(p) == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("exec: %q: executable file not found in $PATH", file)
}

func executable(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return errors.New("is a directory")
	}
	// Checked as the container's user later: as root now, X_OK is what matters.
	return unix.Access(path, unix.X_OK)
}

// env is process.env, with HOME added from the container's /etc/passwd when
// the config does not set it, as a login would.
func env(p *specs.Process) []string {
	for _, kv := range p.Env {
		if strings.HasPrefix(kv, "HOME=") {
			return p.Env
		}
	}
	return append(p.Env[:len(p.Env):len(p.Env)], "HOME="+homeDir(p.User.UID))
}

func homeDir(uid uint32) string {
	b, err := os.ReadFile("/etc/passwd")
	if err != nil {
		return "/"
	}
	want := fmt.Sprint(uid)
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Split(line, ":")
		if len(f) >= 6 && f[2] == want && f[5] != "" {
			return f[5]
		}
	}
	return "/"
}
