# syntax=docker/dockerfile:1
# Handoff: a multi-stage build. The build steps live in scripts/build.sh,
# which CI runs too.

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=
RUN VERSION="${VERSION}" OUT=/out/handoff scripts/build.sh \
 && mkdir -p /out/data

# distroless/base: glibc (the binary uses cgo for SQLite), CA certificates
# and time zone data, no shell; :nonroot runs as uid 65532.
FROM gcr.io/distroless/base-debian12:nonroot
COPY --from=build /out/handoff /usr/local/bin/handoff
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
WORKDIR /data
# The server listens on :8080, or on $PORT where the platform sets it
# (HANDOFF_ADDR is left unset so PORT can apply). Metrics listen on every
# interface of the container (not published by default): Prometheus
# scrapes them over the container network.
ENV DATABASE_URL=/data/handoff.db \
    HANDOFF_METRICS_ADDR=:9090
VOLUME ["/data"]
EXPOSE 8080 9090
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["/usr/local/bin/handoff", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/handoff"]
CMD ["serve"]
