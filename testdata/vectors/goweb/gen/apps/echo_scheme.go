//go:build !oldecho

package apps

import (
	"fmt"

	"github.com/labstack/echo/v4"
)

// setSchemeExtractor sets Echo#SchemeExtractor (4.16.0+) from the option:
// "direct", "legacy", "headers", or {"name": "headers", TrustOptions...}.
func setSchemeExtractor(e *echo.Echo, v any) error {
	switch x := v.(type) {
	case string:
		switch x {
		case "direct":
			e.SchemeExtractor = echo.ExtractSchemeDirect()
		case "legacy":
			e.SchemeExtractor = echo.LegacySchemeExtractor()
		case "headers":
			e.SchemeExtractor = echo.ExtractSchemeFromHeaders()
		default:
			return &ConfigError{"unknown SchemeExtractor " + x}
		}
		return nil
	case map[string]any:
		if x["name"] != "headers" {
			return &ConfigError{fmt.Sprintf("SchemeExtractor entry %v", x)}
		}
		for k := range x {
			switch k {
			case "name", "TrustLoopback", "TrustLinkLocal", "TrustPrivateNet", "TrustIPRange":
			default:
				return &ConfigError{"SchemeExtractor: unknown option " + k}
			}
		}
		opts, err := echoTrustOptions(x)
		if err != nil {
			return err
		}
		e.SchemeExtractor = echo.ExtractSchemeFromHeaders(opts...)
		return nil
	}
	return &ConfigError{fmt.Sprintf("SchemeExtractor %v", v)}
}
