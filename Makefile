# The commands of this repository; see README.md. `make lint` runs only
# the linters that `make test` runs first; `make bench BENCH_ARGS="-n 10000"`
# passes arguments to the benchmark.
.PHONY: demo test lint bench bench-install

demo:
	bash tools/dev.sh demo

test:
	bash tools/dev.sh test

lint:
	bash tools/dev.sh lint

bench:
	bash tools/dev.sh bench $(BENCH_ARGS)

bench-install:
	bash tools/dev.sh bench-install $(BENCH_ARGS)
