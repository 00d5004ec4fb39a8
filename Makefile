# Sepia: two commands on a fresh Debian 12 machine with Swift installed.
#   make demo   builds Sepia and runs the main job end to end
#   make test   builds Sepia and runs every test
SHELL := /bin/bash
SWIFT ?= swift
APT_PACKAGES := libluajit-5.1-dev libleveldb-dev libmagickwand-dev libzmq3-dev libmsgpack-dev pkg-config imagemagick
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
RELEASE_BIN = $(shell $(SWIFT) build -c release --show-bin-path)

.PHONY: all deps build release test demo bench clean

all: build

# Installs the system libraries that are missing (apt-get), once.
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --no-parallel

demo: release
	SEPIA_BIN="$(RELEASE_BIN)" bash scripts/demo.sh

bench: release
	"$(RELEASE_BIN)/sepia" bench noop --workers 2

clean:
	rm -rf .build
