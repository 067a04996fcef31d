#!/usr/bin/env bash
# Scale benchmark (`make bench-scale`, issue 16): one Vireo, one run, four figures, each printed
# beside its goal and the same-run baseline it is compared with:
#   1. `vireo-server seed 100000` wall time (goal < 60 s);
#   2. the VM grid's data at 100,000 VMs (`vm_grid`: type filter, sorted by name, 100 rows + total)
#      against bare axum + sqlx endpoints with the same SQL (server/examples/bare_grid.rs), p50 at
#      one connection and req/s at 16 (goal within 1.2x);
#   3. 200 simulated hosts (`vireo-server seed-hosts`: test-driver hosts in the local libvirtd, the
#      shipped topologies in turn, 8 VMs each started through Vireo, 2 per host powered off again so
#      their domains stay defined) — the Vireo process's CPU while idle, from /proc utime+stime over
#      IDLE seconds, as % of one core (goal < 10 %; baseline: the same process idle before the hosts
#      were added; its PostgreSQL and libvirtd shown beside it);
#   4. a status change made in libvirt outside Vireo (`virsh destroy` / `virsh start` against the
#      daemon's test driver) until the grid's data shows it: median of CHANGES changes (goal < 1 s;
#      baseline: one grid data request, the polling's own resolution).
# Then the live-update figures when scripts/bench-live.sh exists. Everything listens on
# 127.0.0.1:3980-3981 only and stops by itself; the domains it made are removed at the end.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
COUNT=${COUNT:-100000}
HOSTS=${HOSTS:-200}
VMS_PER_HOST=${VMS_PER_HOST:-8}
STOPPED_PER_HOST=${STOPPED_PER_HOST:-2}
IDLE=${IDLE:-60}
CHANGES=${CHANGES:-10}
DURATION=${DURATION:-10s}
PORT=${PORT:-3980}
BARE_PORT=${BARE_PORT:-3981}
PREFIX=scale
LIBVIRT=test+unix:///default
. scripts/bench-lib.sh

ensure_wrk
scripts/build.sh release >/dev/null
cargo build --locked --release -p vireo-server --example bare_grid 2>&1 | tail -1
target_dir=${CARGO_TARGET_DIR:-$root/target}
server="$target_dir/release/vireo-server"
scripts/libvirtd.sh

# The domains of this benchmark's VMs (a run that was interrupted may have left some).
remove_domains() {
  local d
  for d in $(virsh -q -c "$LIBVIRT" list --all --name 2>/dev/null | grep -E "^$PREFIX-h[0-9]+-[0-9]+$" || true); do
    virsh -q -c "$LIBVIRT" destroy "$d" >/dev/null 2>&1 || true
    virsh -q -c "$LIBVIRT" undefine "$d" >/dev/null 2>&1 || true
  done
}
remove_domains

data=$(mktemp -d /tmp/vireo-bench-scale.XXXXXX)
chmod 0711 "$data"
cleanup() {
  [ -n "${bare_pid:-}" ] && kill "$bare_pid" 2>/dev/null || true
  [ -n "${vireo_pid:-}" ] && kill "$vireo_pid" 2>/dev/null && wait "$vireo_pid" 2>/dev/null || true
  remove_domains
  rm -rf "$data"
}
trap cleanup EXIT

base=http://127.0.0.1:$PORT
export VIREO_DATA_DIR="$data" VIREO_ADDR=127.0.0.1:$PORT VIREO_ADMIN_PASSWORD=bench-password \
  VIREO_SITE_ROOT="$root/target/site" RUST_LOG=warn
"$server" &
vireo_pid=$!
wait_http "$base/healthz" "Vireo on 127.0.0.1:$PORT"
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
secs() { awk -v ms="$1" 'BEGIN {printf "%.1f", ms / 1000}'; }

# --- 1. Seed
echo "==> 1. seeding $COUNT VMs"
t0=$(now_ms)
"$server" seed "$COUNT" --prefix bench
seed_ms=$(( $(now_ms) - t0 ))
echo "seed $COUNT: $(secs "$seed_ms") s"

# --- 2. Grid data at COUNT VMs
cookie=$(login_cookie "$base" bench-password)
DATABASE_URL="postgres://vireo@localhost/vireo?host=$data/postgres/run" BARE_ADDR=127.0.0.1:$BARE_PORT \
  "$target_dir/release/examples/bare_grid" &
