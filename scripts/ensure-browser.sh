#!/usr/bin/env bash
# Make sure the browser tests can run: Debian's Chromium at /usr/bin/chromium
# and a CJK font (without one, Chinese text renders as empty boxes).
#
# Fast no-op when both are present. Otherwise installs the missing Debian
# packages with apt-get (needs root). Never downloads a browser through
# Playwright ("playwright install"): the tests launch /usr/bin/chromium.
#
# CJK font: any installed font covering Chinese is accepted (fonts-noto-cjk,
# fonts-wqy-zenhei, ...). When none is installed we install fonts-wqy-zenhei
# (7.5 MB download, 16 MB installed; fonts-noto-cjk is 57 MB / 91 MB). It was
# checked to render Simplified Chinese in headless Chromium on its own.
# Override with CJK_FONT_PACKAGE=fonts-noto-cjk.
set -euo pipefail

CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
CJK_FONT_PACKAGE="${CJK_FONT_PACKAGE:-fonts-wqy-zenhei}"

pkg_installed() {
    [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" == "install ok installed" ]]
}

have_cjk_font() {
    # fontconfig knows best what Chromium will find.
    if command -v fc-list >/dev/null 2>&1; then
        [[ -n "$(fc-list :lang=zh-cn family 2>/dev/null | head -n1)" ]] && return 0
    fi
    pkg_installed fonts-noto-cjk || pkg_installed fonts-wqy-zenhei || pkg_installed fonts-wqy-microhei
}

missing=()
if [[ ! -x "$CHROMIUM" ]]; then
    missing+=(chromium)
fi
if ! have_cjk_font; then
    missing+=("$CJK_FONT_PACKAGE")
fi

if [[ ${#missing[@]} -eq 0 ]]; then
    exit 0
fi

echo "ensure-browser: missing Debian packages: ${missing[*]}"
if [[ "$(id -u)" -ne 0 ]]; then
    echo "ensure-browser: not root, cannot install them. Run as root:" >&2
    echo "    apt-get update && apt-get install -y ${missing[*]}" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# Wait (up to 10 minutes) instead of failing when another apt/dpkg holds the lock.
APT=(apt-get -o DPkg::Lock::Timeout=600)
"${APT[@]}" update
"${APT[@]}" install -y "${missing[@]}"

if [[ ! -x "$CHROMIUM" ]]; then
    echo "ensure-browser: $CHROMIUM still missing after installing chromium" >&2
    exit 1
fi
if ! have_cjk_font; then
    echo "ensure-browser: no CJK font found after installing $CJK_FONT_PACKAGE" >&2
    exit 1
fi
echo "ensure-browser: installed ${missing[*]}"
