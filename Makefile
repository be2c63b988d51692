# imgaudit: every target installs what it needs (Debian packages, venv, Python packages).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Every Debian package the tests, `make demo` and `make bench` use (gcc and the cross compiler
# only recommend their C libraries, and recommends are not installed: name them).
DEBS := libarchive13 libarchive-tools zstd lz4 xz-utils bzip2 lzop e2fsprogs xfsprogs fdisk \
        qemu-utils lvm2 dosfstools mtools musl-tools gcc libc6-dev gcc-aarch64-linux-gnu \
        libc6-dev-arm64-cross pax-utils busybox-static docker.io umoci skopeo libcap2-bin attr \
        strace binutils python3 mmdebstrap btrfs-progs cryptsetup-bin packer rpm \
        db5.3-util
APT := apt-get -o DPkg::Lock::Timeout=600
DEMO := demo-out
# The runtime dependencies' wheels and pip's: the wheel test and the image build install from it
# with no index.
WHEELHOUSE := .wheelhouse
IMAGE ?= imgaudit:latest
BASE ?= debian:bookworm-slim

.PHONY: all deps venv wheel wheelhouse image demo test lint typecheck unit bench fuzz clean schema

all: test

deps: .stamp-debs
.stamp-debs: Makefile
	@missing=$$(for p in $(DEBS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages: $$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO $(APT) update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO $(APT) install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
	@touch $@

venv: $(VENV)/.stamp
$(VENV)/.stamp: pyproject.toml .stamp-debs
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	@touch $@

wheel: venv
	rm -rf build dist/imgaudit-*.whl
	$(PY) -m pip wheel -q --no-build-isolation --no-deps --wheel-dir dist .
	@ls dist/imgaudit-*.whl

wheelhouse: $(WHEELHOUSE)/.stamp
$(WHEELHOUSE)/.stamp: pyproject.toml $(VENV)/.stamp
	rm -rf $(WHEELHOUSE)
	$(PY) -m pip download -q --only-binary=:all: --dest $(WHEELHOUSE) . pip
	@touch $@

# The build context is the Dockerfile and wheels/ only; BASE=... picks another Debian base.
image: wheel wheelhouse
	rm -rf build/image && mkdir -p build/image/wheels
	cp Dockerfile build/image/
	cp dist/imgaudit-*.whl $(WHEELHOUSE)/*.whl build/image/wheels/
	docker build --build-arg BASE=$(BASE) -t $(IMAGE) build/image

demo: venv
	$(PY) examples/build_demo.py $(DEMO)
	@echo "== imgaudit scan $(DEMO)/golden.qcow2 --profile k0s --profile golden-image"
	@$(VENV)/bin/imgaudit scan $(DEMO)/golden.qcow2 --profile k0s --profile golden-image \
	  || echo "== exit code $$?: findings at or above --fail-on (default: error)"
	$(VENV)/bin/imgaudit scan $(DEMO)/golden.qcow2 --profile k0s --profile golden-image \
	  --format sarif --output $(DEMO)/golden.sarif --fail-on none
	@echo "== SARIF written to $(DEMO)/golden.sarif"

lint: venv
	$(VENV)/bin/ruff check analyzer tests bench examples
	$(VENV)/bin/ruff format --check analyzer tests bench examples

typecheck: venv
	$(VENV)/bin/mypy

# The rule-pack JSON Schema, generated from the leaves' parameter specs (a test compares).
.PHONY: pack-schema
pack-schema: venv
	$(PY) -c 'from pathlib import Path; from analyzer.policy.schema import write_schema; write_schema(Path("."))'

unit: venv wheelhouse
	$(VENV)/bin/pytest -q

test: lint typecheck unit

# The JSON reports' schemas (schema/*.json) and the reference in docs/json-report.md, from the
# report models; refuses a changed shape until the model's version is bumped.
schema: venv
	$(PY) tests/schemafiles.py

bench: venv
	$(PY) bench/run.py

# Fuzz every parser family for FUZZ_SECONDS each (default 60); FUZZ_FAMILIES to choose some.
fuzz: $(VENV)/.stamp-fuzz
	$(PY) tests/fuzz/campaign.py $(FUZZ_FAMILIES)
$(VENV)/.stamp-fuzz: $(VENV)/.stamp
	$(PY) -m pip install -q -e '.[fuzz]'
	@touch $@

clean:
	rm -rf $(VENV) .stamp-debs $(WHEELHOUSE) build dist $(DEMO) bench-out fuzz-out .pytest_cache .mypy_cache .ruff_cache