bare_pid=$!
wait_http "http://127.0.0.1:$BARE_PORT/grid?type=high_performance" "the bare endpoint on 127.0.0.1:$BARE_PORT"
grid_url() { # search (URL-encoded) -> the vm_grid server function's URL, 100 rows sorted by name
  echo "$base/api/vm_grid?query%5Bsearch%5D=$1&query%5Bsort%5D=name&query%5Bdesc%5D=false&query%5Bpage%5D=1&query%5Bpage_size%5D=100"
}
vireo_url=$(grid_url type%3Ahigh_performance)
bare_url="http://127.0.0.1:$BARE_PORT/grid?type=high_performance"
bare2_url="http://127.0.0.1:$BARE_PORT/grid2?type=high_performance"
echo "rows per response: vireo $(curl -s -H "Cookie: $cookie" "$vireo_url" | grep -o '"id"' | wc -l)," \
  "bare $(curl -s "$bare_url" | grep -o '"id"' | wc -l), bare2 $(curl -s "$bare2_url" | grep -o '"id"' | wc -l)"
echo "==> 2. $COUNT VMs, type:high_performance, sorted by name, 100 rows, $DURATION per measurement"
measure bare "bare: one query, count(*) OVER ()" "$bare_url"
measure bare2 "bare: page + index-only count" "$bare2_url"
measure vireo "Vireo grid data (vm_grid)" "$vireo_url" "$cookie"
# The same page sorted the other way: the (type, name) index read backwards should cost the same.
desc_url=${vireo_url/query%5Bdesc%5D=false/query%5Bdesc%5D=true}
measure desc "Vireo grid data, by name descending" "$desc_url" "$cookie"
# PERF=1: where the CPU goes at 16 connections (system-wide perf, 10 s each, the page + count
# endpoint then vm_grid): each process's share of the samples and its CPU milliseconds per request,
# kept in target/bench/grid-16conn.perf.txt.
if [ "${PERF:-0}" = 1 ] && command -v perf >/dev/null; then
  mkdir -p "$root/target/bench"
  out=$root/target/bench/grid-16conn.perf.txt
  : > "$out"
  for k in bare2 vireo; do
    if [ "$k" = bare2 ]; then url=$bare2_url; header=; else url=$vireo_url; header="Cookie: $cookie"; fi
    perf record -a -q -F 999 -o "$data/grid-$k.perf" -- wrk -t2 -c16 -d10s ${header:+-H "$header"} "$url" \
      > "$data/grid-$k.wrk" 2>/dev/null || true
    rps=$(awk '/Requests\/sec/ {print $2}' "$data/grid-$k.wrk")
    echo "== $k: $rps req/s at 16 connections; CPU by process (share of samples, ms per request)" >> "$out"
    perf report -i "$data/grid-$k.perf" --sort comm --stdio -q --no-children 2>/dev/null \
      | awk -v rps="$rps" -v cpus="$(nproc)" '$1 ~ /%$/ {p=$1; sub(/%$/, "", p); if (p >= 1) printf "  %-16s %6.2f %%  %6.2f ms\n", $2, p, p / 100 * cpus * 1000 / rps}' >> "$out"
  done
  cat "$out"
fi
kill "$bare_pid" 2>/dev/null || true
bare_pid=

