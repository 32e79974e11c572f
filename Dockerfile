# syntax=docker/dockerfile:1

# Build a static binary; the module and build caches survive between builds.
FROM golang:1.26 AS build
WORKDIR /src
ENV CGO_ENABLED=0
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download
COPY . .
ARG VERSION=dev
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/campus ./bootstrap/cmd/campus

# No shell, no package manager, runs as uid 65532.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/campus /campus
# The working directory is where .env, logs/ and a SQLite file would live;
# it must be writable by the non-root user.
WORKDIR /home/nonroot
ENV HOST=0.0.0.0 \
    PORT=8000
EXPOSE 8000
USER nonroot:nonroot
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["/campus", "healthcheck"]
ENTRYPOINT ["/campus"]
CMD ["serve"]
