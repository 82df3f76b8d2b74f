#!/usr/bin/env bash
# npm run bench: speed and memory figures, each compared in the same run with a baseline.
# The action runs under Node 24, the runtime action.yml declares (installed from the npm registry).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/.work
# The download baseline is curl + unzip.
if ! command -v curl >/dev/null || ! command -v unzip >/dev/null; then
  apt-get update -qq && apt-get install -y -qq curl unzip >/dev/null
fi
ACTION_NODE="$(bash scripts/node24.sh)"
export ACTION_NODE
echo "action runs under Node $("$ACTION_NODE" --version); benchmarks on $(nproc) cores"
npm run bundle --silent
for bench in "${@:-list list-memory download parallel resume extraction delete organisation-list organisation-delete}"; do
  for name in $bench; do
    echo
    npx tsx "bench/$name.ts"
  done
done
