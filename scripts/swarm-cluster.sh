#!/usr/bin/env bash
# A real multi-node Docker Swarm on one machine, for berth's Swarm tests.
#
#   swarm-cluster.sh up       host engine = manager (drained: it runs no tenant tasks), plus
#                             N extra engines, each in its own network namespace and UTS
#                             namespace, with its own data root, exec root and socket, joined
#                             as workers; the test image is loaded into each.
#   swarm-cluster.sh down     leaves the swarm and removes everything `up` made (idempotent).
#   swarm-cluster.sh status   nodes as the manager sees them.
#   swarm-cluster.sh kill-node I | revive-node I   a node's death (every process in its
#                             namespace killed, link down) and its return, for failure tests.
#
# Every address lives on a bridge and veths this script makes (10.233.0.0/16 by default).
# Writes $BERTH_SWARM_DIR/cluster.env (node sockets, hostnames and addresses) for the tests.
set -euo pipefail

DIR="${BERTH_SWARM_DIR:-/tmp/berth-swarm}"
NODES="${BERTH_SWARM_NODES:-2}"
NET="${BERTH_SWARM_NET:-10.233}"          # /16 prefix for every address below
IMAGE="${BERTH_SWARM_IMAGE:-berth/test-agent:local}"
BRIDGE=bsw0
HOST_IP="$NET.0.1"
WAIT="${BERTH_SWARM_WAIT_SECONDS:-90}"

