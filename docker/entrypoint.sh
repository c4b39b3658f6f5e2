#!/bin/sh
# Container entry: `serve` by default, or any other region-fhir command (`client add ...`, `seed ...`).
set -eu

# The registered-clients file lives on the data volume, so that `region-fhir client add` can change it while the
# server runs. The server refuses to start when the file is missing (a mistyped path must not mean "no clients" in
# silence), so a fresh volume gets an empty registry here; a file anywhere else is the operator's to provide.
case "${AUTH_CLIENTS:-}" in
  /data/*) [ -e "$AUTH_CLIENTS" ] || printf '{"clients":[]}\n' > "$AUTH_CLIENTS" ;;
esac

exec node "$(dirname "$0")/../dist/src/main.js" "$@"
