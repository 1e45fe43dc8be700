#!/usr/bin/env bash
# Installs what building and testing brigade needs on Debian 12, as root (or through sudo).
#   tools/install-deps.sh           building brigade and the main job (cmake --preset release,
#                                   brigade kitchen): g++, CMake, Ninja, liburing, CLI11,
#                                   nlohmann-json, http_parser, libpng and libjpeg-turbo (the
#                                   examples), OpenSSL's headers (libssl-dev: brigade::tls and
#                                   web_server's HTTPS), zlib (examples/train reads .csv.gz),
#                                   GoogleTest (the release preset configures the tests too), c-ares
#                                   and pkg-config, which finds it (the brigade::dns component)
#   tools/install-deps.sh --tests   also what only the tests use: curl (web_server tests),
#                                   openssl (the command: the tls tests' certificates, s_server
#                                   and s_client),
#                                   redis-tools (redis-cli: kv_server tests), tmux (drives
#                                   examples/responsive in a terminal), Chromium
#                                   (headless: renders the trace page in a test), netbase
#                                   (/etc/services: the dns tests resolve "http"), Open MPI (libopenmpi-dev, openmpi-bin:
#                                   brigade::mpi and its tests under mpirun), and the handwritten digits
#                                   for examples/train: Debian ships digits.csv.gz (57 KB) in
#                                   python3-sklearn, which would pull in ~250 MB (SciPy, NumPy,
#                                   Boost headers), so the script downloads that package
#                                   (apt-get download) and unpacks just the one file into
#                                   /var/cache/brigade/digits.csv.gz, where `train` looks for
#                                   it after Debian's own path
#   tools/install-deps.sh --bench   also the peers the benchmarks compare with (oneTBB, OpenMP,
#                                   Asio, libuv, moodycamel queues, nginx, ImageMagick,
#                                   redis-server) and wrk
#   tools/install-deps.sh --ci      --tests (the digits too), and clang 14 (CI builds the
#                                   sanitizer presets with it)
#   tools/install-deps.sh --docs    also Doxygen, for the HTML API reference (the `docs` target)
# Packages already present are left alone, and apt-get runs only when something is missing.
set -euo pipefail

packages=(g++ cmake ninja-build libgtest-dev liburing-dev libhttp-parser-dev libcli11-dev nlohmann-json3-dev libpng-dev libjpeg62-turbo-dev zlib1g-dev libc-ares-dev pkg-config libssl-dev)
test_packages=(curl openssl redis-tools tmux chromium netbase libopenmpi-dev openmpi-bin)
want_digits=0
for arg in "$@"; do
  case "$arg" in
    --tests) packages+=("${test_packages[@]}"); want_digits=1 ;;
    --bench) packages+=(libtbb-dev libomp-dev libbenchmark-dev libasio-dev libuv1-dev libconcurrentqueue-dev wrk nginx-light imagemagick redis-server) ;;
    --ci) packages+=("${test_packages[@]}" clang libclang-rt-dev); want_digits=1 ;;
    --docs) packages+=(doxygen) ;;
    *) echo "install-deps.sh: unknown option '$arg' (use --tests, --bench, --ci or --docs)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
digits_in_deb=usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz
digits_cache=/var/cache/brigade/digits.csv.gz
if [ "$want_digits" -eq 1 ] && { [ -f "/$digits_in_deb" ] || [ -f "$digits_cache" ]; }; then
  want_digits=0
fi
if [ ${#missing[@]} -eq 0 ] && [ "$want_digits" -eq 0 ]; then
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps.sh: need root (or sudo) to install: ${missing[*]}$([ "$want_digits" -eq 1 ] && echo " $digits_cache")" >&2; exit 1; }
  sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
updated=0
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps.sh: installing ${missing[*]}"
  $sudo apt-get update -qq
  updated=1
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
if [ "$want_digits" -eq 1 ]; then
  echo "install-deps.sh: fetching digits.csv.gz from python3-sklearn into $digits_cache"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  chmod 777 "$tmp"  # apt-get download writes as the _apt user where that user may
  if ! (cd "$tmp" && apt-get download -qq python3-sklearn); then
    [ "$updated" -eq 1 ] || $sudo apt-get update -qq
    (cd "$tmp" && apt-get download -qq python3-sklearn)
  fi
  dpkg-deb -x "$tmp"/python3-sklearn_*.deb "$tmp/unpacked"
  $sudo install -D -m 644 "$tmp/unpacked/$digits_in_deb" "$digits_cache"
fi
