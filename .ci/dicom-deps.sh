#!/usr/bin/env bash
# Packages the DICOM tests need; called from .ci/run. pydicom provides the bundled test files that
# the transfer-syntax parity test reads from its package directory (never copied into the repo).
# When JPEG-LS is enabled (dicom-pixeldata's `charls` feature), this script must also install cmake.
set -euo pipefail
if ! python3 -c "import pydicom" 2>/dev/null; then
    python3 -m pip install --quiet "pydicom==3.0.2"
fi
