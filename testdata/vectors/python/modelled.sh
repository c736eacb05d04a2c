#!/usr/bin/env bash
# Regenerates modelled.jsonl: the versions newer than Debian's, computed by
# running the UPSTREAM source of each release (not Debian's packages) under
# Debian's python3, through the same request path as gen.py. CI does not run
# this (it needs the upstream checkouts); it replays the committed file.
#
#   UPSTREAM=/path/to/dir testdata/vectors/python/modelled.sh > testdata/vectors/python/modelled.jsonl
#
# UPSTREAM holds `git archive` extracts of the tags:
#   flask-3.1/src         pallets/flask 3.1.3           (git archive 3.1.3 src)
#   werkzeug-3.1.8/src    pallets/werkzeug 3.1.8        (git archive 3.1.8 src)
#   gunicorn-X/gunicorn   benoitc/gunicorn 22.0.0 23.0.0 24.1.0 25.0.0 26.1.0
#   uvicorn-X/uvicorn     Kludex/uvicorn 0.31.1 0.45.0 0.48.0 0.51.0
#   starlette-X/starlette Kludex/starlette 1.3.1 0.46.0
#   shim/typing_extensions.py   Debian's typing_extensions plus `TypeIs = TypeGuard`
#                               (Starlette ≥ 0.46 imports TypeIs; nothing here calls it)
# Django's newer releases are not run (the repository is too big to fetch
# here): django.jsonl's hand-checked lines are appended as they are.
set -euo pipefail
: "${UPSTREAM:?set UPSTREAM to the directory of upstream extracts}"
cd "$(dirname "$0")"
py=/usr/bin/python3
U=$UPSTREAM
run() { # PYTHONPATH SEED COUNT SOURCE ARGS...
  local pp=$1 seed=$2 count=$3 src=$4; shift 4
  PYTHONPATH=$pp "$py" gen.py --seed "$seed" --count "$count" --require-server --source "$src" "$@"
}
run "$U/flask-3.1/src:$U/werkzeug-3.1.8/src:$U/gunicorn-26.1.0" 11 600 \
  "upstream Flask 3.1.3, Werkzeug 3.1.8, gunicorn 26.1.0" --framework flask --label flask=3 --label gunicorn=26.1
for t in 22.0.0:22 23.0.0:23 24.1.0:24.1 25.0.0:25; do
  run "$U/flask-3.1/src:$U/werkzeug-3.1.8/src:$U/gunicorn-${t%%:*}" 12 300 \
    "upstream Flask 3.1.3, Werkzeug 3.1.8, gunicorn ${t%%:*}; Debian Django 3.2.25" \
    --framework flask --framework django --no-handpicked --label flask=3 --label gunicorn="${t##*:}"
done
for t in 0.31.1:0.31 0.45.0:0.45 0.48.0:0.48 0.51.0:0.51; do
  for s in 1.3.1:1 0.46.0:0.46; do
    run "$U/shim:$U/starlette-${s%%:*}:$U/uvicorn-${t%%:*}" 13 200 \
      "upstream uvicorn ${t%%:*}, Starlette ${s%%:*}; Debian Django 3.2.25" \
      --framework fastapi --framework django --no-handpicked --label fastapi="${s##*:}" --label uvicorn="${t##*:}"
  done
done
# gunicorn's UvicornWorker: upstream gunicorn's forwarded_allow_ips handed to upstream uvicorn
for g in 24.1.0:24.1 26.1.0:26.1; do
  run "$U/shim:$U/starlette-1.3.1:$U/uvicorn-0.51.0:$U/gunicorn-${g%%:*}" 14 200 \
    "upstream gunicorn ${g%%:*} with uvicorn 0.51.0's UvicornWorker, Starlette 1.3.1" \
    --framework fastapi --no-handpicked --label fastapi=1 --label uvicorn=0.51 --label gunicorn="${g##*:}"
done
cat django.jsonl
