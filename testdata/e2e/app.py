#!/usr/bin/python3
"""The e2e suite's Python app server: one real Flask, Django or FastAPI app,
configured as trustcheck.yaml says, served by the real app server it names.

  /usr/bin/python3 app.py FRAMEWORK CONFIG LISTEN[,LISTEN...]

CONFIG is JSON {"server": ..., "middleware": ..., "options": ...}, the app's
fields of `trustcheck paths --format json`; LISTEN is host:port, [v6]:port or
unix:PATH. The server:
  gunicorn  gunicorn's own Arbiter with the server's options set by their
            gunicorn names (forwarded_allow_ips, secure_scheme_headers,
            worker_class: uvicorn.workers.UvicornWorker for an ASGI app), 1 worker
  uvicorn   uvicorn.Server with the server's options (proxy_headers,
            forwarded_allow_ips)
  none      a plain server that rewrites nothing: Werkzeug's development
            server for Flask (`flask run`), Django's runserver for Django,
            uvicorn with proxy_headers off for FastAPI
Prints "ready" once the app can answer; every answer is the accessor fields
as gen.py (testdata/vectors/python) reads them from the framework's request,
{"ip","ips","protocol","secure","host","hostname"} plus "raised" where an
accessor raises (a request the framework answers itself, e.g. Werkzeug
routing's WebsocketMismatch, is {"raised": {"request": CLASS}} with its own
status). A configuration the server refuses exits 2 with its own message.
"""
import json
import os
import socket
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "vectors", "python"))
import gen  # noqa: E402  (configures Django's settings and imports the packages)

import flask  # noqa: E402
from werkzeug.exceptions import HTTPException  # noqa: E402

RESULT_KEYS = gen.RESULT_KEYS


def answer(result):
    out = {k: result.get(k) for k in RESULT_KEYS}
    if result.get("raised"):
        out["raised"] = result["raised"]
    return json.dumps(out)


def rejected(name):
    return answer({"raised": {"request": name}})


# ---------------------------------------------------------------- apps

def flask_app(middleware):
    app = flask.Flask("e2e")

    @app.route("/", defaults={"path": ""})
    @app.route("/<path:path>")
    def view(path):
        return flask.Response(answer(gen.flask_result(flask.request)), mimetype="application/json")

    @app.errorhandler(HTTPException)
    def http_error(e):
        # Werkzeug's routing answers before the view (WebsocketMismatch).
        return flask.Response(rejected(type(e).__name__), status=e.code, mimetype="application/json")

    gen.apply_middleware(app, middleware)
    return app


def django_view(request):
    from django.http import HttpResponse
    return HttpResponse(answer(gen.django_result(request)), content_type="application/json")


def django_app(options, asgi):
    from django.conf import settings
    from django.urls import re_path
    import types
    gen.django_settings(options)
    settings.MIDDLEWARE = []
    urls = types.ModuleType("e2e_urls")
    urls.urlpatterns = [re_path(r"", django_view)]
    sys.modules[urls.__name__] = urls
    settings.ROOT_URLCONF = urls.__name__
    if asgi:
        from django.core.handlers.asgi import ASGIHandler
        return ASGIHandler()
    from django.core.handlers.wsgi import WSGIHandler
    return WSGIHandler()


def fastapi_app():
    from fastapi import FastAPI, Request
    from fastapi.responses import Response
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @app.api_route("/{path:path}", methods=["GET", "HEAD"])
    async def view(request: Request, path: str):
        return Response(answer(gen.starlette_result(request)), media_type="application/json")

    return app


# ---------------------------------------------------------------- servers

def parse_listen(listen):
    """("unix", PATH) or (host, port) for one LISTEN."""
    if listen.startswith("unix:"):
        return "unix", listen[len("unix:"):]
    host, _, port = listen.rpartition(":")
    return host.strip("[]") or "0.0.0.0", int(port)


def ready():
    print("ready", flush=True)


def serve_gunicorn(app, server, listens):
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):
        def load_config(self):
            for k, v in server.items():
                if k not in ("name", "version", "uvicorn_version"):
                    self.cfg.set(k, v)
            self.cfg.set("bind", listens)
            self.cfg.set("workers", 1)
            self.cfg.set("post_worker_init", lambda worker: ready())

        def load(self):
            return app

    Server().run()


def bound_socket(listen):
    host, port = parse_listen(listen)
    if host == "unix":
        if os.path.exists(port):
            os.remove(port)
        s = socket.socket(socket.AF_UNIX)
    else:
        s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(port if host == "unix" else (host, port))
    s.listen(128)
    return s


def serve_uvicorn(app, server, listens):
    import uvicorn
    kw = {k: v for k, v in server.items() if k not in ("name", "version")}
    config = uvicorn.Config(app, lifespan="off", log_config=None, access_log=False, **kw)

    class Server(uvicorn.Server):
        async def startup(self, sockets=None):
            await super().startup(sockets=sockets)
            ready()

    Server(config).run(sockets=[bound_socket(l) for l in listens])


def serve_threads(servers):
    for s in servers[1:]:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    ready()
    servers[0].serve_forever()


def serve_werkzeug(app, listens):
    from werkzeug.serving import make_server
    servers = []
    for listen in listens:
        host, port = parse_listen(listen)
        if host == "unix":
            host, port = "unix://" + port, 0
        servers.append(make_server(host, port, app, threaded=True))
    serve_threads(servers)


def serve_runserver(app, listens):
    from django.core.servers.basehttp import WSGIRequestHandler, WSGIServer
    servers = []
    for listen in listens:
        host, port = parse_listen(listen)
        if host == "unix":
            sys.exit("app.py: Django's runserver has no UNIX socket; name a server")
        httpd = WSGIServer((host, port), WSGIRequestHandler, ipv6=":" in host)
        httpd.set_app(app)
        servers.append(httpd)
    serve_threads(servers)


def main():
    framework, config, listens = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3].split(",")
    server = config.get("server") or {}
    name = server.get("name")
    asgi = framework == "fastapi" or name == "uvicorn" or server.get("worker_class") == gen.UVICORN_WORKER
    try:
        if framework == "flask":
            app = flask_app(config.get("middleware"))
        elif framework == "django":
            app = django_app(config.get("options"), asgi)
        elif framework == "fastapi":
            app = fastapi_app()
        else:
            sys.exit("app.py: unknown framework %r" % framework)
        if name == "gunicorn":
            serve_gunicorn(app, server, listens)
        elif name == "uvicorn":
            serve_uvicorn(app, server, listens)
        elif name is not None:
            sys.exit("app.py: unknown server %r" % name)
        elif framework == "fastapi":
            serve_uvicorn(app, {"proxy_headers": False}, listens)
        elif framework == "django":
            serve_runserver(app, listens)
        else:
            serve_werkzeug(app, listens)
    except SystemExit:
        raise
    except Exception as e:  # the server refuses its configuration: its own message
        print(e, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
