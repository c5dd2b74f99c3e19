# The course's commands. Every target creates .venv on first use.
#   make book      execute the lessons and build the book into _build/html
#   make test      lint, unit tests and every lesson at the smoke profile (nbval)
#   make lab       JupyterLab on lessons/
#   make test-gpu  the nbval pass at the gpu profile (needs CUDA)
#   make bench     wall time of every lesson at $(PROFILE) -> benchmarks/results/
#   make clean     remove build outputs (keeps .venv; `make distclean` removes it too)

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
WORKERS ?= 2
PROFILE ?= cpu
# one torch / BLAS thread per test worker: two workers on two cores
TEST_ENV := OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 HF_HUB_OFFLINE=1 MPLBACKEND=Agg GENAUG_PROGRESS=0

.PHONY: setup book test lint lab test-gpu bench clean distclean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,book,tools]'
	touch $(STAMP)

lint: setup
	$(BIN)/ruff check src tests lessons benchmarks
	$(BIN)/ruff format --check src tests lessons benchmarks

test: setup lint
	cache=$$(mktemp -d) && trap 'rm -rf "$$cache"' EXIT && \
	$(TEST_ENV) GENAUG_PROFILE=smoke GENAUG_CACHE=$$cache \
	$(BIN)/python -m pytest tests lessons --nbval-lax --nbval-current-env \
	  -n $(WORKERS) --dist loadfile -p no:cacheprovider

book: setup
	HF_HUB_OFFLINE=1 GENAUG_PROGRESS=0 $(BIN)/jupyter-book build . -W -n --keep-going
	@echo "Open _build/html/index.html"

lab: setup
	$(BIN)/jupyter lab lessons/

test-gpu: setup
	@$(BIN)/python -c "import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)" || \
	  { echo "make test-gpu runs the lessons at the gpu profile and needs a CUDA GPU;"; \
	    echo "torch.cuda.is_available() is False here. Use 'make test' on a CPU machine."; exit 1; }
	cache=$$(mktemp -d) && trap 'rm -rf "$$cache"' EXIT && \
	HF_HUB_OFFLINE=1 MPLBACKEND=Agg GENAUG_PROFILE=gpu GENAUG_CACHE=$$cache \
	$(BIN)/python -m pytest lessons --nbval-lax --nbval-current-env -p no:cacheprovider

bench: setup
	$(BIN)/python benchmarks/lesson_times.py --profile $(PROFILE)

clean:
	rm -rf _build .pytest_cache .ruff_cache
	find . -name __pycache__ -not -path './$(VENV)/*' -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) src/*.egg-info
