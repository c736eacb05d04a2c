#!/usr/bin/env bash
# Writes spring-boot (native) vectors from the real Tomcat 10.1 RemoteIpValve
# (Debian's libtomcat10-java, openjdk 17) to the file $1: the hand-picked cases
# first, then random ones from SEED up to COUNT.
#   SEED=123 COUNT=5000 testdata/vectors/jvm/fresh.sh /tmp/jvm-fresh.jsonl
# The seed used is printed to stderr so that a failing run can be reproduced.
# recorded.jsonl is `SEED=1 COUNT=2000 fresh.sh recorded.jsonl`.
set -euo pipefail

if [ $# -ne 1 ] || [ -z "$1" ]; then
  echo "usage: $0 OUTPUT_FILE   (env: SEED, COUNT)" >&2
  exit 2
fi
case "$1" in
  /*) out=$1 ;;
  *) out=$PWD/$1 ;;
esac
cd "$(dirname "$0")"

jars=""
for j in catalina coyote util util-scan api juli servlet-api jaspic-api annotations-api; do
  f=/usr/share/java/tomcat10-$j.jar
  [ -f "$f" ] || { echo "fresh.sh: $f is missing (apt-get install libtomcat10-java)" >&2; exit 2; }
  jars="$jars:$f"
done
classes=$(mktemp -d /tmp/trustcheck-jvm-gen.XXXXXX)
trap 'rm -rf "$classes"' EXIT
javac -nowarn -d "$classes" -cp "$jars" gen/Gen.java gen/Json.java 2>/dev/null
keytool -genkeypair -alias gen -keyalg RSA -keysize 2048 -dname CN=localhost -validity 3650 \
  -storetype PKCS12 -keystore "$classes/gen.p12" -storepass changeit -keypass changeit >/dev/null 2>&1

seed=${SEED:-$RANDOM$RANDOM}
count=${COUNT:-5000}
echo "jvm/fresh.sh: tomcat $(basename "$(readlink -f /usr/share/java/tomcat10-catalina.jar)" .jar), seed $seed, count $count" >&2
java -Djava.io.tmpdir="$classes" -cp "$classes$jars" Gen --keystore "$classes/gen.p12" --seed "$seed" --count "$count" > "$out"
