#!/usr/bin/python3
"""Truth vectors for trustcheck's Python evaluators, from Debian's real packages.

Each case goes through the real request path:
  flask   raw request bytes -> gunicorn's own parser (gunicorn.http.message.Request,
          which applies forwarded_allow_ips and secure_scheme_headers) -> gunicorn's
          own environ builder (gunicorn.http.wsgi.create) -> Werkzeug's ProxyFix ->
          a Flask app whose view reads flask.request
  django  the same environ -> django.core.handlers.wsgi.WSGIRequest, settings per case;
          under uvicorn: the ASGI scope below -> django.core.handlers.asgi.ASGIRequest
  fastapi an ASGI scope as uvicorn's protocol builds it -> uvicorn's Config.load()
          (ProxyHeadersMiddleware when proxy_headers) -> starlette.requests.Request

Usage:
  gen.py --seed N --count M          hand-picked cases, then random ones, per framework
  gen.py --cases FILE                evaluate one case (or {"case":...} line) per line
  gen.py --check FILE                re-evaluate a vector file, print lines that differ
Run it with Debian's interpreter (/usr/bin/python3): python3-werkzeug 2.2.2,
python3-flask 2.2.2, python3-django 3.2.25, gunicorn 20.1.0, python3-uvicorn 0.17.6,
python3-starlette 0.26.1.
"""
import argparse
import asyncio
import io
import json
import logging
import random
import sys

import django
from django.conf import settings

settings.configure(DEBUG=False, SECRET_KEY="x", ALLOWED_HOSTS=[], USE_TZ=True)
django.setup()

from django.core.handlers.asgi import ASGIRequest  # noqa: E402
from django.core.handlers.wsgi import WSGIRequest  # noqa: E402
import flask  # noqa: E402
from gunicorn.config import Config as GunicornConfig  # noqa: E402
from gunicorn.http.message import Request as GunicornRequest  # noqa: E402
from gunicorn.http.unreader import IterUnreader  # noqa: E402
from gunicorn.http import wsgi as gunicorn_wsgi  # noqa: E402
from starlette.requests import Request as StarletteRequest  # noqa: E402
from uvicorn.config import Config as UvicornConfig  # noqa: E402
from werkzeug.exceptions import HTTPException  # noqa: E402
from werkzeug.middleware.proxy_fix import ProxyFix  # noqa: E402

logging.disable(logging.CRITICAL)

# Where the app server listens (gunicorn's and uvicorn's default bind), and the
# path of its UNIX socket when the peer is "unix:".
SERVER_ADDR = ("127.0.0.1", 8000)
SERVER_UNIX = "/run/app.sock"
PEER_PORT = 54321

RESULT_KEYS = ("ip", "ips", "protocol", "secure", "host", "hostname")

# The version each case names: Debian's by default. --label overrides them
# when PYTHONPATH puts upstream checkouts of newer releases first (modelled.jsonl).
LABELS = {"flask": "2", "django": "3.2", "fastapi": "0.26", "gunicorn": "20.1", "uvicorn": "0.17"}


def is_unix(peer):
    return peer is None or peer == "" or peer.startswith("unix:")


class Rejected(Exception):
    """The server answers the request itself (a 4xx/5xx): no accessor runs."""


# ---------------------------------------------------------------- WSGI (gunicorn)

def gunicorn_cfg(server, tls):
    """gunicorn's Config for the case; a plain WSGI server is gunicorn that
    trusts no peer and knows no secure scheme headers (it rewrites nothing)."""
    cfg = GunicornConfig()
    if server is None:
        cfg.set("forwarded_allow_ips", "")
        cfg.set("secure_scheme_headers", {})
    else:
        for k, v in server.items():
            if k in ("name", "version", "proxy_protocol", "uvicorn_version"):
                continue
            cfg.set(k, v)
    if tls:
        cfg.set("certfile", "/nonexistent/cert.pem")  # makes cfg.is_ssl true
    return cfg


def wsgi_environ(case):
    server = case.get("server")
    cfg = gunicorn_cfg(server, case.get("tls", False))
    raw = b"GET / HTTP/1.1\r\n"
    for name, value in case["headers"]:
        raw += name.encode("latin-1") + b": " + value.encode("latin-1") + b"\r\n"
    raw += b"\r\n"
    peer = case.get("peer")
    if is_unix(peer):
        client, listener = "", SERVER_UNIX
    else:
        client, listener = (peer, PEER_PORT), SERVER_ADDR
    try:
        req = GunicornRequest(cfg, IterUnreader([raw]), client, 1)
    except Exception as e:  # gunicorn answers 400 itself
        raise Rejected(type(e).__name__)
    try:
        _, environ = gunicorn_wsgi.create(req, None, client, listener, cfg)
    except Exception as e:  # e.g. a SCRIPT_NAME header the path does not contain
        raise Rejected(type(e).__name__)
    return environ


def flask_app(case):
    app = flask.Flask("vectors")
    seen = {}

    @app.route("/")
    def view():
        seen.update(flask_result(flask.request))
        return ""

    def http_error(e):
        # Werkzeug's routing answers before the view, e.g. WebsocketMismatch
        # (400) for a ws/wss scheme on an HTTP route.
        seen["rejected"] = type(e).__name__
        return "", e.code

    app.register_error_handler(HTTPException, http_error)
    apply_middleware(app, case.get("middleware"))
    return app, seen


