package logs

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// reset puts the package's global state back as a new process has it, now
// and when the test ends.
func reset(t *testing.T) {
	t.Helper()
	zero := func() {
		if out != nil {
			out.Close()
		}
		out, asJSON, debug = nil, false, false
	}
	zero()
	t.Cleanup(zero)
}

// setup resets the package and sets it up to log to a new file, whose path
// it returns.
func setup(t *testing.T, format string, withDebug bool) string {
	t.Helper()
	reset(t)
	path := filepath.Join(t.TempDir(), "xrt.log")
	if err := Setup(path, format, withDebug); err != nil {
		t.Fatalf("Setup(%q, %q, %v): %v", path, format, withDebug, err)
	}
	return path
}

func lines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) == 0 {
		return nil
	}
	if b[len(b)-1] != '\n' {
		t.Errorf("log does not end in a newline: %q", b)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

var textLine = regexp.MustCompile(`^time="([^"]+)" level=(error|warning|debug) msg=(".*")$`)

func TestText(t *testing.T) {
	for _, format := range []string{"text", ""} {
		t.Run("format "+strconv.Quote(format), func(t *testing.T) {
			path := setup(t, format, false)
			if !Enabled() {
				t.Error("Enabled() = false with a log file")
			}
			before := time.Now().Add(-time.Second)
			Errorf("container %q: %s", "c1", `say "hi"\now`)
			Warnf("multi\nline")
			got := lines(t, path)
			if len(got) != 2 {
				t.Fatalf("log = %q, want 2 lines", got)
			}
			for i, want := range []struct{ level, msg string }{
				{"error", `container "c1": say "hi"\now`},
				{"warning", "multi\nline"},
			} {
				m := textLine.FindStringSubmatch(got[i])
				if m == nil {
					t.Errorf("line %q does not match %s", got[i], textLine)
					continue
				}
				if m[2] != want.level {
					t.Errorf("level = %q, want %q", m[2], want.level)
				}
				msg, err := strconv.Unquote(m[3])
				if err != nil || msg != want.msg {
					t.Errorf("msg = %s (%v), want %q", m[3], err, want.msg)
				}
				ts, err := time.Parse(time.RFC3339, m[1])
				if err != nil {
					t.Errorf("time %q: %v", m[1], err)
				} else if ts.Before(before) || ts.After(time.Now().Add(time.Second)) {
					t.Errorf("time %v is not now", ts)
				}
			}
			// The exact form, quotes and backslashes escaped as logrus does.
			wantTail := ` level=error msg="container \"c1\": say \"hi\"\\now"`
			if !strings.HasSuffix(got[0], wantTail) {
				t.Errorf("line %q does not end in %q", got[0], wantTail)
			}
		})
	}
}

func TestJSON(t *testing.T) {
	path := setup(t, "json", false)
	before := time.Now().Add(-time.Second)
	Errorf("bad %s", `"thing"`)
	Warnf("w")
	got := lines(t, path)
	if len(got) != 2 {
		t.Fatalf("log = %q, want 2 lines", got)
	}
	for i, want := range []struct{ level, msg string }{{"error", `bad "thing"`}, {"warning", "w"}} {
		var rec map[string]any
		if err := json.Unmarshal([]byte(got[i]), &rec); err != nil {
			t.Fatalf("line %q is not JSON: %v", got[i], err)
		}
		if len(rec) != 3 {
			t.Errorf("keys of %q: want exactly level, msg, time", got[i])
		}
		if rec["level"] != want.level || rec["msg"] != want.msg {
			t.Errorf("record %v, want level %q msg %q", rec, want.level, want.msg)
		}
		s, _ := rec["time"].(string)
		ts, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Errorf("time %q does not parse as RFC 3339: %v", s, err)
		} else if ts.Before(before) || ts.After(time.Now().Add(time.Second)) {
			t.Errorf("time %v is not now", ts)
		}
	}
	// Keys in runc's order.
	if !strings.HasPrefix(got[1], `{"level":"warning","msg":"w","time":"`) {
		t.Errorf("line %q: want keys level, msg, time in that order", got[1])
	}
}

func TestDebug(t *testing.T) {
	for _, tc := range []struct {
		format string
		debug  bool
	}{{"text", false}, {"text", true}, {"json", false}, {"json", true}} {
		t.Run(tc.format+"/debug="+strconv.FormatBool(tc.debug), func(t *testing.T) {
			path := setup(t, tc.format, tc.debug)
			Debugf("details %d", 42)
			Errorf("boom")
			got := lines(t, path)
			want := 1
			if tc.debug {
				want = 2
			}
			if len(got) != want {
				t.Fatalf("log = %q, want %d lines", got, want)
			}
			if tc.debug {
				wantDebug := `level=debug msg="details 42"`
				if tc.format == "json" {
					wantDebug = `{"level":"debug","msg":"details 42",`
				}
				if !strings.Contains(got[0], wantDebug) {
					t.Errorf("first line %q: want the debug record (%s)", got[0], wantDebug)
				}
			}
			if !strings.Contains(got[len(got)-1], "boom") {
				t.Errorf("last line %q: want the error record", got[len(got)-1])
			}
		})
	}
}

func TestUnknownFormat(t *testing.T) {
	reset(t)
	path := filepath.Join(t.TempDir(), "xrt.log")
	err := Setup(path, "yaml", false)
	if err == nil {
		t.Fatal("Setup with format yaml succeeded")
	}
	if want := `unknown --log-format "yaml": use text or json`; err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
	if Enabled() {
		t.Error("Enabled() after a failed Setup")
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("a failed Setup created the log file: %v", err)
	}
}

func TestAppends(t *testing.T) {
	reset(t)
	path := filepath.Join(t.TempDir(), "xrt.log")
	if err := os.WriteFile(path, []byte("old line\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Setup(path, "text", false); err != nil {
		t.Fatal(err)
	}
	Errorf("new")
	got := lines(t, path)
	if len(got) != 2 || got[0] != "old line" || !strings.HasSuffix(got[1], `msg="new"`) {
		t.Errorf("log = %q, want the old line kept and the new one appended", got)
	}
}

func TestSetupUnwritable(t *testing.T) {
	reset(t)
	err := Setup(filepath.Join(t.TempDir(), "no", "such", "dir", "xrt.log"), "text", false)
	if err == nil || !strings.HasPrefix(err.Error(), "open log file: ") {
		t.Errorf("Setup in a missing directory = %v, want an open log file error", err)
	}
	if Enabled() {
		t.Error("Enabled() after a failed Setup")
	}
}

func TestStderrWithoutFile(t *testing.T) {
	reset(t)
	if err := Setup("", "json", false); err != nil {
		t.Fatal(err)
	}
	if Enabled() {
		t.Error("Enabled() = true without a log file")
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stderr
	os.Stderr = w
	Errorf("to stderr")
	os.Stderr = saved
	w.Close()
	b, err := io.ReadAll(r)
	r.Close()
	if err != nil {
		t.Fatal(err)
	}
	var rec map[string]string
	if err := json.Unmarshal(b, &rec); err != nil || rec["msg"] != "to stderr" || rec["level"] != "error" {
		t.Errorf("stderr got %q (%v), want a JSON error record", b, err)
	}
}
