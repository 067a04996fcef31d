# The two commands (README.md). Everything else is in scripts/.
.PHONY: run test build setup

run:
	@scripts/run.sh

test:
	@scripts/test.sh

setup:
	@scripts/setup.sh

build: setup
	@scripts/build.sh debug
