#!/bin/sh
# crh faulty CNI plugin: install it in a CNI_PATH folder under the name a conflist's "type" uses
# (for example "crh-faulty-bridge"); it forwards the CNI request (environment and stdin config)
# to a real plugin and injects the fault named by $CRH_CNI_FAULT, or by the first line of the
# file $CRH_CNI_FAULT_FILE (read on every call, so a test can arm and disarm it):
#   pass          forward unchanged (the default)
#   add-fail      ADD fails with a CNI error object before the real plugin runs
#   add-other-ip  ADD runs, then reports a different address (.250 in the same /24) than the
#                 one IPAM reserved: an engine must not trust it blindly
#   del-fail      DEL runs the real plugin (so nothing leaks), then reports failure
#   del-fail-before  DEL fails without running the real plugin (the veth and IP stay)
# CRH_CNI_REAL names the real plugin (default /usr/lib/cni/bridge).
real="${CRH_CNI_REAL:-/usr/lib/cni/bridge}"
fault="${CRH_CNI_FAULT:-}"
if [ -z "$fault" ] && [ -n "${CRH_CNI_FAULT_FILE:-}" ] && [ -r "$CRH_CNI_FAULT_FILE" ]; then
  fault="$(head -n 1 "$CRH_CNI_FAULT_FILE")"
fi
fault="${fault:-pass}"
cni_error() {
  printf '{"cniVersion":"1.0.0","code":%s,"msg":"%s","details":"injected by crh faulty CNI plugin (%s)"}\n' \
    "$1" "$2" "$fault"
  exit 1
}
case "$CNI_COMMAND:$fault" in
  ADD:add-fail) cni_error 11 "injected ADD failure" ;;
  DEL:del-fail-before) cni_error 11 "injected DEL failure" ;;
  ADD:add-other-ip)
    out="$("$real")" || { printf '%s\n' "$out"; exit 1; }
    # 10.84.0.7/24 -> 10.84.0.250/24 (first address only)
    printf '%s\n' "$out" | sed -E '0,/"address": *"([0-9]+\.[0-9]+\.[0-9]+)\.[0-9]+\//s//"address":"\1.250\//'
    ;;
  DEL:del-fail)
    "$real" >/dev/null
    cni_error 11 "injected DEL failure after a real DEL"
    ;;
  *) exec "$real" ;;
esac
