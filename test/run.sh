#!/usr/bin/env bash
# `npm test`: every check of the project, against real parts (influxd, MQTT over TCP,
# mosquitto clients, Chromium). Installs what is missing when it can, says what is missing when not.
set -euo pipefail
cd "$(dirname "$0")/.."

# The Debian packages the tests use, by the command each provides.
declare -A PACKAGE_OF=([influxd]=influxdb [mosquitto_pub]=mosquitto-clients [mosquitto_sub]=mosquitto-clients [chromium]=chromium)
missing=()
for cmd in "${!PACKAGE_OF[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${PACKAGE_OF[$cmd]}")
done
if [ ${#missing[@]} -gt 0 ]; then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "npm test: installing ${missing[*]} (apt-get)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "npm test: missing Debian packages: ${missing[*]}" >&2
    echo "  install them with: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

if [ ! -d node_modules ]; then
  echo "npm test: installing npm packages (npm ci)"
  npm ci --no-audit --no-fund
fi

echo "== type check"; npx tsc --noEmit
echo "== lint"; npx eslint .
echo "== import boundaries"; npx depcruise --config .dependency-cruiser.cjs services gateways dashboards simulators
echo "== tests"; npx vitest run "$@"
