# spikeagents: every target sets up .venv when it is missing or older than pyproject.toml.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.installed

.PHONY: setup train test lint bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet -c constraints.txt torch
	$(PIP) install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

# Train the default spiking PPO agent on CartPole-v1 on the CPU (seed 1 reproduces the recorded
# run in benchmarks/results/rl_ppo_CartPole-v1.md; drop --seed for a random one).
train: $(STAMP)
	$(VENV)/bin/spikeagents train ppo CartPole-v1 --seed 1

# The whole suite; pytest exit code 5 (no tests collected) is a failure too.
test: $(STAMP)
	$(PY) -m pytest -q -p no:cacheprovider tests; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing"; exit 1; fi; exit $$rc

lint: $(STAMP)
	$(VENV)/bin/ruff check spikeagents tests benchmarks examples
	$(VENV)/bin/ruff format --check spikeagents tests benchmarks examples

bench: $(STAMP)
	$(PY) benchmarks/neurons.py

clean:
	rm -rf $(VENV) build *.egg-info
