#!/usr/bin/env bash
# tools/install-deps.sh against stand-ins for dpkg-query, apt-get and sudo (nothing is installed):
# with no option it checks only what building and the main job need, --tests adds the test-only
# packages, --ci adds those and clang, --docs adds Doxygen, and apt-get runs only for packages that
# are missing.
set -euo pipefail
script="$1"
stubs=$(mktemp -d)
trap 'rm -rf "$stubs"' EXIT

# dpkg-query -W -f=... NAME: installed unless NAME is in $STUB_MISSING.
cat >"$stubs/dpkg-query" <<'STUB'
#!/usr/bin/env bash
name="${!#}"
for m in $STUB_MISSING; do [ "$m" = "$name" ] && exit 1; done
printf 'install ok installed'
STUB
cat >"$stubs/apt-get" <<'STUB'
#!/usr/bin/env bash
echo "$*" >>"$STUB_LOG"
STUB
printf '#!/usr/bin/env bash\nexec "$@"\n' >"$stubs/sudo"
chmod +x "$stubs"/*
export STUB_LOG="$stubs/apt.log"

fail() { echo "check_install_deps: $*" >&2; exit 1; }

# Runs the script with $1 missing and the remaining arguments as options; prints the packages
# apt-get was asked to install, sorted, one line ("" when apt-get did not run).
installs() {
  local missing="$1"
  shift
  : >"$STUB_LOG"
  STUB_MISSING="$missing" PATH="$stubs:$PATH" "$script" "$@" >/dev/null ||
    fail "install-deps.sh $* failed"
  local line
  line=$(grep '^install' "$STUB_LOG" || true)
  if [ -z "$line" ]; then
    [ ! -s "$STUB_LOG" ] || fail "install-deps.sh $* ran apt-get without installing: $(cat "$STUB_LOG")"
    echo ""
    return
  fi
  # Everything after "install" that is not an option.
  for word in ${line#install}; do [[ "$word" == -* ]] || echo "$word"; done | sort | tr '\n' ' ' |
    sed 's/ $//'
}

test_only="chromium clang curl netbase openssl redis-tools tmux"
expect() {
  local got="$1" want="$2" what="$3"
  [ "$got" = "$want" ] || fail "$what: apt-get installed '$got', expected '$want'"
}

expect "$(installs "")" "" "nothing missing"
expect "$(installs "$test_only")" "" "no option, only test packages and clang missing"
expect "$(installs "ninja-build $test_only")" "ninja-build" "no option, Ninja missing"
expect "$(installs "libc-ares-dev pkg-config $test_only")" "libc-ares-dev pkg-config" \
  "no option, c-ares and pkg-config missing (brigade::dns)"
expect "$(installs "libc-ares-dev" --tests)" "libc-ares-dev" "--tests, c-ares missing"
expect "$(installs "$test_only" --tests)" "chromium curl netbase openssl redis-tools tmux" "--tests"
expect "$(installs "$test_only" --ci)" "chromium clang curl netbase openssl redis-tools tmux" "--ci"
expect "$(installs "" --tests --ci)" "" "--tests --ci, nothing missing"
expect "$(installs "doxygen")" "" "no option, only Doxygen missing"
expect "$(installs "redis-server nginx-light")" "" "no option, only bench peers missing"
expect "$(installs "redis-server" --bench)" "redis-server" "--bench, redis-server missing"
expect "$(installs "doxygen $test_only" --docs)" "doxygen" "--docs"

status=0
STUB_MISSING="" PATH="$stubs:$PATH" "$script" --nope >/dev/null 2>&1 || status=$?
[ "$status" -eq 2 ] || fail "an unknown option exited with $status, not 2"
echo "install-deps.sh: base, --tests, --ci and --docs check the right packages;" \
  "apt-get only for missing ones"
