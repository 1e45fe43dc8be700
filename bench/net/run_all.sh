#!/usr/bin/env bash
# Runs every bench/net measurement once, in this order: HTTP (run_http.sh), idle connections
# (run_idle.sh), a million sleeping tasks (timers), the hybrid case (run_hybrid.sh). Takes about
# 15 minutes on an idle two-core machine. Options are passed by environment: BUILD, SERVER_CPU,
# CLIENT_CPU, QUIET_PCT, QUIET_WAIT (see common.sh), and HTTP_ARGS, IDLE_ARGS, TIMERS_ARGS,
# HYBRID_ARGS (extra arguments for each part).
#
#   bench/net/run_all.sh | tee results.txt
set -euo pipefail
source "$(dirname "$0")/common.sh"
find_bin timers timers

machine_json
echo
echo "## HTTP keep-alive hello"
# shellcheck disable=SC2086  # the *_ARGS are word lists on purpose
"$NET_DIR/run_http.sh" ${HTTP_ARGS:-}
echo
echo "## Memory per idle connection"
"$NET_DIR/run_idle.sh" ${IDLE_ARGS:-}
echo
echo "## One million sleeping tasks"
taskset -c "$SERVER_CPU" "$timers" ${TIMERS_ARGS:-}
echo
echo "## Hybrid: / latency under /compute load"
"$NET_DIR/run_hybrid.sh" ${HYBRID_ARGS:-}
