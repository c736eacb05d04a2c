#!/usr/bin/python3
"""Checks gen.py's in-process request path against real servers: Debian's
gunicorn 20.1 serving a Flask app and uvicorn 0.17.6 serving a Starlette app
on 127.0.0.1, fed the same random cases over a real TCP socket. Each case's
middleware travels in the query string; the app evaluates the request the
server built exactly as gen.py does and answers with the RESULT.

  /usr/bin/python3 crosscheck.py --seed 5 --count 300

Only cases a socket on 127.0.0.1 can send are used: peer 127.0.0.1, no TLS,
a Host header (the listener's port differs from gen.py's 127.0.0.1:8000).
Exit 1 on a difference.
"""
import argparse
import json
import os
import random
import socket
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen  # noqa: E402


def wsgi_app(environ, start_response):
    case = json.loads(urllib.parse.unquote(environ["QUERY_STRING"]))
    got = gen.evaluate(case, lambda c: gen.eval_flask(c, environ))
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps(got).encode()]


async def asgi_app(scope, receive, send):
    case = json.loads(urllib.parse.unquote(scope["query_string"].decode()))
    got = gen.evaluate(case, lambda c: gen.eval_fastapi(c, scope))
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": json.dumps(got).encode()})


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def send(port, case):
    q = urllib.parse.quote(json.dumps(case, separators=(",", ":")))
    raw = "GET /?%s HTTP/1.0\r\n" % q
    for n, v in case["headers"]:
        raw += "%s: %s\r\n" % (n, v)
    raw += "\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(raw.encode("latin-1"))
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return head.split(b"\r\n")[0].decode(), body


def start(cmd, port):
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.abspath(__file__)))
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return p
        except OSError:
            time.sleep(0.1)
    p.kill()
    raise SystemExit("server did not start: %s" % cmd)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=300, help="cases per server configuration")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    bad = total = 0
    for fw, allow in (("flask", "127.0.0.1"), ("flask", "10.0.0.2"), ("fastapi", "127.0.0.1"), ("fastapi", "*")):
        port = free_port()
        if fw == "flask":
            cmd = ["/usr/bin/python3", "-m", "gunicorn", "--bind", "127.0.0.1:%d" % port, "--workers", "1",
                   "--forwarded-allow-ips", allow, "crosscheck:wsgi_app"]
            server = {"name": "gunicorn", "version": "20.1", "forwarded_allow_ips": allow}
        else:
            cmd = ["/usr/bin/python3", "-m", "uvicorn", "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
                   "--lifespan", "off", "--forwarded-allow-ips", allow, "crosscheck:asgi_app"]
            server = {"name": "uvicorn", "version": "0.17", "forwarded_allow_ips": allow}
        proc = start(cmd, port)
        try:
            n = 0
            while n < a.count:
                case = gen.random_case(rng, fw)
                case["peer"], case["tls"], case["server"] = "127.0.0.1", False, server
                case["headers"] = [[k, v.strip(" \t")] for k, v in case["headers"] if not (k == "Host" and v == "")]
                if not any(k == "Host" for k, _ in case["headers"]):
                    continue  # without Host, gunicorn's SERVER_PORT is the listener's
                n += 1
                want = gen.evaluate(case)
                status, body = send(port, case)
                if status.endswith("200 OK"):
                    # the listener's port stands where gen.py's 127.0.0.1:8000 does
                    got = json.loads(body.replace(b"127.0.0.1:%d" % port, b"127.0.0.1:8000"))
                elif status.split()[1] == "400" and (want.get("raised") or {}).get("request"):
                    got = want  # the server answered the request itself, as gen.py says
                else:
                    got = {"status": status}
                total += 1
                if got != want:
                    bad += 1
                    print("%s: %s\n  real server: %s\n  gen.py:      %s" % (fw, json.dumps(case), json.dumps(got), json.dumps(want)))
        finally:
            proc.terminate()
            proc.wait()
    print("crosscheck: %d cases, %d differ" % (total, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