# --- 3. Idle CPU, before and after 200 hosts
clk=$(getconf CLK_TCK)
postmaster=$(head -1 "$data/postgres/pgdata/postmaster.pid")
libvirtd_pid=$(pgrep -xo libvirtd)
# CPU ticks (user + system) of a process; with `tree`, plus its children's, live and reaped
# (PostgreSQL's backends and workers are the postmaster's children).
ticks() {
  local total c
  if [ "${2:-}" = tree ]; then
    total=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$1/stat")
    for c in $(pgrep -P "$1"); do
      total=$(( total + $(awk '{print $14 + $15}' "/proc/$c/stat" 2>/dev/null || echo 0) ))
    done
  else
    total=$(awk '{print $14 + $15}' "/proc/$1/stat")
  fi
  echo "$total"
}
declare -A CPU
idle_cpu() { # KEY: % of one core over IDLE seconds for Vireo, its PostgreSQL and libvirtd
  local v0 p0 l0 v1 p1 l1
  v0=$(ticks "$vireo_pid"); p0=$(ticks "$postmaster" tree); l0=$(ticks "$libvirtd_pid")
  sleep "$IDLE"
  v1=$(ticks "$vireo_pid"); p1=$(ticks "$postmaster" tree); l1=$(ticks "$libvirtd_pid")
  pct() { awk -v d="$1" -v hz="$clk" -v s="$IDLE" 'BEGIN {printf "%.2f", 100 * d / hz / s}'; }
  CPU[$1]=$(pct $((v1 - v0))); CPU[$1-pg]=$(pct $((p1 - p0))); CPU[$1-libvirtd]=$(pct $((l1 - l0)))
  echo "idle ${IDLE} s: Vireo ${CPU[$1]} %, its PostgreSQL ${CPU[$1-pg]} %, libvirtd ${CPU[$1-libvirtd]} % of one core"
}
echo "==> 3. idle CPU with $(( COUNT )) VMs and the default host (baseline)"
idle_cpu base

echo "==> adding $HOSTS simulated hosts with $VMS_PER_HOST VMs each"
t0=$(now_ms)
"$server" seed-hosts "$HOSTS" --vms "$VMS_PER_HOST" --prefix "$PREFIX"
echo "hosts added in $(secs $(( $(now_ms) - t0 ))) s"
db="postgres://vireo@localhost/vireo?host=$data/postgres/run"
# Started through the running server (it alone knows which operations it runs): the VM grid's
# no-JavaScript toolbar form, 4 requests at a time.
bulk() { # action ids-file [confirmed]
  xargs -a "$2" -n 100 -P 4 sh -c 'action=$0; shift; args=""; for id; do args="$args&ids=$id"; done;
    curl -s -o /dev/null -H "Cookie: '"$cookie"'" --data "action=$action&confirmed=1$args" '"$base"'/vms/bulk' "$1"
}
ids=$data/ids; stop_ids=$data/stop-ids
psql "$db" -Atc "SELECT id FROM vms WHERE name LIKE '$PREFIX-h%' ORDER BY name" >"$ids"
psql "$db" -Atc "SELECT id FROM vms WHERE name ~ '^$PREFIX-h[0-9]+-[0-9]+$'
                 AND split_part(name, '-', 3)::int > $VMS_PER_HOST - $STOPPED_PER_HOST ORDER BY name" >"$stop_ids"
t0=$(now_ms)
bulk run "$ids"
bulk power_off "$stop_ids"
echo "$(wc -l <"$ids") VMs started, $(wc -l <"$stop_ids") powered off again, in $(secs $(( $(now_ms) - t0 ))) s;" \
  "statuses: $(psql "$db" -Atc "SELECT string_agg(status || ' ' || n, ', ') FROM (SELECT status, count(*) n FROM vms
     WHERE name LIKE '$PREFIX-h%' GROUP BY status ORDER BY status) s")"
echo "libvirt: $(virsh -q -c "$LIBVIRT" list --name | grep -c "^$PREFIX-h") running, $(virsh -q -c "$LIBVIRT" list --inactive --name | grep -c "^$PREFIX-h") defined and off"
sleep 5 # the last starts' events and writes settle
echo "==> idle CPU with $HOSTS hosts"
idle_cpu hosts
# PERF=1: where the idle Vireo's CPU goes (perf, 30 s), kept in target/bench/idle-hosts.perf.txt.
if [ "${PERF:-0}" = 1 ] && command -v perf >/dev/null; then
  mkdir -p "$target_dir/bench"
  perf record -q -F 499 -g -p "$vireo_pid" -o "$data/perf.data" -- sleep 30 >/dev/null 2>&1 || true
  perf report -q -i "$data/perf.data" --stdio --no-children --percent-limit 1 2>/dev/null \
    | grep -v '^$' | head -200 >"$target_dir/bench/idle-hosts.perf.txt" || true
  echo "profile of the idle Vireo with $HOSTS hosts: $target_dir/bench/idle-hosts.perf.txt"
fi

