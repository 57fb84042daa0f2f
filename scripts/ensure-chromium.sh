#!/bin/sh
# The browser end-to-end test (tests/web/test_browser.py) drives Debian's chromium package.
# Install it when it is missing and we may (root, or sudo); otherwise the test skips, saying why.
if [ -x /usr/bin/chromium ] || [ -n "${TELAR_CHROMIUM:-}" ]; then
    exit 0
fi
if command -v apt-get >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO=none; fi
    if [ "$SUDO" != none ]; then
        echo "Installing the Debian package chromium (for the browser test) ..."
        if DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null 2>&1 \
           || { $SUDO apt-get update -qq >/dev/null 2>&1 \
                && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null 2>&1; }; then
            exit 0
        fi
    fi
fi
echo "chromium is not installed; the browser test will be skipped (apt-get install -y chromium)." >&2
exit 0
