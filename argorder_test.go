package main

import (
	"slices"
	"testing"
)

func TestFlagsFirst(t *testing.T) {
	app := newApp()
	for _, tc := range []struct{ in, want []string }{
		{[]string{"xrt", "update", "ct", "--cpu-rt-period", "900000"},
			[]string{"xrt", "update", "--cpu-rt-period", "900000", "ct"}},
		{[]string{"xrt", "--root", "/r", "kill", "ct", "KILL", "--all"},
			[]string{"xrt", "--root", "/r", "kill", "--all", "ct", "KILL"}},
		{[]string{"xrt", "--root=/r", "delete", "ct", "-f"},
			[]string{"xrt", "--root=/r", "delete", "-f", "ct"}},
		{[]string{"xrt", "create", "ct", "--bundle=/b", "--pid-file", "p"},
			[]string{"xrt", "create", "--bundle=/b", "--pid-file", "p", "ct"}},
		// exec's arguments are a command line of their own.
		{[]string{"xrt", "exec", "ct", "ls", "-l", "--tty"},
			[]string{"xrt", "exec", "ct", "ls", "-l", "--tty"}},
		// After "--" nothing moves.
		{[]string{"xrt", "run", "--image", "/i", "ct", "--", "sh", "-d"},
			[]string{"xrt", "run", "--image", "/i", "ct", "--", "sh", "-d"}},
		// A flag the command does not have stays an argument.
		{[]string{"xrt", "state", "ct", "--nosuch"},
			[]string{"xrt", "state", "ct", "--nosuch"}},
		{[]string{"xrt", "--debug"}, []string{"xrt", "--debug"}},
	} {
		if got := flagsFirst(app, tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("flagsFirst(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
