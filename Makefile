# rapportbot: `make run` and `make test` do all the set-up on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install run test bench eval train browser postgres nginx clean-store

# Re-installs only when pyproject.toml changed since the last install.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing rapportbot into $(VENV) (first time takes a minute or two; pip shows each package)..."
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	@$(BIN)/python -m pip install --disable-pip-version-check --progress-bar on -e '.[test,bench]'
	@echo "Installed rapportbot into $(VENV)."
	@touch $(STAMP)

install: $(STAMP)

run: install
	@$(BIN)/rapportbot ingest --if-stale
	@$(BIN)/rapportbot serve

# One pytest worker per core (pytest-xdist); a file's tests stay on one worker, so its servers start once.
TEST_WORKERS ?= auto

test: install browser postgres nginx
	@$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

# Debian's Chromium for the browser test; CI must have it, elsewhere the test says why it did not run.
browser:
	@bash tests/install_chromium.sh

# Debian's PostgreSQL for the shared-feedback tests (each test run starts its own cluster in a temp dir).
postgres:
	@bash tests/install_postgres.sh

# Debian's nginx for the reverse-proxy test (started by the test on loopback, never as a service).
nginx:
	@bash tests/install_nginx.sh

bench: install
	@$(BIN)/rapportbot ingest --if-stale
	@$(BIN)/rapportbot bench

# Refit the span ranker and refusal classifier from the committed bank (bot/answer/models/, about 2 minutes).
train: install
	@$(BIN)/rapportbot ingest --if-stale
	@$(BIN)/rapportbot train

eval: install
	@$(BIN)/rapportbot ingest --if-stale
	@$(BIN)/rapportbot eval

clean-store:
	rm -rf .rapportbot/store
