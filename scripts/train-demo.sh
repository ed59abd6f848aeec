#!/usr/bin/env sh
# Regenerates the synthetic cohort and retrains models/tpi-demo.json with config/radiomics/tpi-demo.yaml.
# Deterministic: the same binary and params give the same artifact bytes. Usage: scripts/train-demo.sh [COHORT_DIR]
set -eu
cohort="${1:-target/synth-239-seed7}"
cargo build --release --bin radscore
./target/release/radscore synth-cohort --n 239 --seed 7 --out "$cohort"
./target/release/radscore train --cohort "$cohort" --params config/radiomics/tpi-demo.yaml \
  --name tpi-demo --version "${TPI_DEMO_VERSION:-1.0.0}" --out models/tpi-demo.json
