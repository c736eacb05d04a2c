#!/usr/bin/env bash
# Writes spring-boot (native) vectors from the real Tomcat 10.1 RemoteIpValve
# (Debian's libtomcat10-java, openjdk 17) to the file $1: the hand-picked cases
# first, then random ones from SEED up to COUNT.
#   SEED=123 COUNT=5000 testdata/vectors/jvm/fresh.sh /tmp/jvm-fresh.jsonl [/tmp/jvm-parsers.jsonl]
# With a second file, also writes parser vectors (Java regex, Tomcat Host.parse,
# java.net.URI hosts; gen/Parsers.java) from the same seed, PARSER_COUNT (default
# 20000) inputs. The seed used is printed to stderr so that a failing run can be
# reproduced. recorded.jsonl is `SEED=1 COUNT=2000 fresh.sh recorded.jsonl`;
# parsers.jsonl is `SEED=1 COUNT=1 PARSER_COUNT=6000 fresh.sh /dev/null parsers.jsonl`.
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ] || [ -z "$1" ]; then
  echo "usage: $0 OUTPUT_FILE [PARSERS_FILE]   (env: SEED, COUNT, PARSER_COUNT)" >&2
  exit 2
fi
abs() { case "$1" in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
out=$(abs "$1")
parsers=""
[ $# -eq 2 ] && parsers=$(abs "$2")
cd "$(dirname "$0")"

jars=""
for j in catalina coyote util util-scan api juli servlet-api jaspic-api annotations-api; do
  f=/usr/share/java/tomcat10-$j.jar
  [ -f "$f" ] || { echo "fresh.sh: $f is missing (apt-get install libtomcat10-java)" >&2; exit 2; }
  jars="$jars:$f"
done
classes=$(mktemp -d /tmp/trustcheck-jvm-gen.XXXXXX)
trap 'rm -rf "$classes"' EXIT
javac -nowarn -d "$classes" -cp "$jars" gen/Gen.java gen/Json.java gen/Parsers.java 2>/dev/null
keytool -genkeypair -alias gen -keyalg RSA -keysize 2048 -dname CN=localhost -validity 3650 \
  -storetype PKCS12 -keystore "$classes/gen.p12" -storepass changeit -keypass changeit >/dev/null 2>&1

seed=${SEED:-$RANDOM$RANDOM}
count=${COUNT:-5000}
echo "jvm/fresh.sh: tomcat $(basename "$(readlink -f /usr/share/java/tomcat10-catalina.jar)" .jar), seed $seed, count $count" >&2
java -Djava.io.tmpdir="$classes" -cp "$classes$jars" Gen --keystore "$classes/gen.p12" --seed "$seed" --count "$count" > "$out"
if [ -n "$parsers" ]; then
  java -cp "$classes$jars" Parsers --seed "$seed" --count "${PARSER_COUNT:-20000}" > "$parsers"
fi
