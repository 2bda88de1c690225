package main

import (
	"strings"

	"github.com/urfave/cli/v2"
)

// flagsFirst moves a command's flags that follow its arguments in front of
// them (`xrt update ID --memory 1M`), which runc's command line accepts and
// urfave/cli v2 does not. Everything after "--" stays where it is, and so
// does every argument of exec and ps, whose arguments are a command line of
// their own (runc does the same).
func flagsFirst(app *cli.App, args []string) []string {
	i := commandIndex(app.Flags, args)
	if i < 0 {
		return args
	}
	cmd := findCommand(app.Commands, args[i])
	if cmd == nil || cmd.Name == "exec" || cmd.Name == "ps" {
		return args
	}
	var flags, rest []string
	tail := args[i+1:]
	for j := 0; j < len(tail); j++ {
		a := tail[j]
		if a == "--" {
			rest = append(rest, tail[j:]...)
			break
		}
		f := lookupFlag(cmd.Flags, a)
		if f == nil {
			rest = append(rest, a)
			continue
		}
		flags = append(flags, a)
		if takesValue(f) && !strings.Contains(a, "=") && j+1 < len(tail) {
			j++
			flags = append(flags, tail[j])
		}
	}
	out := make([]string, 0, len(args))
	out = append(out, args[:i+1]...)
	out = append(out, flags...)
	return append(out, rest...)
}

// commandIndex finds the command name in args, past the global flags.
func commandIndex(global []cli.Flag, args []string) int {
	for i := 1; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") || a == "-" {
			return i
		}
		if a == "--" {
			return -1
		}
		if f := lookupFlag(global, a); f != nil && takesValue(f) && !strings.Contains(a, "=") {
			i++
		}
	}
	return -1
}

func findCommand(cmds []*cli.Command, name string) *cli.Command {
	for _, c := range cmds {
		if c.HasName(name) {
			return c
		}
	}
	return nil
}

// lookupFlag returns the flag that arg ("-x", "--name", "--name=v") names.
func lookupFlag(flags []cli.Flag, arg string) cli.Flag {
	if !strings.HasPrefix(arg, "-") || arg == "-" || arg == "--" {
		return nil
	}
	name := strings.TrimLeft(arg, "-")
	name, _, _ = strings.Cut(name, "=")
	for _, f := range flags {
		for _, n := range f.Names() {
			if n == name {
				return f
			}
		}
	}
	return nil
}

func takesValue(f cli.Flag) bool {
	d, ok := f.(cli.DocGenerationFlag)
	return ok && d.TakesValue()
}
