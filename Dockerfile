# syntax=docker/dockerfile:1
# e5renew in a container: a static binary on distroless (CA certificates, tzdata, a non-root
# user, nothing else). Build:
#   docker build -t e5renew .
#   docker build -t e5renew --build-arg VERSION=$(git describe --tags --always) \
#     --build-arg COMMIT=$(git rev-parse HEAD) --build-arg DATE=$(git log -1 --format=%cI) .
# Run (publish on 127.0.0.1 only; see docs or compose.yaml):
#   docker run -d --name e5renew -p 127.0.0.1:8355:8355 -v e5renew-data:/data e5renew
# The go build flags are the release tool's (internal/cmd/release): a test keeps them equal.

# The builder runs on the build machine's platform and cross-compiles (no emulation).
FROM --platform=$BUILDPLATFORM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG TARGETOS TARGETARCH TARGETVARIANT
ARG VERSION=dev
ARG COMMIT=unknown
ARG DATE=unknown
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH GOARM=${TARGETVARIANT#v} \
    go build -trimpath -buildvcs=false \
      -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT} -X main.date=${DATE}" \
      -o /out/e5renew ./cmd/e5renew \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/e5renew /usr/local/bin/e5renew
# /data holds the configuration (unless mounted elsewhere), e5renew.db and the key; owned by
# the image's non-root user so a new named volume is writable.
COPY --from=build --chown=65532:65532 /out/data /data
ENV E5RENEW_CONFIG=/data/e5renew.yaml
WORKDIR /data
USER 65532:65532
VOLUME ["/data"]
EXPOSE 8355
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["/usr/local/bin/e5renew", "healthcheck", "--url", "http://127.0.0.1:8355/healthz"]
ENTRYPOINT ["/usr/local/bin/e5renew"]
# Inside the container the daemon must listen on every interface for the published port to
# reach it; publish it on the host's loopback only: -p 127.0.0.1:8355:8355.
CMD ["serve", "--listen", "0.0.0.0:8355"]
