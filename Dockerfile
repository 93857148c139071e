# vendor-emulator image: one statically linked binary on `scratch` (a few MB), run
# as a non-root numeric user. Two ways to build it, one image definition:
#
#   docker build -t vendor-emulator .                    # from source, in the official Rust image
#   docker build --target prebuilt -t vendor-emulator .  # package a binary built on this host:
#       binary="$(.ci/release-binary)"   # the dist profile, static, OpenAPI documents embedded
#       mkdir -p target/docker && strip -o target/docker/vendor-emulator "$binary"
#     (needs no base image at all: air-gapped CI, machines that cannot pull; .ci/docker does this)
#
#   docker run --rm -p 8080-8083:8080-8083 -p 8443:8443 vendor-emulator
#
# The `prebuilt` stages come first so that the classic builder, which builds every
# stage up to the target, never needs the Rust image for them.

ARG VERSION=0.1.0
ARG SOURCE=local

# --- the image, whatever built its binary -------------------------------------
FROM scratch AS image
ARG VERSION
ARG SOURCE
LABEL org.opencontainers.image.title="vendor-emulator" \
      org.opencontainers.image.description="Faithful, stateful local emulator of the Portal.io, Propal and Holm Security Partner Portal APIs" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.licenses="MIT"
# A directory the non-root user can write: the run file the health check reads.
COPY --chown=10001:10001 docker/run/ /run/vendor-emulator/
# The sandbox is kept in /data/state.json (EMULATOR_STATE_DIR): mount a named volume
# there to keep it across container recreation (`docker run -v emulator-data:/data …`).
COPY --chown=10001:10001 docker/data/ /data/
VOLUME ["/data"]
# Main listener, the three dedicated vendor listeners (Portal.io, Propal, Holm) and
# HTTPS on every vendor's real host name; the CA that signs its certificate is kept
# in /data/tls (its key mode 0600), so it is trusted once per volume.
ENV EMULATOR_BIND=0.0.0.0:8080 \
    EMULATOR_PORTALIO_BIND=0.0.0.0:8081 \
    EMULATOR_PROPAL_BIND=0.0.0.0:8082 \
    EMULATOR_HOLM_BIND=0.0.0.0:8083 \
    EMULATOR_TLS_BIND=0.0.0.0:8443 \
    EMULATOR_TLS_CA_DIR=/data/tls \
    EMULATOR_RUN_FILE=/run/vendor-emulator/listening.json \
    EMULATOR_STATE_DIR=/data \
    EMULATOR_LOG_FORMAT=json
EXPOSE 8080 8081 8082 8083 8443
USER 10001:10001
# The server writes its listening line to EMULATOR_RUN_FILE and /_emulator/health needs
# no admin token, so the check finds the server whatever flags the container got.
HEALTHCHECK --interval=2s --timeout=2s --start-period=1s --retries=3 CMD ["/vendor-emulator", "healthcheck"]
ENTRYPOINT ["/vendor-emulator"]

# --- a binary built on the host ------------------------------------------------
FROM image AS prebuilt
COPY target/docker/vendor-emulator /vendor-emulator

# --- the Compose example's client (see examples/compose.yaml) ------------------
FROM scratch AS compose-client
COPY target/docker/compose_client /compose_client
USER 10001:10001
ENTRYPOINT ["/compose_client"]

# --- from source: cargo-chef caches the dependencies in their own layer ----------
FROM rust:1-slim-bookworm AS chef
RUN cargo install cargo-chef --locked
WORKDIR /app

FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS builder
# Static and not position-independent: no relocation table to carry or apply at start (−0.45 MB);
# identical functions folded by the linker (−0.07 MB).
ENV RUSTFLAGS="-C target-feature=+crt-static -C relocation-model=static -C link-arg=-Wl,--icf=all"
COPY --from=planner /app/recipe.json recipe.json
RUN cargo chef cook --profile dist --locked --target x86_64-unknown-linux-gnu --recipe-path recipe.json
COPY . .
# Twice: a full build prints the OpenAPI documents it assembles from the routes, and the
# image's build embeds them (`prebuilt-openapi`) instead of the code that assembles them
# (1.8 MB). Only the emulator's own crate is built again.
RUN cargo build --profile dist --locked --target x86_64-unknown-linux-gnu --bin vendor-emulator \
    && target/x86_64-unknown-linux-gnu/dist/vendor-emulator openapi --bundle > /tmp/openapi-bundle.json
RUN VENDOR_EMULATOR_OPENAPI=/tmp/openapi-bundle.json \
    cargo build --profile dist --locked --target x86_64-unknown-linux-gnu --features prebuilt-openapi --bin vendor-emulator \
    && strip target/x86_64-unknown-linux-gnu/dist/vendor-emulator

# --- the default target ---------------------------------------------------------
FROM image AS runtime
COPY --from=builder /app/target/x86_64-unknown-linux-gnu/dist/vendor-emulator /vendor-emulator
