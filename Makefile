# The two commands of the README:
#   make demo   — installs everything, then runs the main job on the embedded quickstart default
#   make test   — installs everything, then lint, typecheck and every test
SHELL := /bin/bash
NODE_TEST := node --import tsx --test --test-concurrency=1 --test-reporter=spec

.PHONY: setup demo test lint format typecheck unit golden-accept schemas bench clean

# npm ci only when package-lock.json changed since the last install.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

setup: node_modules/.installed

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

clean:
	rm -rf out .cache
