#!/usr/bin/env bash
# `npm test`: every check of the project, against real parts (influxd, MQTT over TCP,
# mosquitto clients, Chromium). Installs what is missing when it can, says what is missing when not.
set -euo pipefail
cd "$(dirname "$0")/.."

# The outside programs the tests use; test/support/require-packages.sh knows their Debian
# packages, installs the missing ones as root and otherwise says what to install.
bash test/support/require-packages.sh "npm test" influxd mosquitto mosquitto_pub mosquitto_sub chromium redis-server /usr/lib/postgresql/15/bin/postgres

if [ ! -d node_modules ]; then
  echo "npm test: installing npm packages (npm ci)"
  npm ci --no-audit --no-fund
fi

echo "== type check"; npx tsc --noEmit
echo "== lint"; npx eslint .
echo "== import boundaries"; npx depcruise --config .dependency-cruiser.cjs services gateways dashboards simulators
echo "== tests"; npx vitest run "$@"
