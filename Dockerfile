# syntax=docker/dockerfile:1
# radscore REST service. Build: docker build -t radscore .   Run: docker run -p 8080:8080 radscore
# The shipped demo model (models/) is for research use only.

FROM rust:1.95-slim-bookworm AS builder
WORKDIR /src
# Dependencies first, so editing the sources does not rebuild them (the layer is cached on
# Cargo.toml/Cargo.lock alone).
COPY Cargo.toml Cargo.lock ./
RUN mkdir -p src && echo 'fn main() {}' > src/main.rs && echo '' > src/lib.rs \
    && cargo build --release --locked \
    && rm -rf src target/release/deps/radscore* target/release/radscore*
COPY src ./src
COPY migrations ./migrations
COPY config ./config
COPY openapi.yaml ./
RUN cargo build --release --locked --bin radscore

FROM debian:bookworm-slim AS runtime
# curl only for the HEALTHCHECK; ca-certificates for TLS to a managed PostgreSQL.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system radscore \
    && useradd --system --gid radscore --home-dir /app --shell /usr/sbin/nologin radscore \
    && mkdir -p /app/data \
    && chown radscore:radscore /app/data
WORKDIR /app
COPY --from=builder /src/target/release/radscore /usr/local/bin/radscore
COPY config ./config
COPY models ./models
USER radscore
ENV RADSCORE_BIND=0.0.0.0:8080 \
    RADSCORE_DATABASE_URL=sqlite:///app/data/radscore.db \
    RADSCORE_MODEL_DIR=/app/models
VOLUME ["/app/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD curl --fail --silent --show-error http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["radscore"]
CMD ["serve"]
