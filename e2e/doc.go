// Package e2e is trustcheck's end-to-end truth suite (SPEC §7.2): real nginx
// in front of real Express (4 and 5), Fastify and Koa apps (app.js), Flask,
// Django and FastAPI apps under gunicorn, uvicorn or a plain server (app.py,
// apps_python.go), gin, echo and chi servers (apps_go.go), and Rails (Puma),
// Symfony/Laravel (php -S) and Spring Boot (Tomcat) apps (apps_ruby.go,
// apps_php.go, apps_jvm.go), inside a private network namespace, asserting
// that what each app resolves for every honest
// and hostile request of `trustcheck paths --format json` equals trustcheck's
// prediction. The test needs root and `ip netns` and is built only with the
// e2e tag:
//
//	go test -tags e2e -count=1 -v -run '^TestE2E$' ./e2e   (or e2e/run.sh)
package e2e
