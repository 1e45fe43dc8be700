#!/usr/bin/env bash
# The tests of examples/responsive, one per CASE (see CMakeLists.txt here):
#   check_responsive.sh CASE PROGRAM [TMUX]
# tmux: the program in a detached tmux session, driven by send-keys and read by capture-pane;
# pipe_json and inline_pipe: keys from a pipe, figures from --json. Behaviour only: the
# program's own timings are printed, never compared with a target (a loaded machine would miss it).
set -euo pipefail
case="$1" prog="$2" tmux="${3:-}"
dir=$(mktemp -d)
fail() { echo "check_responsive $case: $*" >&2; exit 1; }

# The text of field $2 of the JSON object $1, as printed.
field() {
  [[ "$1" =~ \"$2\":([^,}]+) ]] || fail "no \"$2\" in $1"
  echo "${BASH_REMATCH[1]}"
}
number() { [[ "$1" =~ ^[0-9.eE+-]+$ ]] || fail "$2 is '$1', not a number"; }

# Runs the program with arguments "$@" in a detached tmux session; after it, the shell there
# writes its exit status and the terminal's settings (restored or not) into $dir.
start_tmux() {
  [ -n "$tmux" ] || fail "tmux not found (tools/install-deps.sh --tests installs it)"
  sock="$dir/tmux.sock"
  trap 't kill-server 2>/dev/null || true; rm -rf "$dir"' EXIT
  t new-session -d -s resp -x 150 -y 10 \
    "'$prog' $*; echo \$? >'$dir/status.tmp'; stty -a >'$dir/stty'; mv '$dir/status.tmp' '$dir/status'"
}
t() { "$tmux" -S "$sock" -f /dev/null "$@"; }
screen() { t capture-pane -p -t resp 2>/dev/null || true; }
frame() { screen | grep -Eo 'frame [0-9]+' | tail -1 | cut -d' ' -f2; }
percent() { screen | grep -Eo '\] +[0-9]+%' | tail -1 | grep -Eo '[0-9]+'; }
# Polls (every 50 ms, up to $1 s) until "$2" (a command) succeeds.
within() {
  local deadline=$((SECONDS + $1))
  until eval "$2" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || fail "after $1 s, still not: $2; the screen: $(screen)"
    sleep 0.05
  done
}
# Fails unless the program exited with $1 and left the terminal as it found it.
exited_with() {
  within 10 '[ -f "$dir/status" ]'
  [ "$(cat "$dir/status")" = "$1" ] || fail "exit status $(cat "$dir/status"), not $1"
  if grep -qw -- '-icanon' "$dir/stty" || grep -qw -- '-echo' "$dir/stty"; then
    fail "the terminal was left without icanon or echo: $(cat "$dir/stty")"
  fi
  echo "exit status $1, terminal restored (icanon, echo)"
}

case "$case" in
tmux)
  start_tmux --size 8000
  within 10 '[ -n "$(frame)" ]'
  a=$(frame); sleep 0.3; b=$(frame)
  [ "$b" -gt "$a" ] || fail "the frame counter stood still while idle: $a, then $b"
  t send-keys -t resp s
  within 20 '[ "$(percent)" -gt 0 ]'
  a=$(frame); p=$(percent)
  within 20 '[ "$(percent)" -gt "$p" ]'
  b=$(frame)
  [ "$b" -gt "$a" ] || fail "the frame counter stood still while the work ran: $a, then $b"
  echo "the work ran: ${p}% -> $(percent)%, frames $a -> $b"
  t send-keys -t resp c
  within 10 'screen | grep -q "cancelled after"'
  screen | grep -o 'cancelled after.*'
  t send-keys -t resp q
  exited_with 0
  ;;
sigterm_inline)
  # SIGTERM while --inline work holds the UI thread: the handler restores the terminal anyway.
  start_tmux --inline --size 8000
  within 10 '[ -n "$(frame)" ]'
  t send-keys -t resp s
  within 10 'screen | grep -q "running inline"'
  shell=$(t display-message -p -t resp '#{pane_pid}')
  pid=$(pgrep -P "$shell" -x responsive) || fail "no responsive process under the shell $shell"
  kill -TERM "$pid"
  exited_with 143
  ;;
pipe_json)
  trap 'rm -rf "$dir"' EXIT
  out=$( (printf s; sleep 1; printf c; sleep 1) | "$prog" --json --size 8000)
  echo "$out"
  for f in max_frame_gap_ms max_key_latency_ms work_seconds max_cancel_ms; do
    number "$(field "$out" "$f")" "$f"
  done
  [ "$(field "$out" work_outcome)" = '"cancelled"' ] || fail "the work was not cancelled: $out"
  [ "$(field "$out" keys)" = 2 ] || fail "want 2 keys read: $out"
  [ "$(field "$out" frames)" -gt 1 ] || fail "no frames: $out"
  ;;
inline_pipe)
  trap 'rm -rf "$dir"' EXIT
  # q comes while the work holds the UI thread: it is read when the work is over.
  out=$( (printf s; sleep 0.3; printf q) | "$prog" --json --inline --size 400)
  echo "$out"
  [ "$(field "$out" mode)" = '"inline"' ] || fail "not inline: $out"
  [ "$(field "$out" work_outcome)" = '"done"' ] || fail "the work did not finish: $out"
  [ "$(field "$out" in_set)" -gt 0 ] || fail "no point in the set: $out"
  number "$(field "$out" max_frame_gap_ms)" max_frame_gap_ms
  ;;
*) fail "unknown case" ;;
esac
