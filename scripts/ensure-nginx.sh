#!/usr/bin/env bash
# Make sure the reverse-proxy test (tests/deploy/test_behind_nginx.py) can run: Debian's
# nginx at /usr/sbin/nginx and openssl for the self-signed certificate.
#
# Fast no-op when both are present. Otherwise installs the missing Debian packages with
# apt-get (needs root), as scripts/ensure-browser.sh does for Chromium. The package's own
# service is not started: the test runs its own nginx as a child process with a
# configuration in a temporary folder (policy-rc.d refuses service starts during install).
set -euo pipefail

NGINX="${NGINX:-/usr/sbin/nginx}"

missing=()
[[ -x "$NGINX" ]] || missing+=(nginx)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)

if [[ ${#missing[@]} -eq 0 ]]; then
    exit 0
fi

echo "ensure-nginx: missing Debian packages: ${missing[*]}"
if [[ "$(id -u)" -ne 0 ]]; then
    echo "ensure-nginx: not root, cannot install them. Run as root:" >&2
    echo "    apt-get update && apt-get install -y ${missing[*]}" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
APT=(apt-get -o DPkg::Lock::Timeout=600)
# Do not start the packaged nginx on port 80 while installing (exit 101: "action forbidden").
created_policy=0
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    created_policy=1
fi
trap '[[ $created_policy -eq 1 ]] && rm -f /usr/sbin/policy-rc.d' EXIT
"${APT[@]}" update -q
"${APT[@]}" install -y -q --no-install-recommends "${missing[@]}"

if [[ ! -x "$NGINX" ]]; then
    echo "ensure-nginx: $NGINX still missing after installing nginx" >&2
    exit 1
fi
echo "ensure-nginx: installed ${missing[*]}"