def flask_result(r):
    """The accessor fields of a Flask request (flask.request)."""
    out = {"ip": r.remote_addr, "protocol": r.scheme, "secure": r.is_secure}
    try:
        host = r.host
    except Exception as e:
        out["raised"] = {"host": type(e).__name__, "hostname": type(e).__name__}
        host = None
    out["host"] = host
    out["hostname"] = host_without_port(host)
    return out


def apply_middleware(app, middleware):
    """Wraps app.wsgi_app in the case's middleware (Werkzeug's ProxyFix)."""
    for mw in middleware or []:
        opts = {k: v for k, v in mw.items() if k != "name"}
        if mw["name"] != "proxy_fix":
            raise ValueError("unknown middleware %r" % mw["name"])
        app.wsgi_app = ProxyFix(app.wsgi_app, **opts)


def host_without_port(host):
    """Werkzeug's own host/port split (ProxyFix's x_port rule)."""
    if host is None:
        return None
    if ":" in host and not host.endswith("]"):
        return host.rsplit(":", 1)[0]
    return host


def eval_flask(case, environ=None):
    if environ is None:
        environ = wsgi_environ(case)
    app, seen = flask_app(case)
    status = []
    try:
        body = app.wsgi_app(environ, lambda s, h, e=None: status.append(s))
        list(body)
    except Exception as e:
        raise Rejected(type(e).__name__)
    if "ip" not in seen:
        if status and status[0].startswith("308"):
            raise Rejected("RequestRedirect")  # routing's redirect of the empty path to "/"
        raise Rejected(seen.get("rejected") or (status[0] if status else "no response"))
    return seen


# ---------------------------------------------------------------- Django

DJANGO_DEFAULTS = {
    "SECURE_PROXY_SSL_HEADER": None,
    "USE_X_FORWARDED_HOST": False,
    "USE_X_FORWARDED_PORT": False,
    "ALLOWED_HOSTS": [],
    "DEBUG": False,
}


def django_settings(options):
    """Django's settings for the case: the defaults, then its options."""
    for k, v in DJANGO_DEFAULTS.items():
        setattr(settings, k, v)
    for k, v in (options or {}).items():
        if k not in DJANGO_DEFAULTS:
            raise ValueError("unknown option %r" % k)
        setattr(settings, k, v)


def django_request(case):
    django_settings(case.get("options"))
    server = case.get("server")
    if server is not None and (server["name"] == "uvicorn" or server.get("worker_class") == UVICORN_WORKER):
        scope = asgi_scope(case)
        if scope is None:
            raise Rejected("no request")
        return ASGIRequest(scope, io.BytesIO())
    return WSGIRequest(wsgi_environ(case))


def eval_django(case):
    return django_result(django_request(case))


def django_result(req):
    """The accessor fields of a Django HttpRequest."""
    out = {"ip": req.META.get("REMOTE_ADDR")}
    raised = {}
    try:
        out["protocol"] = req.scheme
        out["secure"] = req.is_secure()
    except Exception as e:
        out["protocol"] = out["secure"] = None
        raised["protocol"] = raised["secure"] = type(e).__name__
    try:
        host = req.get_host()
        out["host"] = host
        from django.http.request import split_domain_port
        out["hostname"] = split_domain_port(host)[0]
    except Exception as e:
        out["host"] = out["hostname"] = None
        raised["host"] = raised["hostname"] = type(e).__name__
    if raised:
        out["raised"] = raised
    return out


# ---------------------------------------------------------------- ASGI (uvicorn)

_loop = asyncio.new_event_loop()
UVICORN_WORKER = "uvicorn.workers.UvicornWorker"


def asgi_scope(case):
    """The scope uvicorn's protocol builds, through uvicorn's Config.load()
    (its ProxyHeadersMiddleware when proxy_headers), as the app receives it.
    Without a server: a plain ASGI server that rewrites nothing."""
    peer = case.get("peer")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "server": None if is_unix(peer) else SERVER_ADDR,
        "client": None if is_unix(peer) else (peer, PEER_PORT),
        "scheme": "https" if case.get("tls") else "http",
        "method": "GET",
        "root_path": "",
        "path": "/",
        "raw_path": b"/",
        "query_string": b"",
        # h11 and httptools hand uvicorn lowercased names and stripped values
        "headers": [(n.lower().encode("latin-1"), v.encode("latin-1")) for n, v in case["headers"]],
    }
    got = []

    async def app(scope, receive, send):
        got.append(scope)

    server = case.get("server")
    if server is not None and sum(1 for n, _ in scope["headers"] if n == b"host") > 1:
        # uvicorn's protocol when httptools is absent (Debian's, pip's plain
        # `uvicorn`): h11's Request event refuses a repeated Host with 400.
        raise Rejected("LocalProtocolError")
    if server is None:
        asgi = app
    else:
        kw = {k: v for k, v in server.items() if k not in ("name", "version")}
        if server["name"] == "gunicorn":
            # uvicorn/workers.py UvicornWorker: uvicorn's Config with gunicorn's
            # validated forwarded_allow_ips (its config_kwargs)
            kw = {"forwarded_allow_ips": gunicorn_cfg(server, False).forwarded_allow_ips}
        config = UvicornConfig(app=app, lifespan="off", log_config=None, **kw)
        try:
            config.load()
        except Exception as e:  # uvicorn refuses the configuration at start-up
            raise ConfigError(str(e))
        asgi = config.loaded_app

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        pass

    _loop.run_until_complete(asgi(scope, receive, send))
    return got[0] if got else None


