# Shortcuts; the tools themselves need no make.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

.PHONY: release docker

# Cross-compile every platform into dist/ with SHA256SUMS (see internal/cmd/release).
release:
	go run ./internal/cmd/release -version $(VERSION) -out dist

# Build the container image, stamped like a release.
docker:
	docker build -t e5renew:$(VERSION) --build-arg VERSION=$(VERSION) \
	  --build-arg COMMIT=$$(git rev-parse HEAD) --build-arg DATE=$$(git log -1 --format=%cI) .
