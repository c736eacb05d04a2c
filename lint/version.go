package lint

import "runtime/debug"

// Version is the release version when the build set one, else the module
// version Go recorded, else "devel".
func Version(release string) string {
	if release != "" {
		return release
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}
