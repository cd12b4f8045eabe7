#!/bin/sh
# Removes what install.sh put on this machine: stops the agent (unit or background process),
# ends the pods and the agent's own containerd, removes its bridge, mounts, files and folders.
# Packages installed with apt stay (other software may use them). Takes the same KUBUN_* folder
# variables as install.sh.
set -eu

INSTALL_DIR=${KUBUN_INSTALL_DIR:-/opt/kubun}
DATA_DIR=${KUBUN_DATA_DIR:-/var/lib/kubun/agent}
CONFIG_DIR=${KUBUN_CONFIG_DIR:-/etc/kubun}
BIN_DIR=${KUBUN_BIN_DIR:-/usr/local/bin}
RUN_DIR=${KUBUN_RUN_DIR:-/run/kubun}
LOG_DIR=${KUBUN_LOG_DIR:-/var/log/kubun}
UNIT=/etc/systemd/system/kubun-agent.service

[ "$(id -u)" = 0 ] || { echo "uninstall.sh: run as root" >&2; exit 1; }

gone() { ! kill -0 "$1" 2>/dev/null || grep -q ') Z ' "/proc/$1/stat" 2>/dev/null; }
wait_gone() { i=0; while ! gone "$1" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done; }

if [ -f "$UNIT" ]; then
  systemctl disable --now kubun-agent.service >/dev/null 2>&1 || true
  rm -f "$UNIT"
  systemctl daemon-reload >/dev/null 2>&1 || true
fi
PID_FILE="$RUN_DIR/kubun-agent.pid"
if [ -f "$PID_FILE" ]; then
  pid=$(cat "$PID_FILE")
  if ! gone "$pid"; then
    kill "$pid" 2>/dev/null || true
    wait_gone "$pid"
    gone "$pid" || kill -9 "$pid" 2>/dev/null || true
  fi
fi

# The pods: every shim of the agent's containerd, found by its socket address, with its
# containers (the shim's children); then containerd itself if it still runs.
SOCK="$DATA_DIR/containerd/run/containerd.sock"
for pid in $(grep -l -- "$SOCK" /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3); do
  for child in $(cat "/proc/$pid/task/$pid/children" 2>/dev/null); do kill -9 "$child" 2>/dev/null || true; done
  kill -9 "$pid" 2>/dev/null || true
done
if [ -f "$DATA_DIR/containerd/containerd.pid" ]; then
  pid=$(cat "$DATA_DIR/containerd/containerd.pid")
  grep -q containerd "/proc/$pid/cmdline" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
  wait_gone "$pid"
fi
for conf in "$DATA_DIR"/cni/net.d/*.conflist; do
  [ -f "$conf" ] || continue
  bridge=$(sed -n 's/.*"bridge": *"\([^"]*\)".*/\1/p' "$conf" | head -n1)
  [ -z "$bridge" ] || ip link del "$bridge" 2>/dev/null || true
done
# The service proxy's interface (its ClusterIPs and the cluster DNS address).
ip link del "${KUBUN_SERVICE_INTERFACE:-kubun-svc0}" 2>/dev/null || true
ip -4 route show proto 177 2>/dev/null | while read -r dst _; do ip route del "$dst" proto 177 2>/dev/null || true; done
# NetworkPolicy enforcement (agent/netpol): the jumps to this agent's chains, the chains, its
# ipsets; their names carry the first 8 hex digits of sha256(data dir), as rules.ts agentId().
NP_ID=$(printf %s "$DATA_DIR" | sha256sum | cut -c1-8)
for t in filter nat; do
  iptables -w -t "$t" -S 2>/dev/null | sed -n "s/^-A \([A-Z]*\) \(.*-j KUBUN-NP-$NP_ID-[A-Z]*\)\$/\1 \2/p" | while read -r parent rule; do
    # shellcheck disable=SC2086
    iptables -w -t "$t" -D "$parent" $rule 2>/dev/null || true
  done
  chains=$(iptables -w -t "$t" -S 2>/dev/null | sed -n "s/^-N \(KUBUN-NP-$NP_ID-[A-Z]*\|KNP-$NP_ID-[IE]-[0-9a-f]*\)\$/\1/p")
  for c in $chains; do iptables -w -t "$t" -F "$c" 2>/dev/null || true; done
  for c in $chains; do iptables -w -t "$t" -X "$c" 2>/dev/null || true; done
done
for s in $(ipset list -n 2>/dev/null | grep "^knp-$NP_ID-"); do ipset destroy "$s" 2>/dev/null || true; done
awk -v d="$DATA_DIR" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done

rm -rf "$DATA_DIR" "$CONFIG_DIR" "$RUN_DIR" "$LOG_DIR" "$BIN_DIR/kubun-agent"
[ "$INSTALL_DIR" = / ] || [ ! -f "$INSTALL_DIR/src/cli/main.ts" ] || [ -n "${KUBUN_LINK:-}" ] || rm -rf "$INSTALL_DIR"
rmdir /var/lib/kubun 2>/dev/null || true
echo "[kubun] agent uninstalled"
