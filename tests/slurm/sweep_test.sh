#!/usr/bin/env bash
# A sharded sweep through a real single-node Slurm (Debian's munge, slurmctld,
# slurmd on 127.0.0.1, all in a private temp dir, all stopped on exit): submitted
# with scripts/slurm/sweep.sh as a 3-task job array plus a dependent merge job,
# its merged JSON must equal the unsharded local run byte for byte. If Slurm
# cannot start, it fails with the daemon's log; it never skips.
#   usage: sweep_test.sh STACKSIM_BIN SOURCE_DIR
set -euo pipefail
bin="$1"
src="$2"
sim_args=(--model "$src/models/estimates.json" --scenario "$src/scenarios/article.json"
  --set requests=500 --set warmup_requests=100 --set replications=2
  --stack gunicorn-flask --stack uvicorn-starlette)

fail() { echo "slurm test: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || fail "must run as root (munged and slurmd run as root here)"
for tool in munged slurmctld slurmd sbatch squeue sinfo scancel; do
  command -v "$tool" > /dev/null || fail "$tool not found: run scripts/install-deps.sh"
done

tmp="$(mktemp -d /tmp/stacksim-slurm.XXXXXX)"
pids=()
jobs_submitted=()
show_logs() {
  for log in "$tmp"/*.log "$tmp"/*.stdout "$tmp"/out/slurm-*.out; do
    [ -f "$log" ] && { echo "---- $log (last 40 lines)" >&2; tail -n 40 "$log" >&2; }
  done
  return 0
}
# The slurmsteps our slurmd forked: they carry its environment, SLURM_CONF included.
our_stepds() {
  local p
  for p in /proc/[0-9]*; do
    [ "$(cat "$p/comm" 2> /dev/null)" = slurmstepd ] || continue
    tr '\0' '\n' < "$p/environ" 2> /dev/null | grep -qxF "SLURM_CONF=$tmp/slurm.conf" \
      && echo "${p#/proc/}"
  done
  return 0
}
cleanup() {
  local status=$? pid left=""
  if [ ${#jobs_submitted[@]} -gt 0 ]; then scancel "${jobs_submitted[@]}" 2> /dev/null || true; fi
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do   # slurmd, slurmctld, then munged
    pid="${pids[i]}"
    kill "$pid" 2> /dev/null || continue
    for _ in $(seq 50); do kill -0 "$pid" 2> /dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2> /dev/null || true
    wait "$pid" 2> /dev/null || true
  done
  for _ in $(seq 50); do [ -z "$(our_stepds)" ] && break; sleep 0.2; done
  for pid in "${pids[@]}" $(our_stepds); do kill -0 "$pid" 2> /dev/null && left+=" $pid"; done
  [ "$status" = 0 ] || show_logs
  rm -rf "$tmp"
  if [ -n "$left" ]; then echo "slurm test: still running after stop:$left" >&2; exit 1; fi
  exit "$status"
}
trap cleanup EXIT

# Two free TCP ports on 127.0.0.1 (held together while picked, so distinct).
read -r ctld_port slurmd_port < <(/usr/bin/python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*(x.getsockname()[1] for x in s))')
node="$(hostname -s)"
getent hosts "$node" > /dev/null || fail "hostname $node does not resolve"

# munge: its own key, socket, pid, seed and log inside the temp dir.
dd if=/dev/urandom of="$tmp/munge.key" bs=1 count=1024 status=none
chmod 0400 "$tmp/munge.key"
munged -F --force --socket="$tmp/munge.socket" --key-file="$tmp/munge.key" \
  --pid-file="$tmp/munged.pid" --log-file="$tmp/munged.log" --seed-file="$tmp/munged.seed" \
  > "$tmp/munged.stdout" 2>&1 &
pids+=($!)
for _ in $(seq 50); do [ -S "$tmp/munge.socket" ] && break; sleep 0.2; done
[ -S "$tmp/munge.socket" ] || fail "munged did not create its socket"

mkdir -p "$tmp/state" "$tmp/spool" "$tmp/out"
cat > "$tmp/slurm.conf" << CONF
ClusterName=stacksimtest
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$tmp/munge.socket
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/slurmctld.log
SlurmdLogFile=$tmp/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmdParameters=config_overrides
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
NodeName=$node NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=100 State=UNKNOWN
PartitionName=test Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$tmp/slurm.conf"

setsid slurmctld -D -f "$SLURM_CONF" > "$tmp/slurmctld.stdout" 2>&1 &
pids+=($!)
setsid slurmd -D -f "$SLURM_CONF" -N "$node" > "$tmp/slurmd.stdout" 2>&1 &
pids+=($!)
# Up within 60 s of wall time (a client call to a dead slurmctld retries for
# seconds), and both daemons still alive.
state=""
deadline=$((SECONDS + 60))
while [ "$SECONDS" -lt "$deadline" ]; do
  kill -0 "${pids[1]}" 2> /dev/null || fail "slurmctld exited (its log follows)"
  kill -0 "${pids[2]}" 2> /dev/null || fail "slurmd exited (its log follows)"
  state="$(timeout 5 sinfo -h -n "$node" -o %t 2> /dev/null || true)"
  [ "$state" = idle ] && break
  sleep 0.5
done
[ "$state" = idle ] || fail "the node is not idle after 60 s (sinfo says '$state')"

"$bin" sim "${sim_args[@]}" --quiet --format json > "$tmp/local.json"

submitted="$(STACKSIM_BIN="$bin" "$src/scripts/slurm/sweep.sh" --shards 3 --out "$tmp/out" \
  -- "${sim_args[@]}")"
echo "$submitted"
array_id="$(awk '$1 == "array" {print $2}' <<< "$submitted")"
merge_id="$(awk '$1 == "merge" {print $2}' <<< "$submitted")"
if [ -z "$array_id" ] || [ -z "$merge_id" ]; then fail "sweep.sh printed no job ids"; fi
jobs_submitted=("$array_id" "$merge_id")

queued() { timeout 10 squeue -h -j "$array_id,$merge_id" -o %i 2>&1 || echo "squeue failed"; }
deadline=$((SECONDS + 180))
while [ -n "$(queued)" ] && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.5; done
[ -z "$(queued)" ] || fail "jobs still queued after 180 s: $(queued)"
for k in 0 1 2; do [ -s "$tmp/out/shard-$k.jsonl" ] || fail "shard $k wrote no $tmp/out/shard-$k.jsonl"; done
[ -s "$tmp/out/merged.json" ] || fail "the merge job wrote no merged.json"
cmp "$tmp/local.json" "$tmp/out/merged.json" || fail "merged result differs from the local run"
echo "slurm test: 3 shards merged on Slurm equal the local run ($(wc -c < "$tmp/local.json") bytes)"
