# probe in a container: a static binary on Debian bookworm-slim with Debian's
# Chromium for browser flows. Runs as a non-root user.
#
#   docker build -t probe .
#   docker run -p 9464:9464 -v "$PWD/examples/shop:/suite:ro" probe                 # the daemon
#   docker run --rm -v "$PWD/examples/shop:/suite:ro" probe load spike --suite /suite --env staging

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=container
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/probe ./cmd/probe

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends chromium fonts-liberation ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 10001 probe
COPY --from=build /out/probe /usr/local/bin/probe
USER probe
WORKDIR /home/probe
EXPOSE 9464
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s CMD curl -fsS http://127.0.0.1:9464/healthz || exit 1
ENTRYPOINT ["probe"]
CMD ["run", "--suite", "/suite", "--listen", "0.0.0.0:9464", "--history", "/home/probe/.probe/history.db"]