def eval_fastapi(case, scope=None):
    if scope is None:
        scope = asgi_scope(case)
    if scope is None:
        raise Rejected("no request")
    return starlette_result(StarletteRequest(scope))


def starlette_result(req):
    """The accessor fields of a Starlette (FastAPI) Request."""
    client = req.client
    out = {"ip": client.host if client is not None else None}
    try:
        url = req.url
        out["protocol"] = url.scheme
        out["secure"] = url.is_secure
        out["host"] = url.netloc
        out["hostname"] = url.hostname
    except Exception as e:
        for k in ("protocol", "secure", "host", "hostname"):
            out[k] = None
        out["raised"] = {k: type(e).__name__ for k in ("protocol", "secure", "host", "hostname")}
    return out


# ---------------------------------------------------------------- driver

EVALUATORS = {"flask": eval_flask, "django": eval_django, "fastapi": eval_fastapi}


def evaluate(case, evaluator=None):
    """The RESULT for a case; evaluator replaces the framework's in-process
    request path (crosscheck.py passes what a real server handed the app)."""
    try:
        if case.get("server") is not None:
            check_server(case)
        got = (evaluator or EVALUATORS[case["framework"]])(case)
    except ConfigError as e:
        return {"error": str(e)}
    except Rejected as e:
        got = {k: None for k in RESULT_KEYS}
        got["raised"] = {"request": str(e)}
    out = {k: got.get(k) for k in RESULT_KEYS}
    if got.get("raised"):
        out["raised"] = got["raised"]
    return out


class ConfigError(Exception):
    pass


def check_server(case):
    """What the server itself refuses at start-up: its own message."""
    server = case["server"]
    if server["name"] == "gunicorn":
        try:
            gunicorn_cfg(server, False)
        except Exception as e:
            raise ConfigError(str(e))


# ---------------------------------------------------------------- cases

ADDRS = [
    "1.1.1.1", "6.6.6.6", "10.0.0.2", "10.0.0.3", "127.0.0.1", "::1", "192.168.1.5",
    "203.0.113.9", "2001:db8::1", "::ffff:127.0.0.1", "::ffff:10.0.0.2", "fe80::1%eth0",
    "01.2.3.4", "1.2.3", "[::1]", "1.1.1.1:8080", "[2001:db8::1]:443", "unknown", "",
    "garbage", "<script>", "127.000.000.001", "0x7f.0.0.1", "2001:DB8::1", "::1%lo",
]
PROTOS = ["https", "http", "HTTPS", "Https", "wss", "ws", "gopher", "", "https, http",
          "http, https", "https,https", "https ,http", "ftp", "https\thttp", "a:b", "a#b", "x y"]
HOSTS = ["a.example", "a.example:8080", "A.Example", "a.example.", "a.example:80", "a.example:443",
         "[::1]", "[::1]:8000", "[::ffff:1.2.3.4]", "127.0.0.1:8000", "1.2.3.4", "a.example, b.example",
         "a.example,b.example", "bad host", "", "a_b.example", "[1:2:3]", "[::1", "::1", "a.example:",
         "a.example:x", "evil.example", "b.example:8443", "[v1.x]", "sub.a.example", "xn--bcher-kva.example",
         "[fe80::1%25eth0]", "a.example:+80", "a.example:0080", "[1.2.3.4]", "a.example:99999"]
PORTS = ["443", "80", "8443", "", "+443", " 443", "4_43", "0080", "x", "-1", "443, 80", "0"]
SSL_VALUES = ["on", "off", "ON", "", "1"]
PROTOCOL_VALUES = ["ssl", "SSL", "tls", "https"]


def pick_list(rng, pool, lo=1, hi=3):
    n = rng.randint(lo, hi)
    seps = [",", ", ", " ,", " , ", ",,"]
    items = [rng.choice(pool) for _ in range(n)]
    out = items[0]
    for it in items[1:]:
        out += rng.choice(seps) + it
    return out


