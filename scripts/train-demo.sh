#!/usr/bin/env sh
# Regenerates the synthetic cohort, retrains models/tpi-demo.json with config/radiomics/tpi-demo.yaml (clinical
# model: the five clinical variables of the study-style model, given explicitly rather than screened) and
# writes its evaluation (metrics.json, predictions.csv, report.html) to target/tpi-demo-evaluation, copying
# the report to models/tpi-demo.report.html. Deterministic: the same binary and params give the same
# artifact bytes. Usage: scripts/train-demo.sh [COHORT_DIR]
set -eu
cohort="${1:-target/synth-239-seed7}"
evaluation="target/tpi-demo-evaluation"
cargo build --release --bin radscore
./target/release/radscore synth-cohort --n 239 --seed 7 --out "$cohort"
./target/release/radscore train --cohort "$cohort" --params config/radiomics/tpi-demo.yaml \
  --clinical albi_grade,child_pugh_class,pvtt,extrahepatic_spread,largest_diameter \
  --name tpi-demo --version "${TPI_DEMO_VERSION:-1.0.0}" --out models/tpi-demo.json --report-dir "$evaluation"
cp "$evaluation/report.html" models/tpi-demo.report.html
