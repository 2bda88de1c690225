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

// env is process.env as the program sees it, as runc makes it: a name
// listed twice is there once, with its last value, where it first came;
// an unset or empty HOME is set from the container's /etc/passwd.
func env(p *specs.Process) []string {
	out := make([]string, 0, len(p.Env)+1)
	at := make(map[string]int, len(p.Env))
	for _, kv := range p.Env {
		name, _, _ := strings.Cut(kv, "=")
		if i, ok := at[name]; ok {
			out[i] = kv
			continue
		}
		at[name] = len(out)
		out = append(out, kv)
	}
	if i, ok := at["HOME"]; !ok || out[i] == "HOME=" {
		home := "HOME=" + homeDir(p.User.UID)
		if ok {
			out[i] = home
		} else {
			out = append(out, home)
		}
	}
	return out
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
