# berth: build, run and test its container image. `make help` lists the targets.
# The engine is Docker when its CLI answers, else Podman; override with ENGINE=docker|podman.
ENGINE ?= $(shell if docker version >/dev/null 2>&1; then echo docker; elif command -v podman >/dev/null 2>&1; then echo podman; else echo docker; fi)
IMAGE ?= berth/berth
VERSION ?= dev-local
REVISION ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
CREATED ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
# The org.opencontainers.image.source label, e.g. SOURCE=https://github.com/you/berth
SOURCE ?=
# Offline defaults: bases made from this host's files by images/build-node-base.sh. With a
# registry: make build-image BASE_IMAGE=node:20-bookworm-slim BUILD_IMAGE=node:20-bookworm
BASE_IMAGE ?= berth/node-base:local
BUILD_IMAGE ?= berth/node-build:local
PLATFORMS ?= linux/amd64,linux/arm64
# run-local: where berth listens (on the host network) and what it manages.
NAME ?= berth
BIND ?= 127.0.0.1
PORT ?= 8081
DATA_VOLUME ?= berth-data
SOCKET ?= $(if $(filter podman,$(ENGINE)),/run/podman/podman.sock,/var/run/docker.sock)
GRACE ?= 30

.DEFAULT_GOAL := help
.PHONY: help base-images build-image run-local stop test-image logs clean build-multiarch

help: ## list the targets
	@echo "berth image targets (engine: $(ENGINE); override with ENGINE=docker|podman)"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'
	@echo "variables: VERSION=$(VERSION) IMAGE=$(IMAGE) BASE_IMAGE=$(BASE_IMAGE) BUILD_IMAGE=$(BUILD_IMAGE)"
	@echo "           NAME=$(NAME) BIND=$(BIND) PORT=$(PORT) DATA_VOLUME=$(DATA_VOLUME) SOCKET=$(SOCKET)"

base-images: ## build the offline base images from host files (only when the local bases are used and missing)
	@if [ "$(BASE_IMAGE)" = berth/node-base:local ] && ! $(ENGINE) image inspect $(BASE_IMAGE) >/dev/null 2>&1; then ENGINE=$(ENGINE) bash images/build-node-base.sh runtime; fi
	@if [ "$(BUILD_IMAGE)" = berth/node-build:local ] && ! $(ENGINE) image inspect $(BUILD_IMAGE) >/dev/null 2>&1; then ENGINE=$(ENGINE) bash images/build-node-base.sh build; fi

build-image: base-images ## build IMAGE:VERSION (VERSION=1.2.3)
	$(ENGINE) build --build-arg BASE_IMAGE=$(BASE_IMAGE) --build-arg BUILD_IMAGE=$(BUILD_IMAGE) \
	  --build-arg VERSION=$(VERSION) --build-arg REVISION=$(REVISION) --build-arg CREATED=$(CREATED) \
	  --build-arg SOURCE=$(SOURCE) -t $(IMAGE):$(VERSION) .
	@$(ENGINE) image inspect -f '$(IMAGE):$(VERSION) is {{.Size}} bytes' $(IMAGE):$(VERSION)

# The engine socket gives berth (and anyone who controls berth) root on this host: see
# compose.yaml and the README for the risk and the TLS alternative (DOCKER_HOST=tcp://…).
run-local: ## run the image in the background as NAME, bound to BIND:PORT, data in volume DATA_VOLUME
	$(ENGINE) run -d --name $(NAME) --restart unless-stopped --network host \
	  --read-only --tmpfs /tmp:rw,nosuid,nodev,size=16m --stop-timeout $(GRACE) \
	  -v $(DATA_VOLUME):/data -v $(SOCKET):/var/run/docker.sock --group-add $$(stat -c %g $(SOCKET)) \
	  -e BERTH_HOST=$(BIND) -e BERTH_PORT=$(PORT) $(IMAGE):$(VERSION)
	@echo "berth runs at http://$(BIND):$(PORT); admin token: $(ENGINE) exec $(NAME) cat /data/admin.token"

stop: ## stop and remove the NAME container (the data volume stays)
	-$(ENGINE) stop -t $(GRACE) $(NAME)
	-$(ENGINE) rm $(NAME)

test-image: ## boot the image, wait healthy, smoke-test the API on the host engine, stop it (exit 0 within the grace)
	ENGINE=$(ENGINE) SOCKET=$(SOCKET) GRACE_SECONDS=$(GRACE) bash scripts/image-smoke.sh $(IMAGE):$(VERSION)

logs: ## follow the logs of NAME
	$(ENGINE) logs -f --tail 100 $(NAME)

clean: ## remove the NAME container and the IMAGE:VERSION image (volumes are kept; add CLEAN_DATA=1 to drop DATA_VOLUME)
	-$(ENGINE) rm -f $(NAME)
	-$(ENGINE) rmi $(IMAGE):$(VERSION)
	@if [ "$(CLEAN_DATA)" = 1 ]; then $(ENGINE) volume rm $(DATA_VOLUME); fi

build-multiarch: ## build for PLATFORMS with buildx (needs bases for every platform: with a registry, the official node images)
	@cmd="docker buildx build --platform $(PLATFORMS) --build-arg BASE_IMAGE=$(BASE_IMAGE) --build-arg BUILD_IMAGE=$(BUILD_IMAGE) --build-arg VERSION=$(VERSION) --build-arg REVISION=$(REVISION) --build-arg CREATED=$(CREATED) -t $(IMAGE):$(VERSION) ."; \
	if [ "$(ENGINE)" = docker ] && docker buildx version >/dev/null 2>&1; then echo "$$cmd"; eval "$$cmd"; \
	elif [ "$(ENGINE)" = podman ]; then cmd="podman build --platform $(PLATFORMS) --manifest $(IMAGE):$(VERSION) --build-arg BASE_IMAGE=$(BASE_IMAGE) --build-arg BUILD_IMAGE=$(BUILD_IMAGE) --build-arg VERSION=$(VERSION) --build-arg REVISION=$(REVISION) ."; echo "$$cmd"; eval "$$cmd"; \
	else echo "build-multiarch: docker buildx is not installed here, so nothing was built. It would run:" >&2; echo "  $$cmd" >&2; \
	  echo "Install the buildx plugin (and qemu-user-static for foreign platforms), and use base images that exist for every platform (the offline bases are $$(uname -m) only)." >&2; exit 2; fi
