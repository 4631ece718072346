# make test  - fresh machine: create .venv, install dexvip-jax with its pinned stack, run the suite
# make train - same set-up, then the main job: train with the default preset (cpu without a GPU)
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install test test-fast train bench bench-env objects-sheet

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip "setuptools>=77"  # the build backend, for editable and wheel builds
	# setuptools notes ("InformationOnly") that an editable install of a package-dir layout uses a
	# meta-path finder; only that note is filtered, every real packaging warning still prints.
	PYTHONWARNINGS="ignore:Editable installation:UserWarning" $(PY) -m pip install -q -e ".[test,images]"
	# GRAB motion capture as MyoSuite ships it, read as data (prior/mocap.py): --no-deps, since
	# myosuite pins an older mujoco; nothing of it is imported.
	$(PY) -m pip install -q --no-deps myosuite==2.12.2
	$(VENV)/bin/dexvip prior landmarker
	touch $(STAMP)

install: $(STAMP)

# Two processes, each test file in one of them (its module fixtures compile once): on 2 cores the
# compilations and subprocess start-ups of one overlap the other's physics.
test: $(STAMP)
	$(PY) -m pytest -q -n 2 --dist loadfile

test-fast: $(STAMP)
	$(PY) -m pytest -q -m "not slow"

train: $(STAMP)
	$(VENV)/bin/dexvip train

bench-env: $(STAMP)
	$(VENV)/bin/dexvip bench env

bench: $(STAMP)
	$(PY) benchmarks/env_sps.py

# Draws with MuJoCo's offscreen GL: Mesa's EGL (in the image), else OSMesa.
objects-sheet: $(STAMP)
	$(VENV)/bin/dexvip objects --sheet docs/objects.png --camera-sheet docs/camera.png
