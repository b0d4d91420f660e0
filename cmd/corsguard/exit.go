package main

import (
	"errors"
	"os"

	"github.com/mattn/go-isatty"
)

// The exit codes of the corsguard CLI.
const (
	exitOK      = 0 // every matching container and bucket complies; the baseline is valid
	exitError   = 1 // the run could not be done or finished (usage, AWS, a failed resource)
	exitInvalid = 2 // validate: the baseline breaks the service's rules or does not parse
	exitDrifted = 3 // audit, apply --dry-run, diff: some container's or bucket's policy differs
)

// exitErr carries an exit code other than 1 out of a command through cobra. Its message, when
// not empty, has not been printed yet.
type exitErr struct {
	code int
	msg  string
}

func (e *exitErr) Error() string { return e.msg }

// codeOf returns the exit code for the error a command returned.
func codeOf(err error) int {
	if err == nil {
		return exitOK
	}
	var e *exitErr
	if errors.As(err, &e) {
		return e.code
	}
	return exitError
}

// isTerminal reports whether f is a terminal (a TTY, or a Cygwin or MSYS pty on Windows). A
// character device is not enough: /dev/null is one, and a report sent there is not read by a
// person.
func isTerminal(f any) bool {
	file, ok := f.(*os.File)
	if !ok {
		return false
	}
	return isatty.IsTerminal(file.Fd()) || isatty.IsCygwinTerminal(file.Fd())
}
