# Shared by the load benchmarks (bench-grid.sh, bench-scale.sh); sourced, not run.

# wrk, installed on first use.
ensure_wrk() {
  command -v wrk >/dev/null && return
  echo "==> apt-get install wrk"
  if [ "$(id -u)" -eq 0 ]; then apt-get install -y -qq wrk >/dev/null; else sudo apt-get install -y -qq wrk >/dev/null; fi
}

# wait_http URL WHAT: waits up to 60 s for URL to answer 2xx, else fails naming WHAT.
wait_http() {
  for _ in $(seq 1 300); do curl -fs "$1" >/dev/null && return 0; sleep 0.2; done
  echo "$2 did not start (is the port taken?)" >&2
  return 1
}

# login_cookie BASE PASSWORD: admin's session cookie (name=value) from the login form.
login_cookie() {
  curl -s -o /dev/null -D - -d "username=admin&password=$2" "$1/login" \
    | awk -F'[ ;]' 'tolower($1)=="set-cookie:" {print $2}'
}

# wrk prints latencies as 850.00us, 1.20ms or 1.01s; in milliseconds:
to_ms() { awk '{v=$1; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; printf "%.3f", v}'; }

# measure KEY NAME URL [COOKIE]: single-connection latency (p50/p99) and throughput at 16
# connections, DURATION each; p50 (ms) and req/s land in P50[KEY] and RPS[KEY].
declare -A P50 RPS
measure() {
  local lat thr p50 p99 rps
  lat=$(wrk -t1 -c1 -d"$DURATION" --latency ${4:+-H "Cookie: $4"} "$3")
  thr=$(wrk -t2 -c16 -d"$DURATION" ${4:+-H "Cookie: $4"} "$3")
  p50=$(echo "$lat" | awk '$1=="50%" {print $2}'); p99=$(echo "$lat" | awk '$1=="99%" {print $2}')
  rps=$(echo "$thr" | awk '/Requests\/sec/ {print $2}')
  P50[$1]=$(echo "$p50" | to_ms); RPS[$1]=$rps
  printf '%-40s p50 %8s  p99 %8s  %9s req/s (16 conn)\n' "$2" "$p50" "$p99" "$rps"
}

# alternate KEY_A NAME_A URL_A KEY_B NAME_B URL_B COOKIE: A against B measured in ROUNDS rounds (5
# unless set), each round A then B for a slice of DURATION (latency at 1 connection, throughput at
# 16), so a slow spell of the shared cores weighs on both sides of a round, not on one side of the
# run. Prints each round's ratios (A / B); P50 and RPS of each key, and RATIO_P50 / RATIO_RPS, get
# the rounds' medians. For goals that compare two endpoints of one server in the same run.
alternate() {
  local rounds=${ROUNDS:-5} slice r k url lat thr p50 rps
  slice=$(( ($(echo "$DURATION" | tr -dc 0-9) + rounds - 1) / rounds ))s
  local -a a_p50=() b_p50=() a_rps=() b_rps=() r_p50=() r_rps=()
  for r in $(seq 1 "$rounds"); do
    for k in a b; do
      if [ "$k" = a ]; then url=$3; else url=$6; fi
      lat=$(wrk -t1 -c1 -d"$slice" --latency ${7:+-H "Cookie: $7"} "$url")
      thr=$(wrk -t2 -c16 -d"$slice" ${7:+-H "Cookie: $7"} "$url")
      p50=$(echo "$lat" | awk '$1=="50%" {print $2}' | to_ms)
      rps=$(echo "$thr" | awk '/Requests\/sec/ {print $2}')
      if [ "$k" = a ]; then a_p50+=("$p50"); a_rps+=("$rps"); else b_p50+=("$p50"); b_rps+=("$rps"); fi
    done
    r_p50+=("$(ratio "${a_p50[-1]}" "${b_p50[-1]}")"); r_rps+=("$(ratio "${a_rps[-1]}" "${b_rps[-1]}")")
    printf '  round %d: %-10s p50 %7s ms %9s req/s | %-10s p50 %7s ms %9s req/s | %sx, %sx\n' "$r" \
      "$1" "${a_p50[-1]}" "${a_rps[-1]}" "$4" "${b_p50[-1]}" "${b_rps[-1]}" "${r_p50[-1]}" "${r_rps[-1]}"
  done
  P50[$1]=$(median "${a_p50[@]}"); RPS[$1]=$(median "${a_rps[@]}")
  P50[$4]=$(median "${b_p50[@]}"); RPS[$4]=$(median "${b_rps[@]}")
  RATIO_P50=$(median "${r_p50[@]}"); RATIO_RPS=$(median "${r_rps[@]}")
  printf '%-40s p50 %8s ms %9s req/s (16 conn; medians of %d rounds)\n' "$2" "${P50[$1]}" "${RPS[$1]}" "$rounds"
  printf '%-40s p50 %8s ms %9s req/s (16 conn; medians of %d rounds)\n' "$5" "${P50[$4]}" "${RPS[$4]}" "$rounds"
}

# median VALUES...: the middle value (the mean of the two middle ones for an even count).
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {if (NR % 2) print v[(NR+1)/2]; else printf "%.3f\n", (v[NR/2]+v[NR/2+1])/2}'; }

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }

# release_fresh: whether the release server is newer than every source of it and of the site (its
# stylesheet, static files, build script and cargo settings too), so a benchmark just built it.
# Then a script skips `build.sh release`: it and an example build differ in tokio's features (the
# dev-dependencies' `test-util`), so each would replace the other's crates and rebuild the server.
release_fresh() {
  local target_dir=${CARGO_TARGET_DIR:-$root/target}
  local bin=$target_dir/release/vireo-server
  # (and the site is the release one: build.sh names the server it was built with)
  [ -x "$bin" ] && [ "$(cat "$root/target/site/.server-bin" 2>/dev/null)" = "$bin" ] &&
    [ -z "$(cd "$root" && find app server/src server/Cargo.toml migrations Cargo.toml Cargo.lock style public .cargo scripts/build.sh -newer "$bin" -print -quit)" ]
}
