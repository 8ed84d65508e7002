#!/usr/bin/env bash
# Installs Debian's postgresql for the shared-feedback tests when it is missing (the tests start their own
# throwaway cluster with initdb + pg_ctl in a temporary directory; the package's own cluster is not used).
# In CI (CI=true) a failure is fatal; elsewhere the PostgreSQL tests fail with a message naming this script.
set -u
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" != "0" ]; then
  echo "note: postgresql is not installed and this user cannot apt-get it; the PostgreSQL tests will fail naming this script." >&2
  [ "${CI:-}" = "true" ] && exit 1 || exit 0
fi
echo "Installing Debian's postgresql for the shared-feedback tests..."
if (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null); then
  exit 0
fi
echo "note: could not install postgresql; the PostgreSQL tests will fail naming this script." >&2
[ "${CI:-}" = "true" ] && exit 1 || exit 0
