# medcrypt: the commands a user and CI run. Every target installs missing Debian packages first.
#   make demo [DATA=DIR]   build and run the whole job end to end (generated images, or yours)
#   make test              build and run every test
#   make test-asan         the same under AddressSanitizer + UndefinedBehaviorSanitizer, less the shipped
#                          models' quality checks (ShippedModels, RoiShipped: the code other tests cover, on whole
#                          datasets, minutes under ASan), the round trips of every shared image through zigzag-gan
#                          and through chaos-henon's region networks (their odd-geometry round trips run), and
#                          the demo's end-to-end test (its commands run in their own tests; with the region one,
#                          151 s and 185 s of the stage, most of it in libtorch, which is not instrumented)
#   make fuzz              build the libFuzzer targets and run each for FUZZ_SECONDS
#   make bench             run the benchmarks (figures for docs/BENCHMARKS.md)
# WERROR=ON turns warnings into errors (CI sets it).

WERROR ?= OFF
FUZZ_SECONDS ?= 60
DATA ?=
JOBS ?= 2

.PHONY: deps build test test-asan fuzz bench demo clean

deps:
	@bash scripts/install-deps.sh

build: deps
	cmake --preset default -DMEDCRYPT_WERROR=$(WERROR) >/dev/null
	cmake --build --preset default -j $(JOBS)

test: build
	ctest --preset default -j $(JOBS)

test-asan: deps
	cmake --preset asan -DMEDCRYPT_WERROR=$(WERROR) >/dev/null
	cmake --build --preset asan -j $(JOBS)
	ctest --preset asan -j $(JOBS)

fuzz: deps
	cmake --preset fuzz -DMEDCRYPT_WERROR=$(WERROR) >/dev/null
	cmake --build --preset fuzz -j $(JOBS) --target fuzzers
	bash scripts/run-fuzzers.sh build-fuzz $(FUZZ_SECONDS)

bench: build
	bash scripts/run-benchmarks.sh build

demo: build
	./build/bin/medcrypt demo $(if $(DATA),--data "$(DATA)")

clean:
	rm -rf build build-asan build-fuzz build-dev build-tidy
