# The two commands of the README:
#   make demo   — installs everything, then runs the main job on the embedded quickstart default
#   make test   — installs everything, then lint, typecheck and every test
SHELL := /bin/bash
NODE_TEST := node --import tsx --test --test-concurrency=1 --test-reporter=spec

.PHONY: setup demo test lint format typecheck unit golden-accept schemas bench clean offload

# npm ci only when package-lock.json changed since the last install.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# offload/install-deps.sh apt-installs only the kernel-offload tools that are missing (clang, llvm,
# libbpf-dev, bpftool, iproute2, ethtool), quietly; without root it just says what is missing and
# never fails the build.
setup: node_modules/.installed
	@sh offload/install-deps.sh

demo: setup
	bin/l7mp-compile validate examples/quickstart
	npx tsx examples/quickstart/demo.ts

typecheck: setup
	npx tsc -p .

lint: setup typecheck
	npx eslint --max-warnings=0 .
	npx prettier --check .

format: setup
	npx prettier --write .

unit: setup
	$(NODE_TEST) test/*.test.ts

test: lint unit

# Re-record the golden lowered graphs after an intended change (review the diff!).
golden-accept: setup
	L7MP_ACCEPT=1 $(NODE_TEST) test/golden.test.ts

schemas: setup
	npx tsx schemas/generate.ts

bench: setup
	npx tsx bench/compile.ts

# The kernel offload's tc program: offload/bpf/ofl_fwd.c → offload/bpf/build/ofl_fwd.o (gitignored).
offload: setup
	npx tsx offload/build.ts

clean:
	rm -rf out .cache
