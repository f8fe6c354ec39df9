# fastpath's entry points. Every target that needs tools depends on `setup`, which is idempotent
# and takes seconds once done, so each target works from a fresh clone on its own.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
export PATH := $(CURDIR)/$(BIN):$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
LAB_SIZE ?= 3
# netns (nspawn hosts) or vm (QEMU VMs as servers, netns load clients)
LAB_KIND ?= netns

.PHONY: setup demo test lint bench lab-image lab-up lab-down lab-status clean

setup:
	bash scripts/setup.sh

# Set up, bring up the lab fleet and run the whole site.yml on it.
demo: lab-up
	$(BIN)/ansible-playbook site.yml

# Set up and run every test; stops at the first failing stage.
test: setup
	bash scripts/test.sh

lint: setup
	bash scripts/test.sh lint

# Benchmarks print measured numbers and ratios against peers run side by side; not part of `test`.
bench: setup
	$(MAKE) -C native
	$(MAKE) -C bench
	$(BIN)/python bench/bench_dataplane.py
	$(BIN)/python bench/bench_host_model.py

lab-image: setup
	$(BIN)/fastpath lab image --kind $(LAB_KIND)

lab-up: lab-image
	$(BIN)/fastpath lab up --kind $(LAB_KIND) --size $(LAB_SIZE)

lab-down: setup
	$(BIN)/fastpath lab down

lab-status: setup
	$(BIN)/fastpath lab status

clean:
	$(MAKE) -C native clean
	rm -rf runs .pytest_cache .ruff_cache
