# The two commands of this repository; see README.md.
.PHONY: demo test bench

demo:
	bash tools/dev.sh demo

test:
	bash tools/dev.sh test

bench:
	bash tools/dev.sh bench
