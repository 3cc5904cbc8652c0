#!/usr/bin/env bash
# Builds the relocatable prefix of Debian packages that `stacksim live` runs from on a machine with
# no network and no apt (STACKSIM_PREFIX=DIR, docs/live.md): live/packages.txt plus everything they
# depend on, as apt resolves it on an empty system, less the base system the target already has
# (glibc and the tools no program of the stack runs). A manual step, never run by CI.
# Usage: bash scripts/build-prefix.sh [OUT.tar.gz] [DIR]   (as root on Debian 12, with network)
#   OUT.tar.gz defaults to /tmp/stacksim-prefix.tar.gz; with DIR the tarball is also unpacked there.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-/tmp/stacksim-prefix.tar.gz}
dir=${2:-}

mapfile -t wanted < <(grep -v '^\s*#' "$here/../live/packages.txt" | sed '/^\s*$/d')
# glibc must come from the target (the prefix's programs use the target's ld.so); the rest is the
# base system, maintainer-script machinery, or large and unused (LLVM serves only PostgreSQL's JIT,
# which debian-prefix.sh removes; Cython only builds extensions).
excluded='^(libc6|libc-bin|libc-l10n|locales|adduser|debconf|dpkg|init-system-helpers|iproute2|passwd|perl|perl-base|perl-modules-5\.36|libperl5\.36|libgdbm-compat4|lib.*-perl|postgresql-common|postgresql-client-common|sensible-utils|ssl-cert|sysvinit-utils|tar|tzdata|ucf|usrmerge|usr-is-merged|lsb-base|libllvm14|libz3-4|cython3|libjs-jquery|ca-certificates|openssl|libpam-modules|libpam-modules-bin|libsemanage-common|libsemanage2|libsepol2|libcap2-bin|libbpf1|libelf1|libmnl0|libxtables12)$'

status=$(mktemp)
trap 'rm -f "$status"' EXIT
mapfile -t packages < <(apt-get -s -o Dir::State::status="$status" install --no-install-recommends \
  "${wanted[@]}" | awk '/^Inst /{print $2}' | grep -Ev "$excluded" | sort -u)
echo "build-prefix: ${#packages[@]} packages"
bash "$here/debian-prefix.sh" "$out" "${packages[@]}"
if [ -n "$dir" ]; then
  rm -rf "$dir" && mkdir -p "$dir" && tar -C "$dir" -xzf "$out"
  echo "build-prefix: unpacked into $dir; run with STACKSIM_PREFIX=$dir"
fi
