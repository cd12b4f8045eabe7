#!/bin/sh
# Installs a kubun node agent on this machine, in the k3s manner:
#   KUBUN_URL=https://server:6443 KUBUN_TOKEN=... [KUBUN_CA_FILE=ca.crt] sh install.sh [--no-systemd]
# Installs containerd, runc, the CNI plugins, busybox-static and Bun where missing (Debian/Ubuntu),
# puts kubun in place and builds its WebAssembly modules, writes /etc/kubun/agent.env and either
# the systemd unit kubun-agent.service or (--no-systemd) starts the agent in the background with a
# pid file and a log. Running it again updates the install and restarts the agent. uninstall.sh
# undoes all of it.
#
# Optional: KUBUN_NODE_NAME, KUBUN_NODE_IP, KUBUN_POD_CIDR, KUBUN_EXTRA_ARGS, KUBUN_PAUSE_IMAGE (default
# the local pause image it imports), KUBUN_REGISTRIES (a registries.yaml to install); KUBUN_SOURCE (a kubun
# checkout to copy; default: the one this script is in), KUBUN_LINK=1 (use KUBUN_SOURCE in place
# instead of copying it), and the folders KUBUN_INSTALL_DIR, KUBUN_DATA_DIR, KUBUN_CONFIG_DIR,
# KUBUN_BIN_DIR, KUBUN_RUN_DIR, KUBUN_LOG_DIR.
set -eu

SYSTEMD=1
for arg in "$@"; do
  case "$arg" in
    --no-systemd) SYSTEMD=0 ;;
    *) echo "install.sh: unknown argument $arg" >&2; exit 2 ;;
  esac
done

fatal() { echo "install.sh: $*" >&2; exit 1; }
info() { echo "[kubun] $*"; }

[ -n "${KUBUN_URL:-}" ] || fatal "KUBUN_URL is required (https://server:6443)"
[ -n "${KUBUN_TOKEN:-}" ] || fatal "KUBUN_TOKEN is required (the server's join token)"
[ "$(id -u)" = 0 ] || fatal "run as root"

SCRIPT_DIR=$(cd "$(dirname "$0")" && pwd)
SOURCE=${KUBUN_SOURCE:-$(dirname "$SCRIPT_DIR")}
INSTALL_DIR=${KUBUN_INSTALL_DIR:-/opt/kubun}
DATA_DIR=${KUBUN_DATA_DIR:-/var/lib/kubun/agent}
CONFIG_DIR=${KUBUN_CONFIG_DIR:-/etc/kubun}
BIN_DIR=${KUBUN_BIN_DIR:-/usr/local/bin}
RUN_DIR=${KUBUN_RUN_DIR:-/run/kubun}
LOG_DIR=${KUBUN_LOG_DIR:-/var/log/kubun}
UNIT=/etc/systemd/system/kubun-agent.service

# --- packages -------------------------------------------------------------------------------
missing=""
command -v containerd >/dev/null 2>&1 || missing="$missing containerd"
command -v runc >/dev/null 2>&1 || [ -x /usr/sbin/runc ] || missing="$missing runc"
[ -x /usr/lib/cni/bridge ] || [ -x /opt/cni/bin/bridge ] || missing="$missing containernetworking-plugins"
command -v busybox >/dev/null 2>&1 || missing="$missing busybox-static"
# NetworkPolicy enforcement (agent/netpol): iptables chains and ipsets.
command -v iptables-restore >/dev/null 2>&1 || [ -x /usr/sbin/iptables-restore ] || missing="$missing iptables"
command -v ipset >/dev/null 2>&1 || [ -x /usr/sbin/ipset ] || missing="$missing ipset"
if [ -n "$missing" ]; then
  command -v apt-get >/dev/null 2>&1 || fatal "missing$missing and no apt-get: install them by hand (only Debian/Ubuntu are automated)"
  info "installing$missing"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing
fi

BUN=${KUBUN_BUN:-$(command -v bun 2>/dev/null || true)}
[ -n "$BUN" ] || [ ! -x "$SOURCE/node_modules/.bin/bun" ] || BUN="$SOURCE/node_modules/.bin/bun"
if [ -z "$BUN" ]; then
  command -v npm >/dev/null 2>&1 || { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm || fatal "cannot install npm for Bun"; }
  info "installing Bun"
  npm install -g bun >/dev/null
  BUN=$(command -v bun) || fatal "bun is not on PATH after npm install -g bun"
fi

# --- kubun itself ---------------------------------------------------------------------------
[ -f "$SOURCE/src/cli/main.ts" ] || fatal "no kubun checkout at $SOURCE (set KUBUN_SOURCE)"
if [ "${KUBUN_LINK:-0}" = 1 ]; then
  HOME_DIR=$SOURCE
else
  info "copying kubun to $INSTALL_DIR"
  mkdir -p "$INSTALL_DIR"
  (cd "$SOURCE" && tar --exclude=./.git --exclude=./.data --exclude=./build -cf - .) | (cd "$INSTALL_DIR" && tar -xf -)
  HOME_DIR=$INSTALL_DIR
