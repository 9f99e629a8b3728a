# Thin wrapper over CMake. `make demo` and `make check` are the two commands a newcomer runs.
DEB_PACKAGES := build-essential cmake pkg-config sqlite3 libsqlite3-dev libjansson-dev \
                libcurl4-openssl-dev libcmocka-dev libmicrohttpd-dev libical-dev libsodium-dev \
                libcsv-dev libgmime-3.0-dev postfix nodejs time chromium
JOBS ?= $(shell nproc)
BUILD ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

FUZZ_SECONDS ?= 60

.PHONY: all deps web build build-asan tsan demo check unit e2e bench fuzz clean

all: build

deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi
	@# test-only npm packages (tests/e2e), pinned by package-lock.json
	@if [ ! -d node_modules/smtp-server ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then \
	  command -v npm >/dev/null || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq npm; }; \
	  npm ci --no-audit --no-fund --loglevel=error; \
	fi
	@# the web UI's packages (web/), pinned by web/package-lock.json; also the browser tests' driver
	@if [ ! -d web/node_modules/.bin ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then \
	  command -v npm >/dev/null || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq npm; }; \
	  cd web && npm ci --no-audit --no-fund --loglevel=error; \
	fi

# The web UI (web/dist), embedded into the binary by CMake: rebuilt when a source changes.
WEB_SOURCES := $(shell find web/src web/public web/scripts -type f 2>/dev/null) web/index.html \
               web/package.json web/package-lock.json web/vite.config.ts web/tsconfig.json \
               $(wildcard api/openapi.json)
web/dist/index.html: $(WEB_SOURCES)
	cd web && npm run build --silent
	@touch $@

web: deps web/dist/index.html

build: deps web
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSW_WERROR=ON >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

build-asan: deps web
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DSW_SANITIZE=ON -DSW_TEST_HOOKS=ON \
	  -DSW_WERROR=ON >/dev/null
	cmake --build $(ASAN_BUILD) -j $(JOBS)

# The unit tests whose threads share state (concurrent ledger claims, shared rate buckets,
# the scheduler and its workers) under ThreadSanitizer.
TSAN_TESTS := test_db test_ledger test_limiter test_scheduler
tsan: deps
	cmake -S . -B $(TSAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DSW_TSAN=ON -DSW_WERROR=ON >/dev/null
	cmake --build $(TSAN_BUILD) -j $(JOBS) --target $(TSAN_TESTS)
	cd $(TSAN_BUILD) && for t in $(TSAN_TESTS); do \
	  TSAN_OPTIONS=halt_on_error=1 CMOCKA_MESSAGE_OUTPUT=stdout ./$$t || exit 1; done

demo: build
	./$(BUILD)/stepwise demo

# Every test, under AddressSanitizer + UBSan, plus the warning-clean release build.
check: build build-asan tsan
	@# The API description: redocly's recommended rules, warnings as errors (redocly.yaml).
	npx --no-install redocly lint api/openapi.json
	@# The modules' include order and no cycle between them (docs/ARCHITECTURE.md, "Layers").
	tools/check-layers.sh
	@# Dialect-specific SQL only under src/db/ (docs/ARCHITECTURE.md, "Dialects in one place").
	tools/check-dialect.sh
	@# SQL on Stepwise's own tables (sw_*) only in src/catalog/ (docs/ARCHITECTURE.md, "Modules").
	tools/check-catalog.sh
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS)
	@# Every API response of the e2e tests is checked against api/openapi.json; each test
	@# process appends how many to this file (tests/e2e/lib/contract.mjs).
	@rm -f $(ASAN_BUILD)/validated-responses.txt
	ASAN_OPTIONS=detect_leaks=1 STEPWISE_BIN=$(CURDIR)/$(ASAN_BUILD)/stepwise \
	  STEPWISE_RELEASE_BIN=$(CURDIR)/$(BUILD)/stepwise \
	  STEPWISE_VALIDATED_FILE=$(CURDIR)/$(ASAN_BUILD)/validated-responses.txt \
	  node --test --test-concurrency=2 tests/e2e/
	@cat $(ASAN_BUILD)/validated-responses.txt 2>/dev/null | \
	  awk '{n += $$1} END {printf "validated %d responses against api/openapi.json\n", n}'
	cd web && npm test --silent
	@echo "check: all tests passed"

bench: build
	bench/targeting/run.sh

# libFuzzer over the document parser, validator, filter compiler and engine (clang).
fuzz: deps
	@command -v clang >/dev/null || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq clang libclang-rt-14-dev; }
	cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug -DSW_SANITIZE=ON -DSW_FUZZ=ON >/dev/null
	cmake --build build-fuzz -j $(JOBS) --target fuzz_campaign fuzz_feedback fuzz_token fuzz_track
	for t in campaign feedback token track; do \
	  mkdir -p build-fuzz/corpus-$$t && cp -n tests/fuzz/corpus/$$t/* build-fuzz/corpus-$$t/ && \
	  ./build-fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -max_len=16384 -timeout=10 \
	    build-fuzz/corpus-$$t || exit 1; \
	done

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD) build-fuzz
