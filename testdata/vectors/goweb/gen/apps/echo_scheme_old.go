//go:build oldecho

package apps

import "github.com/labstack/echo/v4"

// Echo#SchemeExtractor came in 4.16.0 (go.old3.mod pins 4.15.4 and builds
// with -tags oldecho).
func setSchemeExtractor(*echo.Echo, any) error {
	return &ConfigError{"no Echo#SchemeExtractor before echo 4.16.0"}
}
