#!/usr/bin/env bash
# Copied from the project's shared device notes (shared/device/debian-prefix.sh, outside this
# repository); scripts/build-prefix.sh calls it with the live stack's package list.
# Packs Debian 12 packages into one relocatable prefix tree for a machine with no network and no apt
# (the lent multi-core machine): apt-get download, dpkg-deb -x into one tree, no absolute symlinks,
# an ldd check that every non-glibc library resolves inside the prefix, then a .tar.gz.
# Usage: bash debian-prefix.sh OUT.tar.gz PACKAGE...   (as root on Debian 12; WORK=/tmp/debian-prefix by default)
# On the target: mkdir -p R && tar -C R -xzf OUT.tar.gz; run programs with
#   LD_LIBRARY_PATH=R/usr/lib/x86_64-linux-gnu:R/lib/x86_64-linux-gnu, Python with PYTHONHOME=R/usr,
#   PostgreSQL from R/usr/lib/postgresql/15/bin. Only glibc (>= 2.36) comes from the target.
# Libraries missing from the prefix are listed by the ldd check: add their packages (dpkg -S tells which).
set -euo pipefail
out=$(realpath -m "$1"); shift
W=${WORK:-/tmp/debian-prefix}; DEBS=$W/debs; P=$W/prefix
rm -rf "$W"; mkdir -p "$DEBS" "$P"
(cd "$DEBS" && apt-get download "$@")
for f in "$DEBS"/*.deb; do dpkg-deb -x "$f" "$P"; done
cd "$P"
rm -rf usr/share/{doc,locale,man,lintian} usr/lib/python3.11/test usr/lib/postgresql/15/lib/bitcode
rm -f usr/lib/postgresql/15/lib/llvmjit.so usr/lib/python3.11/sitecustomize.py
find usr/lib/python3/dist-packages -type d -name tests -prune -exec rm -rf {} + 2>/dev/null || true
if find . -type l -lname '/*' | grep -q .; then echo "absolute symlinks (fix or remove):"; find . -type l -lname '/*'; exit 1; fi
LLP=$P/usr/lib/x86_64-linux-gnu:$P/lib/x86_64-linux-gnu
: >"$W/outside.txt"
find "$P" -type f \( -perm -u+x -o -name '*.so*' \) | while read -r f; do
  file -b "$f" | grep -q ELF || continue
  LD_LIBRARY_PATH=$LLP ldd "$f" 2>/dev/null | grep '=>' | grep -v "=> $P" \
    | grep -vE 'linux-vdso|ld-linux|/libc\.so|/libm\.so|/libpthread|/libdl\.so|/librt\.so|/libresolv|/libutil\.so|/libanl\.so' \
    | sed "s|^|$f: |" >>"$W/outside.txt" || true
done
if [ -s "$W/outside.txt" ]; then echo "libraries resolving outside the prefix:"; sort -u -t: -k2 "$W/outside.txt" | head -40; exit 1; fi
for f in "$DEBS"/*.deb; do dpkg-deb -f "$f" Package Version | paste -sd' '; done | sort >"$P/PACKAGES.txt"
tar -C "$P" -cf - . | gzip -9 >"$out"
ls -l "$out"; du -sh "$P"