# --- 4. Status change in libvirt -> the grid's data
echo "==> 4. $CHANGES status changes made with virsh, until vm_grid shows them"
grid_ms=$(curl -s -o /dev/null -w '%{time_total}' -H "Cookie: $cookie" "$(grid_url "host%3A$PREFIX-h001")" \
  | awk '{printf "%d", $1 * 1000}')
latencies=()
# Pairs on running VMs spread over the hosts: the VM stopped behind Vireo's back, then started
# again. Chosen among the domains libvirt runs (a host whose VMs did not all start is skipped).
mapfile -t running < <(virsh -q -c "$LIBVIRT" list --name | grep -E "^$PREFIX-h[0-9]+-[0-9]+$" | sort)
[ "${#running[@]}" -gt 0 ] || { echo "no running $PREFIX VMs to change" >&2; exit 1; }
for i in $(seq 1 "$CHANGES"); do
  pair=$(( (i - 1) / 2 ))
  vm=${running[$(( pair * ${#running[@]} / ((CHANGES + 1) / 2) ))]}
  host=${vm%-*}
  if [ $(( i % 2 )) -eq 1 ]; then cmd=destroy want=down; else cmd=start want=up; fi
  url=$(grid_url "host%3A$host%20$vm")
  t0=$(date +%s%N)
  virsh -q -c "$LIBVIRT" "$cmd" "$vm" >/dev/null
  # (The answer is read whole before grep: with pipefail, grep -q closing the pipe early would
  # fail the test.)
  until [[ $(curl -s -H "Cookie: $cookie" "$url") =~ \"name\":\"$vm\",[^}]*\"status\":\"$want\" ]]; do
    [ $(( $(date +%s%N) - t0 )) -gt 10000000000 ] && { echo "$vm never showed $want" >&2; break; }
  done
  ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  latencies+=("$ms")
  echo "virsh $cmd $vm -> grid shows $want: $ms ms"
done
median_ms=$(printf '%s\n' "${latencies[@]}" | sort -n | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else printf "%d", (a[NR/2]+a[NR/2+1])/2}')

# --- Live updates (another benchmark's figures; the lead wires it in)
[ -x scripts/bench-live.sh ] && scripts/bench-live.sh

# --- Summary
echo
echo "==> summary ($(nproc) cores$( [ -r /proc/loadavg ] && echo ", load $(cut -d' ' -f1-3 /proc/loadavg)"))"
printf '%-46s %16s %14s   %s\n' "figure" "measured" "goal" "same-run baseline"
printf '%-46s %14s s %12s s   %s\n' "seed $COUNT VMs (wall time)" "$(secs "$seed_ms")" "< 60" "-"
printf '%-46s %13s ms %14s   %s\n' "grid data p50, 1 conn ($COUNT VMs)" "${P50[vireo]}" "<= 1.2x bare" \
  "bare ${P50[bare]} ms ($(ratio "${P50[vireo]}" "${P50[bare]}")x); bare2 ${P50[bare2]} ms ($(ratio "${P50[vireo]}" "${P50[bare2]}")x)"
printf '%-46s %10s req/s %14s   %s\n' "grid data throughput, 16 conn" "${RPS[vireo]}" ">= bare/1.2" \
  "bare ${RPS[bare]} ($(ratio "${RPS[vireo]}" "${RPS[bare]}")x); bare2 ${RPS[bare2]} ($(ratio "${RPS[vireo]}" "${RPS[bare2]}")x)"
printf '%-46s %13s ms %14s   %s\n' "grid data p50, by name descending" "${P50[desc]}" "-" \
  "ascending ${P50[vireo]} ms ($(ratio "${P50[desc]}" "${P50[vireo]}")x); ${RPS[desc]} req/s against ${RPS[vireo]}"
printf '%-46s %14s %% %12s %%   %s\n' "Vireo idle CPU, $HOSTS hosts (% of one core)" "${CPU[hosts]}" "< 10" \
  "${CPU[base]} % with the default host only; PostgreSQL ${CPU[hosts-pg]} % (${CPU[base-pg]} %), libvirtd ${CPU[hosts-libvirtd]} % (${CPU[base-libvirtd]} %)"
printf '%-46s %13s ms %11s ms   %s\n' "libvirt status change -> grid (median of $CHANGES)" "$median_ms" "< 1000" \
  "one grid data request ${grid_ms} ms; all: ${latencies[*]} ms"
