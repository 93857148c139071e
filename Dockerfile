# syntax=docker/dockerfile:1
#
# vendor-emulator image: a cargo-chef build (dependencies are compiled in their
# own cached layer and rebuilt only when Cargo.toml or Cargo.lock change), then
# a slim runtime that runs the one binary as a non-root user on 0.0.0.0:8080.
#
#   docker build -t vendor-emulator .
#   docker run --rm -p 8080:8080 vendor-emulator

# --- toolchain + cargo-chef -------------------------------------------------
FROM rust:1-slim-bookworm AS chef
RUN cargo install cargo-chef --locked
WORKDIR /app

# --- the dependency recipe (Cargo.toml, Cargo.lock, target list) ------------
FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

# --- build: dependencies first (cached), then the crate ----------------------
FROM chef AS builder
COPY --from=planner /app/recipe.json recipe.json
RUN cargo chef cook --release --locked --recipe-path recipe.json
COPY . .
RUN cargo build --release --locked --bin vendor-emulator \
    && cp target/release/vendor-emulator /usr/local/bin/vendor-emulator

# --- runtime -----------------------------------------------------------------
FROM debian:bookworm-slim AS runtime
RUN groupadd --system --gid 10001 emulator \
    && useradd --system --uid 10001 --gid emulator --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin emulator
COPY --from=builder /usr/local/bin/vendor-emulator /usr/local/bin/vendor-emulator
RUN mkdir -p /data && chown emulator:emulator /data
USER emulator:emulator
# The sandbox is kept in /data/state.json; mount a named volume there to keep it
# across container recreation (`docker run -v emulator-data:/data …`, see the README).
ENV EMULATOR_BIND=0.0.0.0:8080 \
    EMULATOR_RUN_FILE=/tmp/vendor-emulator.json \
    EMULATOR_STATE_DIR=/data
VOLUME ["/data"]
EXPOSE 8080
# The server writes its listening line to EMULATOR_RUN_FILE, and /_emulator/health
# needs no admin token, so `vendor-emulator healthcheck` finds the server whatever
# flags the container was started with (`docker run IMAGE --bind … --admin-token …`);
# the image needs no curl.
HEALTHCHECK --interval=10s --timeout=6s --start-period=2s --retries=3 CMD ["vendor-emulator", "healthcheck"]
ENTRYPOINT ["vendor-emulator"]
