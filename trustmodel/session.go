package trustmodel

import "strings"

// cookie is express-session 1.19.0's decision for the session cookie of a
// request that modified its session: issecure() decides whether a
// cookie.secure=true cookie is sent, and what cookie.secure="auto" becomes.
func (s *Session) cookie(encrypted, reqSecure bool, h Header) string {
	secure := s.issecure(encrypted, reqSecure, h)
	switch cs := s.CookieSecure.(type) {
	case string:
		if cs == "auto" {
			if secure {
				return "secure"
			}
			return "insecure"
		}
	}
	if jsTruthy(s.CookieSecure) {
		if secure {
			return "secure"
		}
		return "withheld"
	}
	return "insecure"
}

func (s *Session) issecure(encrypted, reqSecure bool, h Header) bool {
	if encrypted {
		return true
	}
	if s.Proxy != nil && !*s.Proxy {
		return false
	}
	if s.Proxy == nil {
		return reqSecure // defer to Express's trust proxy
	}
	// proxy: true trusts X-Forwarded-Proto from any peer.
	v, _ := h.NodeValue("x-forwarded-proto")
	if i := strings.IndexByte(v, ','); i != -1 {
		v = v[:i]
	}
	return jsTrim(strings.ToLower(v)) == "https"
}
