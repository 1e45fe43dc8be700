#!/usr/bin/env bash
# Installs what building and testing brigade needs on Debian 12, as root (or through sudo).
#   tools/install-deps.sh           building brigade and the main job (cmake --preset release,
#                                   brigade kitchen): g++, CMake, Ninja, liburing, CLI11,
#                                   nlohmann-json, http_parser, GoogleTest (the release preset
#                                   configures the tests too)
#   tools/install-deps.sh --tests   also what only the tests use: curl (web_server tests),
#                                   redis-tools (redis-cli: kv_server tests), Chromium
#                                   (headless: renders the trace page in a test), pkg-config
#                                   (the install test)
#   tools/install-deps.sh --bench   also the peers the benchmarks compare with (oneTBB, OpenMP,
#                                   Asio, libuv, moodycamel queues, nginx, redis-server) and wrk
#   tools/install-deps.sh --ci      --tests, and clang 14 (CI builds the sanitizer presets with it)
#   tools/install-deps.sh --docs    also Doxygen, for the HTML API reference (the `docs` target)
# Packages already present are left alone, and apt-get runs only when something is missing.
set -euo pipefail

packages=(g++ cmake ninja-build libgtest-dev liburing-dev libhttp-parser-dev libcli11-dev nlohmann-json3-dev)
test_packages=(curl redis-tools chromium pkg-config)
for arg in "$@"; do
  case "$arg" in
    --tests) packages+=("${test_packages[@]}") ;;
    --bench) packages+=(libtbb-dev libomp-dev libbenchmark-dev libasio-dev libuv1-dev libconcurrentqueue-dev wrk nginx-light redis-server) ;;
    --ci) packages+=("${test_packages[@]}" clang libclang-rt-dev) ;;
    --docs) packages+=(doxygen) ;;
    *) echo "install-deps.sh: unknown option '$arg' (use --tests, --bench, --ci or --docs)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps.sh: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo=sudo
fi
echo "install-deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
