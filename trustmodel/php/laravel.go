package php

import (
	"strings"
)

// laravelDefaultHeaders is TrustProxies' $headers: X-Forwarded-For, -Host,
// -Port, -Proto, -Prefix and AWS_ELB (laravel/framework v10.50.3, v11.56.0,
// v12.67.0 src/Illuminate/Http/Middleware/TrustProxies.php, $headers).
const laravelDefaultHeaders = headerXForwardedFor | headerXForwardedHost | headerXForwardedPort |
	headerXForwardedProto | headerXForwardedPrefx | headerXForwardedAWS

// laravelHandle is TrustProxies::handle for one request (v12.67.0 lines
// 52-94; v10.50.3 and v11.56.0 lack the Forge/Vapor host checks):
//
//   - setTrustedProxies([], headers) resets the previous request's trust;
//   - $trustedIps = $this->proxies() ?: config('trustedproxy.proxies') (null);
//   - 12: null on a host ending in .on-forge.com or .on-vapor.com becomes '*',
//     and those hosts lose X-Forwarded-Host (laravel_cloud() is not modelled);
//   - '*' and '**' trust [REMOTE_ADDR] (only the peer); 13.20+ trust
//     ['0.0.0.0/0', '::/0'] (every address);
//   - a string is exploded on "," and trimmed; 11+ replace each 'REMOTE_ADDR'
//     with the request's REMOTE_ADDR (null when unset) before Symfony sees it.
func (e *evaluator) laravelHandle(r *request) error {
	var trusted any = e.trust
	if e.isList && len(e.listTrust) == 0 {
		trusted = nil // [] ?: null
	} else if s, ok := trusted.(string); ok && !truthy(s) {
		trusted = nil
	}
	if e.version == "12" || e.version == "13" {
		host, err := r.getHost() // $request->host(), with no proxy trusted yet
		if err != nil {
			return err
		}
		forge := strings.HasSuffix(host, ".on-forge.com") || strings.HasSuffix(host, ".on-vapor.com")
		if trusted == nil && forge {
			trusted = "*"
		}
		if forge {
			headers := make(map[string]string, len(r.server.headers))
			for k, v := range r.server.headers {
				if k != "X_FORWARDED_HOST" {
					headers[k] = v
				}
			}
			s := *r.server
			s.headers = headers
			r.server = &s
		}
	}
	if trusted == "*" || trusted == "**" {
		if e.version == "13" {
			// 13.20+ setTrustedProxyIpAddressesToTheCallingIp trusts every
			// address (v13.26.1 TrustProxies.php, PR laravel/framework#60726).
			r.proxies = []proxy{{text: "0.0.0.0/0"}, {text: "::/0"}}
			return nil
		}
		r.proxies = []proxy{e.remoteAddrProxy(r)}
		return nil
	}
	var list []string
	switch x := trusted.(type) {
	case string:
		list = strings.Split(x, ",")
		for i := range list {
			list[i] = phpTrim(list[i])
		}
	case []any:
		list = e.listTrust
	default:
		return nil
	}
	proxies := toProxies(list)
	if e.version != "10" {
		for i, p := range proxies {
			if p.text == "REMOTE_ADDR" {
				proxies[i] = e.remoteAddrProxy(r)
			}
		}
	}
	r.proxies = e.setTrustedProxies(proxies, r.server)
	return nil
}

// remoteAddrProxy is $request->server->get('REMOTE_ADDR'): null when unset.
func (e *evaluator) remoteAddrProxy(r *request) proxy {
	if !r.server.hasRemoteAddr {
		return proxy{null: true}
	}
	return proxy{text: r.server.remoteAddr}
}
