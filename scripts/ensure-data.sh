#!/bin/sh
# Make sure Fashion-MNIST is somewhere telar looks. On Debian/Ubuntu the package
# dataset-fashion-mnist installs the four IDX files in /usr/share/datasets/fashion-mnist.
DIR=/usr/share/datasets/fashion-mnist
# telar downloads into its user cache, t10k-labels last: its presence means a complete set.
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/telar/fashion-mnist"
if [ -f "$DIR/train-images-idx3-ubyte.gz" ] || [ -n "${TELAR_DATA:-}" ] \
   || [ -f "$CACHE/t10k-labels-idx1-ubyte.gz" ]; then
    exit 0
fi
if command -v apt-get >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else SUDO=none; fi
    if [ "$SUDO" != none ]; then
        echo "Installing the Debian package dataset-fashion-mnist ..."
        if $SUDO apt-get install -y -qq dataset-fashion-mnist >/dev/null 2>&1 \
           || { $SUDO apt-get update -qq >/dev/null 2>&1 && $SUDO apt-get install -y -qq dataset-fashion-mnist >/dev/null 2>&1; }; then
            exit 0
        fi
        echo "Could not install dataset-fashion-mnist; telar will use its cache or download the data." >&2
    fi
fi
echo "Fashion-MNIST not installed system-wide; telar will look in TELAR_DATA and ~/.cache/telar, then download it." >&2
exit 0
