package main

import (
	"context"
	"fmt"
	"runtime/debug"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3"; without
// it the module version or VCS revision from the build info is shown.
var version = ""

func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			return bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return "dev-" + s.Value[:12]
			}
		}
	}
	return "dev"
}

const versionHelp = `Usage:
  sessionaudit version

Prints the version of sessionaudit.
`

func runVersion(_ context.Context, args []string, io stdio) int {
	fs := newFlagSet("version")
	if ok, code := parseFlags(fs, versionHelp, args, io); !ok {
		return code
	}
	fmt.Fprintf(io.out, "sessionaudit %s\n", versionString())
	return exitOK
}