def random_headers(rng):
    lines = []
    if rng.random() < 0.85:
        lines.append(["Host", rng.choice(HOSTS)])
        if rng.random() < 0.05:
            lines.append(["Host", rng.choice(HOSTS)])
    for _ in range(rng.choice([0, 1, 1, 1, 2, 2, 3])):
        lines.append([rng.choice(["X-Forwarded-For"] * 6 + ["x-forwarded-for", "X_Forwarded_For"]),
                      pick_list(rng, ADDRS, 1, 4)])
    for _ in range(rng.choice([0, 1, 1, 1, 2])):
        v = rng.choice(PROTOS) if rng.random() < 0.8 else pick_list(rng, ["https", "http"], 1, 3)
        lines.append([rng.choice(["X-Forwarded-Proto"] * 6 + ["x-forwarded-proto", "X_Forwarded_Proto"]), v])
    if rng.random() < 0.4:
        lines.append(["X-Forwarded-Host", rng.choice(HOSTS) if rng.random() < 0.7 else pick_list(rng, HOSTS, 1, 3)])
    if rng.random() < 0.1:
        lines.append(["X-Forwarded-Host", rng.choice(HOSTS)])
    if rng.random() < 0.25:
        lines.append(["X-Forwarded-Port", rng.choice(PORTS)])
    if rng.random() < 0.15:
        lines.append(["X-Forwarded-Ssl", rng.choice(SSL_VALUES)])
    if rng.random() < 0.1:
        lines.append(["X-Forwarded-Protocol", rng.choice(PROTOCOL_VALUES)])
    if rng.random() < 0.1:
        lines.append(["X-Forwarded-Prefix", rng.choice(["/app", "", "/a,/b"])])
    if rng.random() < 0.1:
        lines.append(["Forwarded", "for=6.6.6.6;proto=https;host=evil.example"])
    if rng.random() < 0.1:
        lines.append(["X-Real-IP", rng.choice(ADDRS)])
    rng.shuffle(lines)
    # Host first most of the time, like real clients
    lines.sort(key=lambda l: 0 if l[0] == "Host" and rng.random() < 0.8 else 1)
    return lines


PEERS = ["127.0.0.1", "127.0.0.1", "127.0.0.1", "::1", "10.0.0.2", "192.168.1.5", "203.0.113.9",
         "::ffff:127.0.0.1", "unix:", "fe80::1%eth0", "2001:db8::1"]
ALLOW_IPS = ["127.0.0.1", "*", "10.0.0.2", "127.0.0.1,10.0.0.2", "", " 127.0.0.1 , ::1", "127.0.0.1,*",
             "::1", "::ffff:127.0.0.1", "10.0.0.0/8", "127.0.0.1, ", "192.168.1.5,10.0.0.2,127.0.0.1"]
SECURE_HEADERS = [
    {"X-FORWARDED-PROTO": "https"},
    {"X-FORWARDED-PROTOCOL": "ssl", "X-FORWARDED-PROTO": "https", "X-FORWARDED-SSL": "on"},
    {"X-Forwarded-Proto": "https"},
    {"X-FORWARDED-SSL": "on"},
    {},
]


def random_gunicorn(rng):
    s = {"name": "gunicorn", "version": LABELS["gunicorn"]}
    if rng.random() < 0.8:
        s["forwarded_allow_ips"] = rng.choice(ALLOW_IPS)
    if rng.random() < 0.25:
        s["secure_scheme_headers"] = rng.choice(SECURE_HEADERS)
    return s


def random_uvicorn(rng):
    s = {"name": "uvicorn", "version": LABELS["uvicorn"]}
    if rng.random() < 0.25:
        s["proxy_headers"] = rng.random() < 0.3
    if rng.random() < 0.8:
        v = rng.choice(ALLOW_IPS)
        if rng.random() < 0.2:
            v = [x.strip() for x in v.split(",")]
        s["forwarded_allow_ips"] = v
    return s


def random_uvicorn_worker(rng):
    s = random_gunicorn(rng)
    s["worker_class"] = UVICORN_WORKER
    s["uvicorn_version"] = LABELS["uvicorn"]
    s.pop("secure_scheme_headers", None)
    return s


def random_case(rng, framework):
    case = {"framework": framework, "peer": rng.choice(PEERS), "tls": rng.random() < 0.3,
            "headers": random_headers(rng)}
    if framework == "flask":
        case["version"] = LABELS["flask"]
        if rng.random() < 0.7:
            case["server"] = random_gunicorn(rng)
        if rng.random() < 0.8:
            mw = {"name": "proxy_fix"}
            for k, w in (("x_for", [0, 1, 1, 1, 2, 3]), ("x_proto", [0, 1, 1, 2]), ("x_host", [0, 0, 1, 2]),
                         ("x_port", [0, 0, 1, 2]), ("x_prefix", [0, 0, 1])):
                if rng.random() < 0.7:
                    mw[k] = rng.choice(w)
            case["middleware"] = [mw]
    elif framework == "django":
        case["version"] = LABELS["django"]
        opts = {}
        if rng.random() < 0.6:
            opts["SECURE_PROXY_SSL_HEADER"] = rng.choice([
                ["HTTP_X_FORWARDED_PROTO", "https"], ["HTTP_X_FORWARDED_PROTO", "https"],
                ["HTTP_X_FORWARDED_SSL", "on"], ["HTTP_X_FORWARDED_PROTO", "HTTPS"], None])
        if rng.random() < 0.5:
            opts["USE_X_FORWARDED_HOST"] = rng.random() < 0.7
        if rng.random() < 0.3:
            opts["USE_X_FORWARDED_PORT"] = rng.random() < 0.7
        if rng.random() < 0.9:
            opts["ALLOWED_HOSTS"] = rng.choice([["*"], [".example"], ["a.example"], [], ["a.example", "[::1]"],
                                                ["A.EXAMPLE"], [".a.example"], ["*", "a.example"], ["127.0.0.1"]])
        if rng.random() < 0.05:
            opts["DEBUG"] = True
        if opts:
            case["options"] = opts
        r = rng.random()
        if r < 0.45:
            case["server"] = random_gunicorn(rng)
        elif r < 0.65:
            case["server"] = random_uvicorn(rng)
        elif r < 0.75:
            case["server"] = random_uvicorn_worker(rng)
    else:
        case["version"] = LABELS["fastapi"]
        r = rng.random()
        if r < 0.7:
            case["server"] = random_uvicorn(rng)
        elif r < 0.85:
            case["server"] = random_uvicorn_worker(rng)
    return case


