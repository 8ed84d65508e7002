#!/usr/bin/env bash
# Installs Debian's nginx for the reverse-proxy tests when it is missing (the tests start their own nginx on
# loopback in a temporary directory; the system service is never started or enabled).
# In CI (CI=true) a failure is fatal; elsewhere the proxy test reports why it did not run.
set -u
if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then exit 0; fi
if [ "$(id -u)" != "0" ]; then
  echo "note: nginx is not installed and this user cannot apt-get it; the proxy test will say so." >&2
  [ "${CI:-}" = "true" ] && exit 1 || exit 0
fi
echo "Installing Debian's nginx for the proxy test..."
# policy-rc.d 101: the package must not start the system nginx on port 80 during the install.
policy=/usr/sbin/policy-rc.d
created=""
if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && created=1; fi
ok=1
(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null) || ok=""
[ -n "$created" ] && rm -f "$policy"
[ -n "$ok" ] && exit 0
echo "note: could not install nginx; the proxy test will say why it did not run." >&2
[ "${CI:-}" = "true" ] && exit 1 || exit 0
