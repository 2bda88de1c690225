package hooks

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// script writes an executable #!/bin/sh script into dir.
func script(t *testing.T, dir, name, body string) string {
	t.Helper()
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skipf("no /bin/sh: %v", err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func testState() *specs.State {
	return &specs.State{
		Version:     specs.Version,
		ID:          "hook-test",
		Status:      specs.StateCreated,
		Pid:         4242,
		Bundle:      "/bundles/hook-test",
		Annotations: map[string]string{"a": "b"},
	}
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the hook did not write %s: %v", path, err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

func TestRunNothing(t *testing.T) {
	if err := Run("poststart", nil, testState()); err != nil {
		t.Errorf("Run with no hooks = %v", err)
	}
	if err := Run("poststart", []specs.Hook{}, nil); err != nil {
		t.Errorf("Run with an empty list = %v", err)
	}
}

func TestRunStateArgsEnv(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	path := script(t, dir, "hook", `cat > "`+out+`.json"
printf '%s\n' "$0" "$@" > "`+out+`.args"
env > "`+out+`.env"
`)
	state := testState()
	err := Run("createRuntime", []specs.Hook{{
		Path: path,
		Args: []string{"argv0-name", "one", "two words"},
		Env:  []string{"FOO=bar", "EMPTY="},
	}}, state)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}

	b, err := os.ReadFile(out + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("stdin is not JSON: %v: %q", err, b)
	}
	for k, want := range map[string]any{
		"ociVersion": specs.Version, "id": "hook-test", "status": "created",
		"pid": float64(4242), "bundle": "/bundles/hook-test",
	} {
		if got[k] != want {
			t.Errorf("state %s = %v, want %v", k, got[k], want)
		}
	}
	if ann, _ := got["annotations"].(map[string]any); ann["a"] != "b" {
		t.Errorf("state annotations = %v", got["annotations"])
	}

	// args[0] is argv0, not a first argument; $0 of a #! script is its
	// path as the kernel passes it, so check the rest and, with /proc, argv0.
	args := readLines(t, out+".args")
	if len(args) != 3 || args[1] != "one" || args[2] != "two words" {
		t.Errorf("args = %q, want $0 then one, two words", args)
	}

	env := readLines(t, out+".env")
	for _, want := range []string{"FOO=bar", "EMPTY="} {
		found := false
		for _, kv := range env {
			found = found || kv == want
		}
		if !found {
			t.Errorf("env %q lacks %s", env, want)
		}
	}
	// The runtime's own environment does not leak into the hook.
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "FOO", "EMPTY", "PWD", "SHLVL", "_", "OLDPWD", "PATH", "IFS", "PS1", "PS2", "PS4", "OPTIND":
			// set by the hook's own shell
		default:
			t.Errorf("unexpected variable in the hook's env: %q", kv)
		}
	}
}

func TestRunArgv0(t *testing.T) {
	// A binary sees argv[0] as given: hook.Args[0] is argv0, hook.Path is run.
	if _, err := os.Stat("/proc/self/cmdline"); err != nil {
		t.Skip("no /proc")
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "cmdline")
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	err = Run("poststop", []specs.Hook{{
		Path: sh,
		Args: []string{"my-argv0", "-c", `tr '\0' '\n' < /proc/$$/cmdline > "$1"`, "x", out},
	}}, testState())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	got := readLines(t, out)
	want := []string{"my-argv0", "-c", `tr '\0' '\n' < /proc/$$/cmdline > "$1"`, "x", out}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("cmdline = %q, want %q", got, want)
	}

	// Without Args, argv is just the path.
	out2 := filepath.Join(dir, "noargs")
	path := script(t, dir, "noargs", `echo "$0 $#" > "`+out2+`"`)
	if err := Run("poststop", []specs.Hook{{Path: path}}, testState()); err != nil {
		t.Fatal(err)
	}
	if got := readLines(t, out2); len(got) != 1 || got[0] != path+" 0" {
		t.Errorf("without args: %q, want %q", got, path+" 0")
	}
}

