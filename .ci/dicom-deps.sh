#!/usr/bin/env bash
# Packages the DICOM code and tests need; called from .ci/run before cargo.
# cmake builds CharLS (JPEG-LS) for dicom-pixeldata's `charls` feature; pydicom provides the bundled
# test files that the transfer-syntax parity test reads from its package directory (never copied).
set -euo pipefail
if ! command -v cmake >/dev/null; then
    apt-get update -qq
    apt-get install -y -qq cmake >/dev/null
fi
if ! python3 -c "import pydicom" 2>/dev/null; then
    python3 -m pip install --quiet "pydicom==3.0.2"
fi
