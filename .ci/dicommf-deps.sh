#!/usr/bin/env bash
# pydicom-data holds pydicom's larger test files (the enhanced MR emri_small* in every transfer
# syntax, eCT_Supplemental, JPEG lossless and JPEG 2000 MR/CT); the transfer-syntax listing and the
# multi-frame parity tests read them from the installed package (never copied). Needs pydicom
# (.ci/dicom-deps.sh).
set -euo pipefail
if ! python3 -c "import data_store" 2>/dev/null; then
    python3 -m pip install --quiet "pydicom-data==1.0.0"
fi
