#!/usr/bin/env bash
# panim set-up on a fresh Debian 12 machine: installs the Debian packages that are missing
# (apt-get), configures and builds a CMake preset, and installs the face models from npm.
#   tools/setup.sh [PRESET...]        default preset: release (binary at build/panim)
# Environment: PA_SKIP_APT=1 skips the package step (for machines you manage yourself).
set -euo pipefail
cd "$(dirname "$0")/.."

# Libraries are checked with dpkg; tools (the part after ':') by their command, so a tool
# installed some other way (node/npm from NodeSource, python3 from pyenv...) is accepted.
PKGS=(build-essential:cc cmake:cmake ninja-build:ninja pkg-config:pkg-config clang:clang
      libxnnpack-dev libpthreadpool-dev libcpuinfo-dev
      libpng-dev libjpeg62-turbo-dev libssl-dev libcjson-dev libyaml-dev
      libavformat-dev libavcodec-dev libavutil-dev libswscale-dev libswresample-dev
      ffmpeg:ffmpeg libsdl2-dev libmicrohttpd-dev xvfb:Xvfb
      npm:npm dpkg-dev:dpkg-deb curl:curl python3:python3)

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
die() { printf 'panim setup: %s\n' "$*" >&2; exit 1; }

install_packages() {
    [ "${PA_SKIP_APT:-0}" = 1 ] && { say "PA_SKIP_APT=1: not checking Debian packages"; return; }
    command -v dpkg-query >/dev/null 2>&1 ||
        die "this is not a Debian-family system (no dpkg-query). Install the equivalents of: ${PKGS[*]%%:*} and re-run with PA_SKIP_APT=1."
    local missing=()
    for entry in "${PKGS[@]}"; do
        local p=${entry%%:*} cmd=
        [ "$p" != "$entry" ] && cmd=${entry#*:}
        if [ -n "$cmd" ] && command -v "$cmd" >/dev/null 2>&1; then continue; fi
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && { say "Debian packages: all present"; return; }
    say "installing Debian packages: ${missing[*]}"
    local sudo=()
    if [ "$(id -u)" != 0 ]; then
        command -v sudo >/dev/null 2>&1 ||
            die "missing packages (${missing[*]}) and not root: run 'sudo apt-get install ${missing[*]}' then re-run."
        sudo=(sudo)
    fi
    # Only refresh the package lists when they are absent or older than a day.
    if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null | head -n1)" ]; then
        "${sudo[@]}" apt-get update -q || die "apt-get update failed (network? /etc/apt/sources.list?)"
    fi
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" ||
        die "apt-get install failed for: ${missing[*]}"
}

build_preset() {
    local preset=$1
    say "configuring and building preset '$preset'"
    cmake --preset "$preset" >/dev/null || die "cmake configure failed for preset $preset"
    cmake --build --preset "$preset" || die "build failed for preset $preset"
}

install_packages
presets=("$@")
[ ${#presets[@]} -eq 0 ] && presets=(release)
for p in "${presets[@]}"; do build_preset "$p"; done
say "installing face models (npm) into models/"
./build/panim models install || die "model install failed (see the message above)"