def handpicked():
    """Edge cases first: each names one behaviour the Go side must get right."""
    H = lambda *kv: [list(p) for p in kv]  # noqa: E731
    gu = lambda **kw: dict({"name": "gunicorn", "version": LABELS["gunicorn"]}, **kw)  # noqa: E731
    uv = lambda **kw: dict({"name": "uvicorn", "version": LABELS["uvicorn"]}, **kw)  # noqa: E731
    pf = lambda **kw: [dict({"name": "proxy_fix"}, **kw)]  # noqa: E731
    out = []

    def add(fw, version, peer, headers, tls=False, **extra):
        c = {"framework": fw, "version": LABELS[fw], "peer": peer, "tls": tls, "headers": headers}
        c.update(extra)
        out.append(c)

    host = ("Host", "a.example")
    # ---- flask / ProxyFix
    for x_for in (0, 1, 2, 3):
        for xff in ("1.1.1.1", "1.1.1.1, 2.2.2.2", "1.1.1.1,,2.2.2.2", "1.1.1.1,", ",1.1.1.1", '"1.1.1.1, 2.2.2.2"',
                    "1.1.1.1, <script>", "", " , ", '"a\\"b", c', '"', '"unclosed, 2.2.2.2', '""a""'):
            add("flask", "2", "127.0.0.1", H(host, ("X-Forwarded-For", xff)), middleware=pf(x_for=x_for))
    add("flask", "2", "127.0.0.1", H(host, ("X-Forwarded-For", "1.1.1.1"), ("X-Forwarded-For", "2.2.2.2")),
        middleware=pf(x_for=1), server=gu())
    add("flask", "2", "127.0.0.1", H(host, ("X-Forwarded-For", "1.1.1.1"), ("X_Forwarded_For", "6.6.6.6")),
        middleware=pf(x_for=1), server=gu())
    add("flask", "2", "127.0.0.1", H(host, ("X-Forwarded-For", "1.1.1.1")), middleware=pf(x_for=-1))
    add("flask", "2", "127.0.0.1", H(host, ("X-Forwarded-For", "1.1.1.1, 2.2.2.2")), middleware=pf(x_for=-1))
    for proto in ("https", "HTTPS", "gopher", "https, http", "http, https", "wss", ""):
        for tls in (False, True):
            add("flask", "2", "127.0.0.1", H(("Host", "a.example:443"), ("X-Forwarded-Proto", proto)), tls=tls,
                middleware=pf(x_proto=1))
    for xfh in ("b.example", "b.example:8080", "[::1]", "[::1]:9000", "b.example:80", "b.example, c.example", ""):
        for xport in (None, "8443", "80", "443", "+443", "x"):
            hs = [host, ("X-Forwarded-Host", xfh)]
            if xport is not None:
                hs.append(("X-Forwarded-Port", xport))
            add("flask", "2", "127.0.0.1", H(*hs), middleware=pf(x_host=1, x_port=1))
    for xport in ("8443", "80", "+443", " 443", "4_43", "0080", "x", "-1", ""):
        add("flask", "2", "127.0.0.1", H(("X-Forwarded-Port", xport)), middleware=pf(x_port=1))
        add("flask", "2", "unix:", H(("X-Forwarded-Port", xport)), middleware=pf(x_port=1), server=gu())
    for h in (None, "a.example", "a.example:8000", "[::1]:8000", "a.example:80"):
        for tls in (False, True):
            hs = [] if h is None else [("Host", h)]
            add("flask", "2", "127.0.0.1", H(*hs), tls=tls)
            add("flask", "2", "unix:", H(*hs), tls=tls, server=gu())
    add("flask", "2", "127.0.0.1", H(("Host", "a.example"), ("Host", "b.example")), server=gu())
    for hs in (H(host, ("Connection", "Upgrade"), ("Upgrade", "websocket")), H(host, ("Connection", "keep-alive, Upgrade"), ("Upgrade", "WebSocket")),
               H(host, ("Connection", "upgrade"), ("Upgrade", "h2c")), H(host, ("SCRIPT_NAME", "/app")), H(host, ("SCRIPT_NAME", "/")),
               H(host, ("Content-Type", "text/plain"), ("Content-Type", "a/b")), H(host, ("SCRIPT_NAME", "/"), ("X-Forwarded-Proto", "wss")), H(host, ("X-Forwarded-For", "1.1.1.1"), ("x-forwarded-for", "2.2.2.2"))):
        add("flask", "2", "127.0.0.1", hs, server=gu(), middleware=pf(x_for=2, x_proto=1))
        add("flask", "2", "127.0.0.1", hs, middleware=pf(x_for=2, x_proto=1))
    # gunicorn scheme headers under Flask
    for peer in ("127.0.0.1", "::1", "10.0.0.2", "unix:", "::ffff:127.0.0.1"):
        for hs in (H(host, ("X-Forwarded-Proto", "https")), H(host, ("X-Forwarded-Ssl", "on")),
                   H(host, ("X-Forwarded-Protocol", "ssl")), H(host, ("X-Forwarded-Proto", "https"), ("X-Forwarded-Ssl", "off")),
                   H(host, ("X-Forwarded-Proto", "https"), ("X-Forwarded-Proto", "http")),
                   H(host, ("X-Forwarded-Proto", "https"), ("X-Forwarded-Proto", "https")),
                   H(host, ("X-Forwarded-Proto", "https, http")), H(host, ("X-Forwarded-Proto", "HTTPS")),
                   H(host, ("X_Forwarded_Proto", "https"))):
            for allow in (None, "127.0.0.1", "*", "10.0.0.2", "127.0.0.1,::1"):
                kw = {} if allow is None else {"forwarded_allow_ips": allow}
                add("flask", "2", peer, hs, server=gu(**kw))
    add("flask", "2", "127.0.0.1", H(host), server=gu(forwarded_allow_ips=["127.0.0.1"]))
    # ---- django
    dj = lambda **kw: kw  # noqa: E731
    for xfp in ("https", "http", "https, http", "https,https", "HTTPS", " https", ""):
        for ver_opts in (dj(SECURE_PROXY_SSL_HEADER=["HTTP_X_FORWARDED_PROTO", "https"], ALLOWED_HOSTS=["*"]),
                         dj(ALLOWED_HOSTS=["*"])):
            add("django", "3.2", "127.0.0.1", H(host, ("X-Forwarded-Proto", xfp)), options=ver_opts)
            add("django", "3.2", "127.0.0.1", H(host, ("X-Forwarded-Proto", xfp)), options=ver_opts, server=gu())
    add("django", "3.2", "127.0.0.1", H(host, ("X-Forwarded-Proto", "https"), ("X-Forwarded-Proto", "https")),
        options=dj(SECURE_PROXY_SSL_HEADER=["HTTP_X_FORWARDED_PROTO", "https"], ALLOWED_HOSTS=["*"]))
    add("django", "3.2", "127.0.0.1", H(host), tls=True,
        options=dj(SECURE_PROXY_SSL_HEADER=["HTTP_X_FORWARDED_PROTO", "https"], ALLOWED_HOSTS=["*"]))
    add("django", "3.2", "127.0.0.1", H(host, ("X-Forwarded-Proto", "http")), tls=True,
        options=dj(SECURE_PROXY_SSL_HEADER=["HTTP_X_FORWARDED_PROTO", "https"], ALLOWED_HOSTS=["*"]))
    add("django", "3.2", "127.0.0.1", H(host), options=dj(SECURE_PROXY_SSL_HEADER=["HTTP_X_FORWARDED_PROTO"], ALLOWED_HOSTS=["*"]))
    for allowed in ([], ["*"], ["a.example"], [".example"], ["A.EXAMPLE"], [".a.example"], ["b.example"]):
        for h in ("a.example", "A.EXAMPLE", "a.example.", "a.example:8000", "sub.a.example", "[::1]:80", "a.example, b.example",
                  "bad host", "", "a_b.example", "a.example:x"):
            add("django", "3.2", "127.0.0.1", H(("Host", h)), options=dj(ALLOWED_HOSTS=allowed))
        add("django", "3.2", "127.0.0.1", H(), options=dj(ALLOWED_HOSTS=allowed))
    for debug in (True, False):
        for h in ("localhost", "a.localhost", "127.0.0.1", "[::1]", "a.example"):
            add("django", "3.2", "127.0.0.1", H(("Host", h)), options=dj(DEBUG=debug))
    for use_host in (True, False):
        for use_port in (True, False):
            for xfh in (None, "b.example", "b.example:8080", "b.example, c.example", "", "[::1]"):
                for xport in (None, "8443", "443"):
                    hs = [host]
                    if xfh is not None:
                        hs.append(("X-Forwarded-Host", xfh))
                    if xport is not None:
                        hs.append(("X-Forwarded-Port", xport))
                    add("django", "3.2", "127.0.0.1", H(*hs), options=dj(
                        USE_X_FORWARDED_HOST=use_host, USE_X_FORWARDED_PORT=use_port, ALLOWED_HOSTS=["*"]))
            for xport in (None, "8443", "443", "80"):
                for tls in (False, True):
                    hs = [] if xport is None else [("X-Forwarded-Port", xport)]
                    add("django", "3.2", "127.0.0.1", H(*hs), tls=tls, options=dj(
                        USE_X_FORWARDED_HOST=use_host, USE_X_FORWARDED_PORT=use_port, ALLOWED_HOSTS=["*"]))
                    add("django", "3.2", "unix:", H(*hs), tls=tls, server=gu(), options=dj(
                        USE_X_FORWARDED_PORT=use_port, ALLOWED_HOSTS=["*"]))
    for srv in (uv(), uv(proxy_headers=False), uv(forwarded_allow_ips="*")):
        for hs in (H(host, ("X-Forwarded-For", "1.1.1.1"), ("X-Forwarded-Proto", "https")),
                   H(host, ("X-Forwarded-For", "1.1.1.1"), ("X-Forwarded-For", "2.2.2.2")), H(), H(("Host", "a.example"), ("Host", "b.example"))):
            for peer in ("127.0.0.1", "unix:", "10.0.0.2"):
                add("django", "3.2", peer, hs, server=srv, options=dj(
                    SECURE_PROXY_SSL_HEADER=["HTTP_X_FORWARDED_PROTO", "https"], ALLOWED_HOSTS=["*"]))
    # ---- fastapi / uvicorn 0.17.6 / Starlette 0.26.1
    for srv in (None, uv(), uv(proxy_headers=False), uv(forwarded_allow_ips="*"), uv(forwarded_allow_ips="127.0.0.1,*"),
                uv(forwarded_allow_ips="10.0.0.2, 127.0.0.1"), uv(forwarded_allow_ips=["127.0.0.1", "10.0.0.2"]),
                uv(forwarded_allow_ips="::1"), uv(forwarded_allow_ips="")):
        for peer in ("127.0.0.1", "::1", "10.0.0.2", "unix:", "::ffff:127.0.0.1"):
            for hs in (H(host, ("X-Forwarded-For", "1.1.1.1")), H(host, ("X-Forwarded-For", "1.1.1.1, 10.0.0.2")),
                       H(host, ("X-Forwarded-For", "127.0.0.1")), H(host, ("X-Forwarded-For", "")),
                       H(host, ("X-Forwarded-For", "1.1.1.1"), ("X-Forwarded-For", "2.2.2.2")),
                       H(host, ("X-Forwarded-Proto", "https")), H(host, ("X-Forwarded-Proto", "HTTPS")),
                       H(host, ("X-Forwarded-Proto", "https, http")), H(host, ("X-Forwarded-Proto", "gopher")),
                       H(("X-Forwarded-Proto", "gopher")), H(("Host", "bad host"), ("X-Forwarded-Proto", "wss")),
                       H(host, ("X-Forwarded-Proto", "https"), ("X-Forwarded-Proto", "http"))):
                add("fastapi", "0.26", peer, hs, **({} if srv is None else {"server": srv}))
    uw = lambda **kw: dict(gu(worker_class=UVICORN_WORKER, uvicorn_version=LABELS["uvicorn"]), **kw)  # noqa: E731
    for srv in (uw(), uw(forwarded_allow_ips="127.0.0.1,::1"), uw(forwarded_allow_ips="*"), uw(forwarded_allow_ips="127.0.0.1,*"), uw(forwarded_allow_ips="")):
        for peer in ("127.0.0.1", "::1", "unix:", "10.0.0.2"):
            for hs in (H(host, ("X-Forwarded-For", "1.1.1.1, 127.0.0.1")), H(host, ("X-Forwarded-Proto", "https")),
                       H(host, ("X-Forwarded-For", "1.1.1.1"), ("X-Forwarded-Ssl", "on"))):
                add("fastapi", "0.26", peer, hs, server=srv)
                add("django", "3.2", peer, hs, server=srv, options=dj(ALLOWED_HOSTS=["*"], SECURE_PROXY_SSL_HEADER=["HTTP_X_FORWARDED_PROTO", "https"]))
    for h in HOSTS + ["A.EXAMPLE:8000", "[FE80::1]", "[::1]:", "a.example:80:80"]:
        for tls in (False, True):
            add("fastapi", "0.26", "127.0.0.1", H(("Host", h)), tls=tls)
    for proto in PROTOS:
        add("fastapi", "0.26", "127.0.0.1", H(host, ("X-Forwarded-Proto", proto)), server=uv())
        add("fastapi", "0.26", "127.0.0.1", H(("X-Forwarded-Proto", proto)), server=uv())
    return out


