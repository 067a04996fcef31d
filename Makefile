# The two commands (README.md). Everything else is in scripts/.
.PHONY: run test build setup seed bench-grid bench-live bench-scale bench-nav bench-upload bench-console bench-start bench-bundle bench

run:
	@scripts/run.sh

test:
	@scripts/test.sh

setup:
	@scripts/setup.sh

build: setup
	@scripts/build.sh debug

# Adds N VMs (default 10,000) to the database `make run` uses (it may be running).
N ?= 10000
seed: setup
	@scripts/build.sh release
	@VIREO_SITE_ROOT=target/site $$(cat target/site/.server-bin) seed $(N)

# The grid load benchmark (10,000 VMs; Vireo against a bare axum + sqlx endpoint).
bench-grid: setup
	@scripts/bench-grid.sh

# 1,000 open live-update streams while one VM changes 10 times a second (latency, RSS, refetches).
bench-live: setup
	@scripts/bench-live.sh

# Scale (issue 16): seeding 100,000 VMs, the grid at 100,000 against the bare endpoint, 200
# simulated hosts' idle monitor CPU and a libvirt status change reaching the grid; each figure
# beside its goal and this run's baseline.
bench-scale: setup
	@scripts/bench-scale.sh

# Navigation → hydrated, interactive VM grid (100 of 10,000 VMs) in headless Chromium: 20 page
# loads with a warm HTTP cache, 20 cold; p50/p90.
bench-nav: setup
	@scripts/bench-nav.sh

# A 1 GiB image uploaded through Vireo's endpoint and with virsh vol-upload (qemu:///system).
bench-upload: setup
	@scripts/bench-upload.sh

# Keystroke echo latency through Vireo's serial console and through `virsh console`, on one VM
# under KVM (needs /dev/kvm; the test prints p50/p99 of each).
bench-console: setup
	@scripts/kvm-test.sh kvm_console

# How long a warm `make run` takes to serve /healthz (a new data folder, then a restart).
bench-start:
	@scripts/bench-start.sh

# The release browser bundle's raw, gzip -9 and brotli sizes beside the goal (<= 350 KB gzip).
bench-bundle:
	@scripts/bench-bundle.sh

# Criterion and throughput benchmarks of the rules, the VM grid page's server rendering (100 rows)
# and the libvirt layer.
bench: setup
	@cargo bench -p vireo-app --bench preview
	@cargo bench -p vireo-app --features ssr --bench grid_render
	@cargo bench -p vireo-server --bench lifecycle
	@cargo bench -p vireo-server --bench metrics
