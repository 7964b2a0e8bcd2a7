#!/bin/sh
# crh criu shim: stands in for `criu` (first on PATH for runc >= 1.2 and crun's libcriu, or given
# to runc < 1.2 as `--criu`) and injects a fault at the binary boundary, per CRH_CRIU_SHIM_MODE:
#   pass            run the real criu unchanged (the default)
#   fail            exit 1 at once, as a broken or too old criu would
#   absent          exit 127 with "command not found", as a shell does for a missing binary
#   delay:SECONDS   sleep, then run the real criu (a slow disk, a loaded machine)
#   kill-after:SECONDS   run the real criu and SIGKILL it after SECONDS (killed mid-operation)
#   fault:N         run the real criu with CRIU_FAULT=N
# CRH_CRIU_SHIM_REAL names the real criu (default /opt/crh/bin/criu); CRH_CRIU_SHIM_LOG, if set,
# gets one line per invocation. The runtimes pass their environment on to criu, so these
# variables can be set on the runtime call.
real="${CRH_CRIU_SHIM_REAL:-/opt/crh/bin/criu}"
mode="${CRH_CRIU_SHIM_MODE:-pass}"
if [ -n "${CRH_CRIU_SHIM_LOG:-}" ]; then
  echo "$$ mode=$mode args=$*" >> "$CRH_CRIU_SHIM_LOG"
fi
case "$mode" in
  pass) exec "$real" "$@" ;;
  fail) echo "criu shim: injected failure (CRH_CRIU_SHIM_MODE=fail)" >&2; exit 1 ;;
  absent) echo "criu: command not found (CRH_CRIU_SHIM_MODE=absent)" >&2; exit 127 ;;
  delay:*) sleep "${mode#delay:}"; exec "$real" "$@" ;;
  kill-after:*)
    "$real" "$@" &
    pid=$!
    ( sleep "${mode#kill-after:}"; kill -9 "$pid" 2>/dev/null ) &
    watcher=$!
    wait "$pid"
    rc=$?
    kill "$watcher" 2>/dev/null
    exit "$rc"
    ;;
  fault:*) CRIU_FAULT="${mode#fault:}" exec "$real" "$@" ;;
  *) echo "criu shim: unknown CRH_CRIU_SHIM_MODE=$mode" >&2; exit 2 ;;
esac
