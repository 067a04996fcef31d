#!/usr/bin/env bash
# Image upload benchmark (`make bench-upload`): a 1 GiB image (random bytes, so nothing is sparse)
# uploaded into the same directory pool on the local libvirtd (qemu:///system), in this run, three
# times each, alternating, each timed until its data is written (the upload, then `sync`, so one
# run's dirty pages do not flatter or slow the next):
#   - through Vireo's endpoint, `curl --upload-file` to PUT /api/disks/upload with a session cookie
#     (Vireo release build, 127.0.0.1), and
#   - with `virsh vol-upload` straight into libvirt (the reference: the same libvirt stream API
#     without Vireo in the way).
# Prints each run's throughput, the median of each, their ratio (goal >= 0.8x) and Vireo's resident
# memory growth while it uploads (goal < 64 MiB: VmRSS sampled every 50 ms from /proc, peak minus
# the value before the upload). Needs root for libvirtd (scripts/libvirtd.sh). Everything made
# (pool, folder, Vireo's data folder) is removed at the end.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
SIZE_MIB=${SIZE_MIB:-1024}
RUNS=${RUNS:-3}
PORT=${PORT:-3952}
URI=qemu:///system

scripts/libvirtd.sh
virsh -c "$URI" version >/dev/null || { echo "libvirtd has no working QEMU driver ($URI); run scripts/setup.sh" >&2; exit 1; }
echo "==> cargo build --release -p vireo-server"
cargo build --locked --release -p vireo-server 2>&1 | tail -1
target_dir=$(cargo metadata --no-deps --format-version 1 | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
server="$target_dir/release/vireo-server"

work=$(mktemp -d /tmp/vireo-bench-upload.XXXXXX)
# Vireo's embedded PostgreSQL runs as the postgres user when we are root: let it in.
chmod 0711 "$work"
pool="bench-upload-$$"
cleanup() {
  [ -n "${sampler_pid:-}" ] && kill "$sampler_pid" 2>/dev/null || true
  [ -n "${vireo_pid:-}" ] && kill "$vireo_pid" 2>/dev/null && wait "$vireo_pid" 2>/dev/null || true
  virsh -c "$URI" pool-destroy "$pool" >/dev/null 2>&1 || true
  virsh -c "$URI" pool-undefine "$pool" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "==> a ${SIZE_MIB} MiB image of random bytes"
head -c "${SIZE_MIB}M" /dev/urandom > "$work/image.raw"
size=$(stat -c %s "$work/image.raw")
mkdir -p "$work/pool"
virsh -c "$URI" pool-define-as "$pool" dir --target "$work/pool" >/dev/null
virsh -c "$URI" pool-start "$pool" >/dev/null

mkdir -p "$work/data"
chmod 0711 "$work/data"
VIREO_DATA_DIR="$work/data" VIREO_ADDR=127.0.0.1:$PORT VIREO_ADMIN_PASSWORD=bench-password \
  VIREO_SITE_ROOT="$root/target/site" RUST_LOG=warn "$server" &
vireo_pid=$!
for _ in $(seq 1 300); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null || { echo "Vireo did not start on 127.0.0.1:$PORT (is the port taken?)" >&2; exit 1; }
base="http://127.0.0.1:$PORT"
cookie=$(curl -s -o /dev/null -D - -d "username=admin&password=bench-password" "$base/login" \
  | awk -F'[ ;]' 'tolower($1)=="set-cookie:" {print $2}')

# The local QEMU host in a cluster of its own; Vireo reads its pools (ours included) when it is added.
cluster_id=$(curl -s -b "$cookie" "$base/api/list_clusters" | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["id"])')
curl -s -o /dev/null -b "$cookie" -H 'Accept: application/json' \
  --data-urlencode "name=bench-qemu" --data-urlencode "cluster_id=$cluster_id" --data-urlencode "transport=local" \
  "$base/api/add_host"
domain_id=$(curl -s -b "$cookie" "$base/api/upload_storage_domains" \
  | python3 -c "import json, sys; print(next(d['id'] for d in json.load(sys.stdin) if d['name'] == '$pool'))")

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$vireo_pid/status"; }
declare -a vireo_rates virsh_rates
growth_max=0
for run in $(seq 1 "$RUNS"); do
  # virsh vol-upload: the volume made first (as Vireo does), then the bytes.
  virsh -c "$URI" vol-create-as "$pool" "virsh-$run.img" "$size" --format raw >/dev/null
  sync  # the previous run's writes reach the disk before this one is timed
  start=$(date +%s.%N)
  virsh -c "$URI" vol-upload --pool "$pool" "virsh-$run.img" "$work/image.raw" >/dev/null
  sync
  end=$(date +%s.%N)
  rate=$(awk -v s="$size" -v a="$start" -v b="$end" 'BEGIN {printf "%.1f", s / 1048576 / (b - a)}')
  virsh_rates+=("$rate")
  printf 'run %d  virsh vol-upload      %8s MiB/s\n' "$run" "$rate"
  cmp -s "$work/image.raw" "$work/pool/virsh-$run.img" || { echo "virsh's volume differs from the image" >&2; exit 1; }
  virsh -c "$URI" vol-delete --pool "$pool" "virsh-$run.img" >/dev/null

  # Vireo: RSS sampled while curl sends the file.
  sync
  before=$(rss_kib)
  ( peak=0; while kill -0 "$vireo_pid" 2>/dev/null; do
      now=$(rss_kib || echo 0); [ "${now:-0}" -gt "$peak" ] && peak=$now && echo "$peak" > "$work/peak"
      sleep 0.05
    done ) &
  sampler_pid=$!
  start=$(date +%s.%N)
  answer=$(curl -s -b "$cookie" -T "$work/image.raw" -w '\n%{http_code}' \
    "$base/api/disks/upload?name=bench-$run&storage_domain_id=$domain_id&format=raw")
  sync
  end=$(date +%s.%N)
  kill "$sampler_pid" 2>/dev/null; wait "$sampler_pid" 2>/dev/null || true; sampler_pid=
  status=$(echo "$answer" | tail -1)
  [ "$status" = 201 ] || { echo "Vireo answered $status: $(echo "$answer" | head -1)" >&2; exit 1; }
  path=$(echo "$answer" | head -1 | python3 -c 'import json, sys; print(json.load(sys.stdin)["path"])')
  cmp -s "$work/image.raw" "$path" || { echo "Vireo's volume differs from the image" >&2; exit 1; }
  peak=$(cat "$work/peak")
  growth=$(( (peak - before) / 1024 ))
  [ "$growth" -gt "$growth_max" ] && growth_max=$growth
  rate=$(awk -v s="$size" -v a="$start" -v b="$end" 'BEGIN {printf "%.1f", s / 1048576 / (b - a)}')
  vireo_rates+=("$rate")
  printf 'run %d  Vireo PUT (curl -T)   %8s MiB/s   RSS %d MiB before, peak %d MiB (+%d MiB)\n' \
    "$run" "$rate" $((before / 1024)) $((peak / 1024)) "$growth"
  # Removed through Vireo's own disk removal is not exposed over HTTP yet: delete the volume, and
  # the next start of a fresh database forgets the row.
  virsh -c "$URI" vol-delete "$path" >/dev/null
done
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }
vireo_median=$(median "${vireo_rates[@]}"); virsh_median=$(median "${virsh_rates[@]}")
echo "==> ${SIZE_MIB} MiB, median of $RUNS (each until written: upload, then sync): Vireo $vireo_median MiB/s, virsh vol-upload $virsh_median MiB/s"
echo "ratio Vireo / virsh: $(awk -v a="$vireo_median" -v b="$virsh_median" 'BEGIN {printf "%.2f", a / b}') x (goal >= 0.8 x)"
echo "Vireo RSS growth during upload: at most $growth_max MiB (goal < 64 MiB)"