fi
# The agent loads build/wasm/route-table.wasm (the service proxy's routing table) and refuses to
# start when it is missing or older than its sources. build/ is never copied (it may be stale or
# not built at all), so build what is missing here, with the checkout's own AssemblyScript compiler.
[ -x "$HOME_DIR/node_modules/.bin/asc" ] || fatal "no node_modules in $SOURCE: run bun install there first"
info "building the WebAssembly modules"
(cd "$HOME_DIR" && "$BUN" wasm/build.ts --if-stale >/dev/null) || fatal "building the WebAssembly modules in $HOME_DIR failed"

# No registry is assumed: the sandbox image (local/pause:1) and local/busybox:1 are built from the
# static busybox into the agent's images folder, which it imports at start (k3s's airgap images).
info "building the local images"
mkdir -p "$DATA_DIR/images"
(cd "$HOME_DIR" && "$BUN" scripts/build-test-images.ts "$DATA_DIR/images" >/dev/null) || fatal "building the local images into $DATA_DIR/images failed"

mkdir -p "$CONFIG_DIR" "$DATA_DIR" "$BIN_DIR" "$RUN_DIR" "$LOG_DIR"
CA_ARG=""
if [ -n "${KUBUN_CA_FILE:-}" ]; then
  cp "$KUBUN_CA_FILE" "$CONFIG_DIR/server-ca.crt"
  CA_ARG="--ca-file $CONFIG_DIR/server-ca.crt"
fi
umask 077
cat >"$CONFIG_DIR/agent.env" <<EOF
# written by kubun's install.sh
KUBUN_URL=$KUBUN_URL
KUBUN_TOKEN=$KUBUN_TOKEN
EOF
umask 022

# A registries.yaml (k3s's format: mirrors, and configs with auth and tls) from KUBUN_REGISTRIES is
# kept as $CONFIG_DIR/registries.yaml; the agent re-reads that file when it changes.
if [ -n "${KUBUN_REGISTRIES:-}" ]; then
  [ -f "$KUBUN_REGISTRIES" ] || fatal "KUBUN_REGISTRIES=$KUBUN_REGISTRIES is not a file"
  cp "$KUBUN_REGISTRIES" "$CONFIG_DIR/registries.yaml"
  chmod 600 "$CONFIG_DIR/registries.yaml" # it may hold registry passwords
fi
REGISTRIES_ARG=""
[ ! -f "$CONFIG_DIR/registries.yaml" ] || REGISTRIES_ARG="--registry-config $CONFIG_DIR/registries.yaml"

# The pause image is the local one imported above unless KUBUN_PAUSE_IMAGE names another (e.g.
# registry.k8s.io/pause:3.10 on a VM that reaches a registry).
ARGS="--server \${KUBUN_URL} --token \${KUBUN_TOKEN} --data-dir $DATA_DIR $CA_ARG --pause-image ${KUBUN_PAUSE_IMAGE:-docker.io/local/pause:1} $REGISTRIES_ARG"
[ -z "${KUBUN_NODE_NAME:-}" ] || ARGS="$ARGS --node-name $KUBUN_NODE_NAME"
[ -z "${KUBUN_NODE_IP:-}" ] || ARGS="$ARGS --node-ip $KUBUN_NODE_IP"
[ -z "${KUBUN_POD_CIDR:-}" ] || ARGS="$ARGS --pod-cidr $KUBUN_POD_CIDR"
ARGS="$ARGS ${KUBUN_EXTRA_ARGS:-}"

# The launcher both the unit and --no-systemd run: it reads the env file at each start.
cat >"$BIN_DIR/kubun-agent" <<EOF
#!/bin/sh
# written by kubun's install.sh
set -a
. "$CONFIG_DIR/agent.env"
set +a
cd "$HOME_DIR"
exec "$BUN" src/cli/main.ts agent $ARGS
EOF
chmod 755 "$BIN_DIR/kubun-agent"

# --- start ------------------------------------------------------------------------------------
if [ "$SYSTEMD" = 1 ]; then
  [ -d /run/systemd/system ] || fatal "systemd is not running here: use --no-systemd"
  cat >"$UNIT" <<EOF
[Unit]
Description=kubun node agent
Wants=network-online.target
After=network-online.target

[Service]
Type=simple
ExecStart=$BIN_DIR/kubun-agent
Restart=always
RestartSec=5
KillMode=process
Delegate=yes
LimitNOFILE=1048576

[Install]
WantedBy=multi-user.target
EOF
  systemctl daemon-reload
  systemctl enable kubun-agent.service >/dev/null 2>&1
  systemctl restart kubun-agent.service
  info "kubun-agent.service started (journalctl -u kubun-agent)"
else
  PID_FILE="$RUN_DIR/kubun-agent.pid"
  if [ -f "$PID_FILE" ] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null; then
    info "stopping the running agent ($(cat "$PID_FILE"))"
    kill "$(cat "$PID_FILE")"
    i=0
    while kill -0 "$(cat "$PID_FILE")" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.2; i=$((i + 1)); done
  fi
  nohup "$BIN_DIR/kubun-agent" >>"$LOG_DIR/kubun-agent.log" 2>&1 </dev/null &
  echo $! >"$PID_FILE"
  info "agent started in the background (pid $(cat "$PID_FILE"), log $LOG_DIR/kubun-agent.log)"
fi
