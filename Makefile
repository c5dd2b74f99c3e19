# The course's commands. Every target creates .venv on first use.
#   make book      execute the lessons and build the book into _build/html
#   make check-book  load every built page (headless Chromium if installed): math, figures, links
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

.PHONY: setup book check-book test lint lab test-gpu bench clean distclean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,book,tools]'
	touch $(STAMP)

lint: setup
	$(BIN)/ruff check src tests lessons benchmarks book/check_book.py book/figures
	$(BIN)/ruff format --check src tests lessons benchmarks book/check_book.py book/figures

test: setup lint
	cache=$$(mktemp -d) && trap 'rm -rf "$$cache"' EXIT && \
	$(TEST_ENV) GENAUG_PROFILE=smoke GENAUG_CACHE=$$cache \
	$(BIN)/python -m pytest tests lessons --nbval-lax --nbval-current-env \
	  -n $(WORKERS) --dist loadfile -p no:cacheprovider

# book: execute the lessons (jupyter cache), build, then record what ran on the execution
# status page (benchmarks/execution_status.py) and rebuild that page
book: setup
	@start=$$(date +%s); \
	profile=$$($(BIN)/python -c "from genaug.config import get_profile; print(get_profile())"); \
	cache=$$($(BIN)/python -c "from genaug.cache import cache_dir; print('warm' if any(cache_dir().glob('*.safetensors')) else 'cold')"); \
	echo "building the book at the $$profile profile, $$cache checkpoint cache"; \
	HF_HUB_OFFLINE=1 GENAUG_PROGRESS=0 $(BIN)/jupyter-book build . -W -n --keep-going; built=$$?; \
	$(BIN)/python benchmarks/execution_status.py --since $$start --profile $$profile --cache $$cache && \
	HF_HUB_OFFLINE=1 GENAUG_PROGRESS=0 $(BIN)/jupyter-book build . -W -n --keep-going > /dev/null && \
	echo "Open _build/html/index.html"; exit $$built

check-book: setup
	$(BIN)/python book/check_book.py _build/html

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