log() { printf '[swarm-cluster] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
ns() { echo "berth-sw$1"; }
node_ip() { echo "$NET.0.$((10 + $1))"; }
node_sock() { echo "$DIR/n$1/docker.sock"; }
ndocker() { local i=$1; shift; timeout 60 docker -H "unix://$(node_sock "$i")" "$@"; }

# wait_for SECONDS DESCRIPTION COMMAND...: polls COMMAND every half second.
wait_for() {
  local seconds=$1 what=$2; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || die "timed out after ${seconds}s waiting for $what"
    sleep 0.5
  done
}

[ "$(id -u)" = "0" ] || die "needs root (network namespaces, extra engines)"

net_up() {
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    ip link add "$BRIDGE" type bridge
    ip addr add "$HOST_IP/24" dev "$BRIDGE"
  fi
  ip link set "$BRIDGE" up
  # Docker's FORWARD policy is DROP and bridged frames pass iptables (br_netfilter): let
  # the cluster's own bridge forward between its ports (VXLAN between workers).
  iptables -C DOCKER-USER -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT 2>/dev/null ||
    iptables -I DOCKER-USER -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT
}

node_net_up() {
  local i=$1 n; n=$(ns "$i")
  [ -e "/var/run/netns/$n" ] || ip netns add "$n"
  if ! ip link show "bsw$i-h" >/dev/null 2>&1; then
    ip link add "bsw$i-h" type veth peer name "bsw$i-n"
    ip link set "bsw$i-n" netns "$n"
    ip -n "$n" link set "bsw$i-n" name eth0
    ip -n "$n" addr add "$(node_ip "$i")/24" dev eth0
  fi
  ip link set "bsw$i-h" master "$BRIDGE" up
  ip -n "$n" link set lo up
  ip -n "$n" link set eth0 up
  ip -n "$n" route replace default via "$HOST_IP"
}

engine_up() {
  local i=$1 d
  d="$DIR/n$i"
  mkdir -p "$d/data" "$d/exec"
  if [ -f "$d/pid" ] && kill -0 "$(cat "$d/pid")" 2>/dev/null; then return 0; fi
  # nsenter, not `ip netns exec`: the latter remounts /sys and dockerd then finds no cgroups.
  # unshare --uts gives each node its own hostname, so Swarm sees distinct nodes.
  # --no-new-privileges: the service API cannot set it per task; the node's engine does (README).
  nsenter --net="/var/run/netns/$(ns "$i")" unshare --uts sh -c "hostname berth-sw$i; exec dockerd \
      --data-root '$d/data' --exec-root '$d/exec' --pidfile '$d/pid' -H 'unix://$d/docker.sock' \
      --bip '$NET.$((10 + i)).1/24' --default-address-pool 'base=$NET.$((16 * (i + 1))).0/20,size=24' \
      --storage-driver overlay2 --no-new-privileges" >"$d/dockerd.log" 2>&1 &
  wait_for "$WAIT" "engine $i to answer" docker -H "unix://$d/docker.sock" version
}

swarm_up() {
  local state
  state=$(docker info --format '{{.Swarm.LocalNodeState}}')
  if [ "$state" = "inactive" ]; then
    # Swarm makes docker_gwbridge on first use from Docker's default pools: make it first,
    # in our own range, so nothing lands in 172.x next to other users of this engine.
    if ! docker network inspect docker_gwbridge >/dev/null 2>&1; then
      docker network create --subnet "$NET.1.0/24" \
        --opt com.docker.network.bridge.name=docker_gwbridge \
        --opt com.docker.network.bridge.enable_icc=false \
        --opt com.docker.network.bridge.enable_ip_masquerade=true \
        --label berth.swarm-cluster=true docker_gwbridge >/dev/null
      touch "$DIR/made-gwbridge"
    fi
    timeout 60 docker swarm init --advertise-addr "$HOST_IP" --listen-addr "$HOST_IP:2377" \
      --default-addr-pool "$NET.64.0/18" --default-addr-pool-mask-length 24 >/dev/null
    touch "$DIR/made-swarm"
  elif [ ! -f "$DIR/made-swarm" ]; then
    die "the host engine is already in a swarm this script did not make; leaving it alone"
  fi
  # The manager runs no tenant tasks: its published ports would be on the host's own interfaces.
  docker node update --availability drain "$(docker info --format '{{.Swarm.NodeID}}')" >/dev/null
}

node_join() {
  local i=$1 token
  if [ "$(ndocker "$i" info --format '{{.Swarm.LocalNodeState}}')" != "active" ]; then
    token=$(docker swarm join-token -q worker)
    ndocker "$i" swarm join --token "$token" --advertise-addr "$(node_ip "$i")" --listen-addr "$(node_ip "$i"):2377" "$HOST_IP:2377" >/dev/null
  fi
  ndocker "$i" info --format '{{.Swarm.NodeID}}' >"$DIR/n$i/node-id"
  wait_for "$WAIT" "node $i to be ready" sh -c "[ \"\$(docker node inspect -f '{{.Status.State}}' $(cat "$DIR/n$i/node-id"))\" = ready ]"
  # A label per node so placement tests have something to match.
  docker node update --label-add "berth-test-node=n$i" "$(cat "$DIR/n$i/node-id")" >/dev/null
}

load_image() {
  local i=$1
  if ! ndocker "$i" image inspect "$IMAGE" >/dev/null 2>&1; then
    docker image inspect "$IMAGE" >/dev/null 2>&1 || die "image $IMAGE is not on the host engine (bash images/build-test-agent.sh)"
    docker save "$IMAGE" | ndocker "$i" load >/dev/null
  fi
}

write_env() {
  {
    echo "BERTH_SWARM_NODES=$NODES"
    echo "BERTH_SWARM_MANAGER=unix:///var/run/docker.sock"
    for i in $(seq 1 "$NODES"); do
      echo "BERTH_SWARM_NODE${i}_HOSTNAME=berth-sw$i"
      echo "BERTH_SWARM_NODE${i}_ENGINE=unix://$(node_sock "$i")"
      echo "BERTH_SWARM_NODE${i}_ADDRESS=$(node_ip "$i")"
      echo "BERTH_SWARM_NODE${i}_ID=$(cat "$DIR/n$i/node-id")"
    done
  } >"$DIR/cluster.env"
}

node_up() {
  node_net_up "$1"
  engine_up "$1"
  node_join "$1"
}

up() {
  local started=$SECONDS
  mkdir -p "$DIR"
  net_up
  for i in $(seq 1 "$NODES"); do node_net_up "$i"; done
  for i in $(seq 1 "$NODES"); do engine_up "$i" & done
  wait_all "engines"
  swarm_up
  for i in $(seq 1 "$NODES"); do node_join "$i"; done
  for i in $(seq 1 "$NODES"); do load_image "$i" & done
  wait_all "image loads"
  write_env
  log "up in $((SECONDS - started))s: manager $HOST_IP + $NODES workers ($DIR/cluster.env)"
}

wait_all() {
  local failed=0 pid
  for pid in $(jobs -p); do wait "$pid" || failed=1; done
  [ $failed = 0 ] || die "$1 failed"
}

# Kills every process in a node's namespace (engine, containerd, shims, tasks): the node dies.
node_kill() {
  local i=$1 n pids; n=$(ns "$i")
  if [ -e "/var/run/netns/$n" ]; then
    ip link set "bsw$i-h" down 2>/dev/null || true
    pids=$(ip netns pids "$n" 2>/dev/null || true)
    [ -z "$pids" ] || kill -9 $pids 2>/dev/null || true
    local deadline=$((SECONDS + 20))
    while [ -n "$(ip netns pids "$n" 2>/dev/null)" ] && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
  fi
  rm -f "$DIR/n$i/pid" "$DIR/n$i/docker.sock"
}

node_down() {
  local i=$1 d
  d="$DIR/n$i"
  if [ -S "$d/docker.sock" ]; then
    ndocker "$i" swarm leave --force >/dev/null 2>&1 || true
    if [ -f "$d/pid" ]; then
      kill "$(cat "$d/pid")" 2>/dev/null || true
      local deadline=$((SECONDS + 20))
      while [ -f "$d/pid" ] && kill -0 "$(cat "$d/pid")" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
    fi
  fi
  node_kill "$i"
  [ -f "$d/node-id" ] && timeout 30 docker node rm --force "$(cat "$d/node-id")" >/dev/null 2>&1 || true
  ip link del "bsw$i-h" 2>/dev/null || true
  ip netns del "$(ns "$i")" 2>/dev/null || true
  if [ -d "$d" ]; then
    # Mounts the engine left behind (overlay layers, netns files) before the data goes.
    { grep -o " $d/[^ ]*" /proc/mounts || true; } | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
    rm -rf "$d"
  fi
}

down() {
  local i
  for i in $(seq 1 "$NODES"); do node_down "$i"; done
  if [ -f "$DIR/made-swarm" ]; then
    timeout 60 docker swarm leave --force >/dev/null 2>&1 || true
    rm -f "$DIR/made-swarm"
  fi
  if [ -f "$DIR/made-gwbridge" ]; then
    local deadline=$((SECONDS + 30))
    until ! docker network inspect docker_gwbridge >/dev/null 2>&1 || docker network rm docker_gwbridge >/dev/null 2>&1; do
      [ $SECONDS -lt $deadline ] || { log "docker_gwbridge still in use; left in place"; break; }
      sleep 0.5
    done
    rm -f "$DIR/made-gwbridge"
  fi
  iptables -D DOCKER-USER -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT 2>/dev/null || true
  ip link del "$BRIDGE" 2>/dev/null || true
  rm -rf "$DIR"
  log "down"
}

status() {
  docker info --format 'manager: {{.Swarm.LocalNodeState}} ({{.Swarm.Nodes}} nodes)'
  if [ "$(docker info --format '{{.Swarm.ControlAvailable}}')" = "true" ]; then docker node ls; fi
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  kill-node) node_kill "${2:?node index}" ;;
  revive-node)
    [ -f "$DIR/n${2:?node index}/node-id" ] || die "node $2 was never up"
    node_net_up "$2"; engine_up "$2"
    nid=$(cat "$DIR/n$2/node-id")
    wait_for "$WAIT" "node $2 to be ready again" sh -c "[ \"\$(docker node inspect -f '{{.Status.State}}' $nid)\" = ready ]" ;;
  *) echo "usage: $0 up|down|status|kill-node I|revive-node I" >&2; exit 2 ;;
esac
