#!/usr/bin/env bash
# The one place that knows which Debian package gives each outside program the tests and the
# bench run, and installs the missing ones (as root, with apt-get) or says exactly what to install.
#
#   bash test/support/require-packages.sh [--check] <who> <command>...
#
#   <who>      named in every message ("npm test", "npm run bench")
#   <command>  a program that must be found: influxd, mosquitto, mosquitto_pub, mosquitto_sub, chromium, redis-server,
#              /usr/lib/postgresql/15/bin/postgres (Debian keeps PostgreSQL's own programs off PATH, so by its path)
#   --check    never install, only say what is missing (how the tests of this script run it)
#
# A program counts as found when it is on PATH, or in the sbin folders (mosquitto, the broker,
# lives in /usr/sbin, which a normal user's PATH often lacks). REQUIRE_PACKAGES_SBIN_DIRS
# overrides those folders (a test gives an empty list). Exit 0 when everything is there
# (possibly after installing it), 1 when something is missing, 2 on bad usage.
#
# Only bash builtins are used before apt-get, so the check runs under any PATH.
set -uo pipefail

declare -A PACKAGE_OF=(
  [influxd]=influxdb
  [mosquitto]=mosquitto
  [mosquitto_pub]=mosquitto-clients
  [mosquitto_sub]=mosquitto-clients
  [chromium]=chromium
  [redis-server]=redis-server
  [/usr/lib/postgresql/15/bin/postgres]=postgresql
)
# Where to get a package on a system without apt-get.
declare -A VENDOR_OF=(
  [influxdb]='InfluxDB 1.x from https://docs.influxdata.com/influxdb/v1/introduction/install/'
  [mosquitto]='mosquitto from https://mosquitto.org/download/'
  [mosquitto-clients]='mosquitto from https://mosquitto.org/download/'
)
declare -A WHAT_OF=(
  [influxd]='InfluxDB 1.x server'
  [mosquitto]='MQTT broker'
  [mosquitto_pub]='MQTT client'
  [mosquitto_sub]='MQTT client'
  [chromium]='browser for the dashboard tests'
  [redis-server]='Redis server for the scale-out tests'
  [/usr/lib/postgresql/15/bin/postgres]='PostgreSQL 15 server for the registry tests (DATABASE_URL)'
)

check_only=0
if [ "${1:-}" = --check ]; then
  check_only=1
  shift
fi
if [ $# -lt 2 ]; then
  echo "usage: require-packages.sh [--check] <who> <command>..." >&2
  exit 2
fi
who=$1
shift
for cmd in "$@"; do
  if [ -z "${PACKAGE_OF[$cmd]+x}" ]; then
    echo "require-packages.sh: no Debian package known for \"$cmd\" (known: ${!PACKAGE_OF[*]})" >&2
    exit 2
  fi
done

IFS=: read -r -a sbin_dirs <<<"${REQUIRE_PACKAGES_SBIN_DIRS-/usr/local/sbin:/usr/sbin:/sbin}"

found() {
  command -v "$1" >/dev/null 2>&1 && return 0
  local dir
  for dir in "${sbin_dirs[@]}"; do
    [ -n "$dir" ] && [ -x "$dir/$1" ] && return 0
  done
  return 1
}

# Fills `missing` (commands) and `packages` (their packages, each once, in the order asked).
scan() {
  missing=()
  packages=()
  local cmd p seen=' '
  for cmd in "$@"; do
    found "$cmd" && continue
    missing+=("$cmd")
    p=${PACKAGE_OF[$cmd]}
    case "$seen" in *" $p "*) ;; *) packages+=("$p"); seen+="$p " ;; esac
  done
}

describe_missing() {
  local cmd
  for cmd in "${missing[@]}"; do
    echo "  - $cmd (${WHAT_OF[$cmd]}): Debian package ${PACKAGE_OF[$cmd]}" >&2
  done
}

scan "$@"
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$check_only" = 0 ] && [ "$EUID" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "$who: installing ${packages[*]} (apt-get)"
  if apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >/dev/null; then
    scan "$@"
    [ ${#missing[@]} -eq 0 ] && exit 0
    echo "$who: apt-get installed ${packages[*]}, but these are still not found:" >&2
  else
    echo "$who: apt-get could not install ${packages[*]} (output above); still missing:" >&2
  fi
  describe_missing
  exit 1
fi

echo "$who: missing ${missing[*]}:" >&2
describe_missing
if [ "$EUID" = 0 ]; then
  echo "  install with: apt-get install ${packages[*]}" >&2
else
  echo "  install with: sudo apt-get install ${packages[*]}" >&2
  echo "  (run as root, $who installs them itself)" >&2
fi
for p in "${packages[@]}"; do
  [ -n "${VENDOR_OF[$p]+x}" ] && echo "  without apt-get: ${VENDOR_OF[$p]}" >&2
done
exit 1
