package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// A command is one `handoff` subcommand in the table that commands returns.
type command struct {
	summary string // one line for `handoff help`
	usage   string // the synopsis and what it does, printed by -h above the flags
	// flags declares the command's flags on fs and returns what to run once
	// they are parsed; it finds its positional arguments in e.args.
	flags func(fs *flag.FlagSet, e env) runFunc
}

// runFunc runs a command after its flags are parsed.
type runFunc func(ctx context.Context, e env) error

// noFlags is the flags of a command that takes no flags and no arguments.
func noFlags(run runFunc) func(*flag.FlagSet, env) runFunc {
	return func(*flag.FlagSet, env) runFunc {
		return func(ctx context.Context, e env) error {
			if len(e.args) > 0 {
				return usageError("unexpected argument %q", e.args[0])
			}
			return run(ctx, e)
		}
	}
}

// argsOnly is the flags of a command that takes arguments but no flags.
func argsOnly(run runFunc) func(*flag.FlagSet, env) runFunc {
	return func(*flag.FlagSet, env) runFunc { return run }
}

// runCommand parses the command's flags and runs it. -h or --help prints
// its usage to stdout and exits 0 without running it; a bad flag prints the
// error and the usage to stderr and exits 2.
func runCommand(ctx context.Context, name string, cmd command, e env) int {
	fs := flag.NewFlagSet("handoff "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // usage is printed below, on the right stream
	run := cmd.flags(fs, e)
	args, err := parseArgs(fs, e.args)
	if errors.Is(err, flag.ErrHelp) {
		printUsage(e.stdout, cmd, fs)
		return 0
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "handoff %s: %v\n\n", name, err)
		printUsage(e.stderr, cmd, fs)
		return 2
	}
	e.args = args
	code := finish(run(ctx, e), e)
	if code == 2 { // a wrong use the command found: show how to use it
		fmt.Fprintln(e.stderr)
		printUsage(e.stderr, cmd, fs)
	}
	return code
}

// finish reports a command's error and returns the exit code.
func finish(err error, e env) int {
	if err != nil {
		fmt.Fprintf(e.stderr, "handoff: %v\n", err)
		return exitCode(err)
	}
	return 0
}

// parseArgs parses flags anywhere in args: before, between or after the
// positional arguments (`handoff import leads.csv --quiet`), and returns
// the positional arguments in order. "--" ends the flags; "-" alone is an
// argument (standard input).
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" && !(n > 1 && takesValue(fs, args[n-2])) {
			return append(positional, rest...), nil
		}
		if len(rest) == 0 {
			return positional, nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// takesValue reports whether tok is a flag of fs that reads the next
// argument as its value (so a "--" after it is that value, not the end of
// the flags).
func takesValue(fs *flag.FlagSet, tok string) bool {
	name, ok := strings.CutPrefix(tok, "-")
	if !ok || strings.Contains(name, "=") {
		return false
	}
	f := fs.Lookup(strings.TrimPrefix(name, "-"))
	if f == nil {
		return false
	}
	b, isBool := f.Value.(interface{ IsBoolFlag() bool })
	return !isBool || !b.IsBoolFlag()
}

// printUsage writes the command's usage and, when it has any, its flags.
func printUsage(w io.Writer, cmd command, fs *flag.FlagSet) {
	fmt.Fprintln(w, "usage: "+strings.TrimSpace(cmd.usage))
	hasFlags := false
	fs.VisitAll(func(*flag.Flag) { hasFlags = true })
	if hasFlags {
		fmt.Fprintln(w, "\nflags:")
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
}

// usageError is a wrong use of a command: exit 2, and runCommand prints
// the command's usage after the message.
func usageError(format string, args ...any) error {
	return &exitError{code: 2, err: fmt.Errorf(format, args...)}
}
