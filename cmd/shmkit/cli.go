package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
)

// A command is one subcommand's flags and help. Every subcommand takes
// -h and --help (help on stdout, exit 0, as ipcs, ipcrm and iox2 do), flags
// before, between or after its operands, and "--" before an operand that
// starts with a dash.
type command struct {
	name     string // "ls"
	synopsis string // "shmkit ls [--all] [--json]"
	about    string // what it does, a paragraph or two
	fs       *flag.FlagSet
}

func newCommand(name, synopsis, about string) *command {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {} // parse prints what it needs
	return &command{name: name, synopsis: synopsis, about: about, fs: fs}
}

// help writes the command's help: synopsis, about and flags.
func (c *command) help(w io.Writer) {
	fmt.Fprintf(w, "usage: %s\n\n%s\n", c.synopsis, strings.TrimRight(c.about, "\n"))
	if f := flagLines(c.fs); f != "" {
		fmt.Fprintf(w, "\nflags:\n%s", f)
	}
}

// flagLines lists fs's flags as GNU tools do: "--name" for a long flag,
// "-n" for a one-letter one, a flag and its aliases (flags that set the
// same variable) on one line, the default where it is not the zero value.
// (The flag package's PrintDefaults writes every flag with one dash.)
func flagLines(fs *flag.FlagSet) string {
	type entry struct {
		names []string
		f     *flag.Flag
	}
	var entries []*entry
	byValue := map[flag.Value]*entry{}
	fs.VisitAll(func(f *flag.Flag) {
		dash := "--"
		if len(f.Name) == 1 {
			dash = "-"
		}
		if e, ok := byValue[f.Value]; ok {
			e.names = append(e.names, dash+f.Name)
			if len(f.Name) > len(e.f.Name) {
				e.f = f // the long name's usage describes the flag
			}
			return
		}
		e := &entry{names: []string{dash + f.Name}, f: f}
		byValue[f.Value] = e
		entries = append(entries, e)
	})
	var b strings.Builder
	for _, e := range entries {
		sort.Slice(e.names, func(i, j int) bool { return len(e.names[i]) < len(e.names[j]) })
		arg, usage := flag.UnquoteUsage(e.f)
		fmt.Fprintf(&b, "  %s", strings.Join(e.names, ", "))
		if arg != "" {
			fmt.Fprintf(&b, " %s", arg)
		}
		fmt.Fprintf(&b, "\n    \t%s", usage)
		if d := e.f.DefValue; d != "" && d != "0" && d != "false" && d != "0s" {
			fmt.Fprintf(&b, " (default %s)", d)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// parse parses args and returns the operands. done is true when the
// command has nothing more to do, with code its exit status: 0 after -h
// or --help (the help went to stdout), 2 after a bad flag (the complaint
// and the synopsis went to stderr).
func (c *command) parse(args []string, stdout, stderr io.Writer) (operands []string, code int, done bool) {
	c.fs.SetOutput(stderr)
	for {
		err := c.fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			c.help(stdout)
			return nil, 0, true
		}
		if err != nil {
			return nil, c.usageError(stderr, ""), true
		}
		rest := c.fs.Args()
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(operands, rest...), 0, false
		}
		if len(rest) == 0 {
			return operands, 0, false
		}
		operands, args = append(operands, rest[0]), rest[1:]
	}
}

// usageError writes msg (when not empty) and the synopsis to stderr and
// returns the exit status of a usage error, 2.
func (c *command) usageError(stderr io.Writer, msg string) int {
	if msg != "" {
		fmt.Fprintf(stderr, "shmkit %s: %s\n", c.name, msg)
	}
	fmt.Fprintf(stderr, "usage: %s\n(shmkit %s -h for help)\n", c.synopsis, c.name)
	return 2
}

// plural writes "1 segment", "2 segments".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