# ---------------------------------------------------------------- ipaddress

ADDRESS_PARTS = ["0", "1", "01", "001", "255", "256", "300", "10", "127", "ff", "FFFF", "fffff", "0x1", "1e", "",
                 " ", "::", ":", ".", "%", "%eth0", "%", "/", "/8", "/24", "/33", "/129", "/255.0.0.0", "/0.0.0.255",
                 "/255.0.255.0", "/08", "[", "]", "ffff", "1.2.3.4", "v", "\t", "+1", "_1", "١"]
ADDRESSES = ["1.2.3.4", "01.2.3.4", "1.2.3", "1.2.3.4.5", "255.255.255.255", "256.1.1.1", " 1.2.3.4", "1.2.3.4 ",
             "0.0.0.0", "00.0.0.0", "::", "::1", "::ffff:1.2.3.4", "::ffff:01.2.3.4", "::1.2.3.4", "1::", "1::2::3",
             ":1::", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8", "1:2:3:4:5:6:7",
             "fe80::1%eth0", "fe80::1%", "fe80::1%a%b", "fe80::1%25eth0", "[::1]", "::1/128", "2001:DB8::1",
             "2001:db8:0:0:1:0:0:1", "2001:0db8::0001", "12345::", "1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:7:1.2.3.4",
             "::ffff:1.2.3", "10.0.0.0/8", "10.0.0.1/8", "10.0.0.0/255.0.0.0", "10.0.0.0/0.255.255.255",
             "fe80::%eth0/64", "::/0", "0.0.0.0/0", "::ffff:0:0/96", "1.2.3.4/32", "1.2.3.4/33", "1.2.3.4/", "/8",
             "1.2.3.4//8", "::1/0128", "1.2.3.0/024", "*", "localhost", "", "0::0:0", "1:0:0:1:0:0:0:1", "1:0:0:0:1:0:0:0"]


