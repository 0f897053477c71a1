#!/usr/bin/env bash
# README command 1: set up everything, then run panim's main job on the built-in default
# (the bundled default portrait; no webcam needed).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh release
exec ./build/panim demo "$@"
