package rules

import (
	"fmt"
	"strings"
)

// bindCode is how the app's own code or server binds it to addr:port,
// for the fixes that close a direct path (TC106): Node's listen call,
// the Python app server's flag, Go's listen call, Puma's bind, PHP-FPM's
// pool, Spring Boot's property, ASP.NET Core's URLs.
func (p *Pass) bindCode(addr string, port int) string {
	server, _ := p.App.Spec.Server["name"].(string)
	hostPort := fmt.Sprintf("%s:%d", addr, port)
	switch fw := strings.ToLower(p.App.Spec.Framework); {
	case fw == "fastify":
		return fmt.Sprintf("fastify.listen({ port: %d, host: '%s' })", port, addr)
	case fw == "" || fw == "express" || fw == "koa":
		return fmt.Sprintf("app.listen(%d, '%s')", port, addr)
	case server == "uvicorn":
		return fmt.Sprintf("uvicorn --host %s --port %d", addr, port)
	case server == "gunicorn" || fw == "flask" || fw == "django":
		return "gunicorn --bind " + hostPort
	case fw == "fastapi":
		return fmt.Sprintf("uvicorn --host %s --port %d", addr, port)
	case fw == "gin":
		return fmt.Sprintf("r.Run(%q)", hostPort)
	case fw == "echo":
		return fmt.Sprintf("e.Start(%q)", hostPort)
	case fw == "chi":
		return fmt.Sprintf("http.ListenAndServe(%q, r)", hostPort)
	case fw == "rails":
		return fmt.Sprintf("bind \"tcp://%s\" in config/puma.rb", hostPort)
	case fw == "symfony" || fw == "laravel":
		switch server {
		case "php-cli-server":
			return "php -S " + hostPort
		case "php-fpm":
			return "listen = " + hostPort + " in the PHP-FPM pool"
		}
		return "the PHP server's listen address " + hostPort
	case fw == "spring-boot":
		return fmt.Sprintf("server.address=%s", addr)
	case fw == "aspnetcore":
		return fmt.Sprintf("ASPNETCORE_URLS=http://%s", hostPort)
	}
	return "bind it to " + hostPort
}