def address_vectors(rng, count):
    import ipaddress
    texts = list(ADDRESSES)
    octets = ["0", "1", "10", "255", "127", "9", "192", "168", "2"] * 3 + ["01", "256", "00", "1234", " 1", "a"]
    hextets = ["0", "1", "ffff", "FFFF", "db8", "0000", "a", "fe80", "abcd", "0001"] * 3 + ["00000", "g", "12345", ""]

    def v4():
        return ".".join(rng.choice(octets) for _ in range(rng.choice([4, 4, 4, 4, 3, 5])))

    def v6():
        with_v4 = rng.random() < 0.2
        if rng.random() < 0.6:
            n = rng.randint(0, 7 - (2 if with_v4 else 0))
            parts = [rng.choice(hextets) for _ in range(n)]
            k = rng.randint(0, n)
            t = ":".join(parts[:k]) + "::" + ":".join(parts[k:])
        else:
            n = rng.choice([8, 8, 8, 7, 9]) - (2 if with_v4 else 0)
            t = ":".join(rng.choice(hextets) for _ in range(n))
        if with_v4:
            t += (":" if not t.endswith(":") else "") + v4()
        if rng.random() < 0.15:
            t += rng.choice(["%eth0", "%1", "%", "%a%b"])
        return t

    while len(texts) < count:
        r = rng.random()
        if r < 0.1:
            t = "".join(rng.choice(ADDRESS_PARTS) for _ in range(rng.randint(1, 6)))
        else:
            t = v4() if r < 0.5 else v6()
            if rng.random() < 0.35:
                t += "/" + rng.choice(["0", "8", "24", "32", "33", "64", "96", "128", "129", "08", "", "255.255.0.0",
                                       "0.0.255.255", "255.0.255.0", "-1", "+8", "x"])
        texts.append(t)
    for t in texts:
        out = {"text": t}
        try:
            out["address"] = str(ipaddress.ip_address(t))
        except ValueError:
            out["address"] = None
        for strict in (True, False):
            key = "network_strict" if strict else "network"
            try:
                out[key] = str(ipaddress.ip_network(t, strict=strict))
            except ValueError as e:
                out[key] = None
                if strict and "has host bits set" in str(e):
                    out[key] = "host bits"
        yield out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=1500, help="vectors per framework")
    ap.add_argument("--framework", action="append", help="only these frameworks")
    ap.add_argument("--no-handpicked", action="store_true")
    ap.add_argument("--cases")
    ap.add_argument("--check")
    ap.add_argument("--addresses", type=int, help="write N ipaddress.ip_address/ip_network results instead")
    ap.add_argument("--source", help="a note added to every line: which upstream code computed it")
    ap.add_argument("--require-server", action="store_true",
                    help="only cases with an app server (the plain server is modelled on Debian's gunicorn)")
    ap.add_argument("--label", action="append", default=[], metavar="NAME=VERSION",
                    help="the version cases name for flask, django, fastapi, gunicorn or uvicorn")
    a = ap.parse_args()
    for kv in a.label:
        k, v = kv.split("=", 1)
        LABELS[k] = v
    w = sys.stdout
    if a.addresses:
        for v in address_vectors(random.Random(a.seed), a.addresses):
            w.write(dump(v) + "\n")
        return 0
    if a.cases or a.check:
        bad = 0
        with open(a.cases or a.check) as f:
            for n, line in enumerate(f, 1):
                line = line.strip()
                if not line:
                    continue
                v = json.loads(line)
                case = v.get("case", v)
                got = evaluate(case)
                if a.cases:
                    w.write(dump({"case": case, "want": got}) + "\n")
                elif got != v["want"]:
                    bad += 1
                    w.write("%d: %s\n  want %s\n  got  %s\n" % (n, dump(case), dump(v["want"]), dump(got)))
        return 1 if bad else 0
    frameworks = a.framework or ["flask", "django", "fastapi"]
    rng = random.Random(a.seed)
    for fw in frameworks:
        cases = [] if a.no_handpicked else [c for c in handpicked() if c["framework"] == fw]
        if a.require_server:
            cases = [c for c in cases if c.get("server")]
        while len(cases) < a.count:
            c = random_case(rng, fw)
            if a.require_server and not c.get("server"):
                continue
            cases.append(c)
        for case in cases:
            # An HTTP parser (nginx's, gunicorn 23+'s) drops the SP/HTAB around
            # a value before anything sees it; the Go side does the same.
            case["headers"] = [[n, v.strip(" \t")] for n, v in case["headers"]]
            line = {"case": case, "want": evaluate(case)}
            if a.source:
                line["source"] = a.source
            w.write(dump(line) + "\n")
    return 0


def dump(v):
    return json.dumps(v, ensure_ascii=False, separators=(",", ":"))


if __name__ == "__main__":
    sys.exit(main())
