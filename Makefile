# medsec: the two commands a new user needs are `make run` and `make test`.
# Every step below is cached: set-up and training are skipped when their inputs are unchanged.
.PHONY: setup train run test lint format lock bench clean

VENV := .venv/bin

setup:
	@scripts/setup.sh

train: setup
	@scripts/train.sh

run: train
	@$(VENV)/medsec db upgrade
	@$(VENV)/medsec seed demo --if-empty
	@$(VENV)/medsec run

lint: setup
	@echo "[lint] ruff check + format check"
	@$(VENV)/ruff check .
	@$(VENV)/ruff format --check .

test: train lint
	@echo "[test] pytest"
	@$(VENV)/pytest $(PYTEST_ARGS)

format: setup
	@$(VENV)/ruff format .
	@$(VENV)/ruff check --fix .

# Re-pin both environments after editing requirements/*.in (needs the registries).
lock:
	@scripts/lock.sh

bench: train
	@$(VENV)/python -m bench

clean:
	rm -rf models var/*.db .pytest_cache .ruff_cache