func TestRunFailure(t *testing.T) {
	dir := t.TempDir()
	ok := script(t, dir, "ok", "exit 0\n")
	bad := script(t, dir, "bad", "echo 'to stdout'\necho 'to stderr' >&2\nexit 3\n")
	err := Run("prestart", []specs.Hook{{Path: ok}, {Path: bad}}, testState())
	if err == nil {
		t.Fatal("Run of a failing hook succeeded")
	}
	msg := err.Error()
	for _, want := range []string{"error running prestart hook #1: " + bad + ":", "exit status 3", "to stdout", "to stderr"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not contain %q", msg, want)
		}
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Errorf("error does not wrap the *exec.ExitError with status 3: %v", err)
	}

	// Without output, the bare exit status.
	silent := script(t, dir, "silent", "exit 1\n")
	err = Run("poststop", []specs.Hook{{Path: silent}}, testState())
	if want := "error running poststop hook #0: " + silent + ": exit status 1"; err == nil || err.Error() != want {
		t.Errorf("silent failure = %v, want %q", err, want)
	}

	// A hook that is not there.
	missing := filepath.Join(dir, "missing")
	err = Run("createContainer", []specs.Hook{{Path: missing}}, testState())
	if err == nil || !strings.Contains(err.Error(), "error running createContainer hook #0: "+missing+":") {
		t.Errorf("missing hook = %v", err)
	}
}

func TestRunStopsAtFirstFailure(t *testing.T) {
	dir := t.TempDir()
	first := filepath.Join(dir, "first-ran")
	third := filepath.Join(dir, "third-ran")
	hs := []specs.Hook{
		{Path: script(t, dir, "one", "touch '"+first+"'\n")},
		{Path: script(t, dir, "two", "exit 1\n")},
		{Path: script(t, dir, "three", "touch '"+third+"'\n")},
	}
	err := Run("createRuntime", hs, testState())
	if err == nil || !strings.Contains(err.Error(), "error running createRuntime hook #1: ") {
		t.Fatalf("Run = %v, want hook #1 to fail", err)
	}
	if _, err := os.Stat(first); err != nil {
		t.Errorf("the first hook did not run: %v", err)
	}
	if _, err := os.Stat(third); err == nil {
		t.Error("the hook after the failing one ran")
	}
}

func TestRunTimeout(t *testing.T) {
	dir := t.TempDir()
	one := 1
	// exec: the shell becomes sleep, so killing the hook kills the sleeper.
	path := script(t, dir, "slow", "exec sleep 5\n")
	start := time.Now()
	err := Run("poststart", []specs.Hook{{Path: path, Timeout: &one}}, testState())
	took := time.Since(start)
	if err == nil {
		t.Fatal("a hook past its timeout succeeded")
	}
	if want := "error running poststart hook #0: " + path + ": timed out after 1s"; err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
	if took < 900*time.Millisecond || took > 2500*time.Millisecond {
		t.Errorf("Run took %v, want about 1s", took)
	}
}

func TestRunTimeoutNotReached(t *testing.T) {
	dir := t.TempDir()
	ten := 10
	path := script(t, dir, "fast", "exit 0\n")
	if err := Run("poststart", []specs.Hook{{Path: path, Timeout: &ten}}, testState()); err != nil {
		t.Errorf("a fast hook with a timeout failed: %v", err)
	}
}

// TestRunTimeoutChildHoldsOutput: a hook whose shell runs sleep as a child
// (no exec) is killed at its timeout, but the child keeps the output pipe
// open, and Run waits for it: exec.Cmd.WaitDelay is not set.
func TestRunTimeoutChildHoldsOutput(t *testing.T) {
	dir := t.TempDir()
	one := 1
	path := script(t, dir, "slow", "sleep 3\nexit 0\n")
	start := time.Now()
	err := Run("poststart", []specs.Hook{{Path: path, Timeout: &one}}, testState())
	took := time.Since(start)
	if err == nil || !strings.HasSuffix(err.Error(), "timed out after 1s") {
		t.Errorf("error = %v, want a timeout", err)
	}
	if took > 2500*time.Millisecond {
		t.Errorf("Run returned after %v, not ~1s: the killed hook's child held its stdout open", took.Round(100*time.Millisecond))
	}
}
