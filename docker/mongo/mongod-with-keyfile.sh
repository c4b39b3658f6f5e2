#!/bin/bash
# mongod with replica-set key authentication. mongod accepts a key file only when its owner alone can read it, and a
# compose secret is a bind mount with the host file's owner and mode, so the key is copied with the right ones first.
# The official image's entrypoint then runs as usual: it creates the root user on a fresh data directory
# (MONGO_INITDB_ROOT_*) and drops to the mongodb user.
set -euo pipefail
install -m 0400 -o mongodb -g mongodb /run/secrets/mongo_keyfile /etc/mongo-keyfile
exec docker-entrypoint.sh "$@"
