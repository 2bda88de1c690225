// Package logs writes xrt's log in runc's formats, because engines parse it:
// text is logrus's `time="..." level=error msg="..."`, json is one object per
// line with level, msg and time.
package logs

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"
)

var (
	out    *os.File
	asJSON bool
	debug  bool
)

// Setup opens path for appending (stderr when empty) in format "text" or "json".
func Setup(path, format string, withDebug bool) error {
	switch format {
	case "", "text":
	case "json":
		asJSON = true
	default:
		return fmt.Errorf("unknown --log-format %q: use text or json", format)
	}
	debug = withDebug
	if path == "" {
		return nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|syscall.O_CLOEXEC, 0o644)
	if err != nil {
		return fmt.Errorf("open log file: %w", err)
	}
	out = f
	return nil
}

// Enabled says whether a log file was given.
func Enabled() bool { return out != nil }

// write logs one record to the --log file, or stderr without one (as runc
// does: engines capture stderr too).
func write(level, msg string) {
	if level == "debug" && !debug {
		return
	}
	w := out
	if w == nil {
		w = os.Stderr
	}
	now := time.Now().Format(time.RFC3339)
	var line []byte
	if asJSON {
		line, _ = json.Marshal(struct {
			Level string `json:"level"`
			Msg   string `json:"msg"`
			Time  string `json:"time"`
		}{level, msg, now})
	} else {
		line = []byte("time=" + strconv.Quote(now) + " level=" + level + " msg=" + strconv.Quote(msg))
	}
	w.Write(append(line, '\n'))
}

// Write logs msg at level (debug, info, warning, error), as a line that
// init sent. An unknown level is logged as info.
func Write(level, msg string) {
	switch level {
	case "debug", "info", "warning", "error":
	default:
		level = "info"
	}
	write(level, msg)
}

// Debugging says whether --debug was given.
func Debugging() bool { return debug }

// Errorf logs at error level.
func Errorf(format string, a ...any) { write("error", fmt.Sprintf(format, a...)) }

// Warnf logs at warning level.
func Warnf(format string, a ...any) { write("warning", fmt.Sprintf(format, a...)) }

// Debugf logs at debug level, only with --debug.
func Debugf(format string, a ...any) { write("debug", fmt.Sprintf(format, a...)) }
