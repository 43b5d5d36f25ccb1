#!/usr/bin/env bash
# The firewall berth expects on each Swarm worker node: tenant ports published on the node
# (swarm.publishMode: host) answer only berth (its probes, `http` jobs, the instance `url` as
# berth reaches it) and the addresses you allow, never other tenants' tasks or the network.
#
#   node-firewall.sh apply  --allow ADDR[,ADDR…] --ports START:END [--tag NAME]
#   node-firewall.sh remove [--tag NAME]
#   node-firewall.sh show   [--tag NAME]
#
# Run as root on each node (idempotent). ADDR: berth's address as the node sees it (and, e.g.,
# a load balancer); START:END: berth's `ports` range. Leaves Swarm's own ports (2377, 7946,
# 4789) alone. Two rules feed one chain, BERTH-PORTS-<tag>:
#   DOCKER-USER  connections forwarded to a task (the engine DNATs the published port), from
#                other hosts and from other nodes' tasks;
#   INPUT        connections to the engine's port proxy, which is what a task on the same node
#                reaches when it dials the node's own address.
# Every rule carries the comment `berth-node-firewall:<tag>`; remove deletes only those.
set -euo pipefail

cmd="${1:-}"; shift || true
allow="" ports="" tag="berth"
while [ $# -gt 0 ]; do
  case "$1" in
    --allow) allow="$2"; shift 2 ;;
    --ports) ports="$2"; shift 2 ;;
    --tag) tag="$2"; shift 2 ;;
    *) echo "node-firewall: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ "$tag" =~ ^[A-Za-z0-9_-]{1,16}$ ]] || { echo "node-firewall: --tag must be 1-16 of [A-Za-z0-9_-]" >&2; exit 2; }
chain="BERTH-PORTS-$tag"
comment="berth-node-firewall:$tag"

remove() {
  local table_rules
  for parent in DOCKER-USER INPUT; do
    # Delete our jump rules, found by their comment (never anyone else's).
    # iptables -S prints the comment quoted: match it whole, so tag "a" never matches tag "ab".
    table_rules=$(iptables -S "$parent" 2>/dev/null | grep -F -- "\"$comment\"" || true)
    while IFS= read -r rule; do
      [ -n "$rule" ] || continue
      eval "iptables ${rule/-A /-D }"
    done <<<"$table_rules"
  done
  if iptables -S "$chain" >/dev/null 2>&1; then
    iptables -F "$chain"
    iptables -X "$chain"
  fi
}

apply() {
  [ -n "$allow" ] || { echo "node-firewall: --allow ADDR[,ADDR…] is required" >&2; exit 2; }
  [[ "$ports" =~ ^[0-9]{1,5}:[0-9]{1,5}$ ]] || { echo "node-firewall: --ports START:END is required" >&2; exit 2; }
  # DOCKER-USER exists once the engine has started; make it if this runs first.
  iptables -S DOCKER-USER >/dev/null 2>&1 || iptables -N DOCKER-USER
  remove
  iptables -N "$chain"
  IFS=',' read -ra addrs <<<"$allow"
  for a in "${addrs[@]}"; do iptables -A "$chain" -s "$a" -m comment --comment "$comment" -j RETURN; done
  iptables -A "$chain" -p tcp -m comment --comment "$comment" -j REJECT --reject-with tcp-reset
  iptables -I DOCKER-USER -p tcp -m conntrack --ctstate NEW --ctorigdstport "$ports" -m comment --comment "$comment" -j "$chain"
  iptables -I INPUT -p tcp --dport "$ports" -m conntrack --ctstate NEW -m comment --comment "$comment" -j "$chain"
}

case "$cmd" in
  apply) apply ;;
  remove) remove ;;
  show) iptables -S "$chain" 2>/dev/null || echo "no $chain"; iptables -S DOCKER-USER | grep -F -- "\"$comment\"" || true; iptables -S INPUT | grep -F -- "\"$comment\"" || true ;;
  *) echo "usage: $0 apply --allow ADDR[,ADDR…] --ports START:END [--tag NAME] | remove [--tag NAME] | show [--tag NAME]" >&2; exit 2 ;;
esac
