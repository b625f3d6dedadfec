// Command halo is Halo's one binary: masters, the fs and fsadmin tools,
// formatting and benchmarks, configured the way an Alluxio deployment is.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/halo-fs/halo/fserr"
)

func main() {
	root := newRootCommand()
	err := root.Execute()
	if err == nil {
		return
	}
	var exit *exitCode
	if errors.As(err, &exit) {
		os.Exit(exit.code)
	}
	fmt.Fprintln(os.Stderr, oneLine(err))
	if fserr.CodeOf(err) == fserr.OutcomeUnknown {
		os.Exit(3)
	}
	os.Exit(1)
}

// exitCode ends the process with a code and no message (fs test).
type exitCode struct{ code int }

func (e *exitCode) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// oneLine keeps CLI errors to a single line.
func oneLine(err error) string {
	msg := err.Error()
	for i := 0; i < len(msg); i++ {
		if msg[i] == '\n' {
			return msg[:i]
		}
	}
	return msg
}
