"""Freeze pydicom's decoded stored values of its greyscale test files.

Writes tests/fixtures/dicom/pydicom_stored_values.json: for every single-sample greyscale image (MR, CT and the codec samples without a modality) in
pydicom's data/test_files ("source": "pydicom") and, from the pydicom-data package (pydicom's larger test
files, among them the enhanced MR emri_small* in every transfer syntax), every such MR, CT, NM or OT
image ("source": "pydicom-data"; radiographs and ultrasound are left out), the transfer syntax, the array shape and the SHA-256 of the stored values
(pixel_array as little-endian int64, frames × rows × columns), which the Rust parity test compares
against its own decoding of the same files read from the installed pydicom package.

Packages beyond the reference env: pydicom-data 1.0.0.
Run with the reference env: /work/refenv/bin/python scripts/reference/dicom_pydicom_values.py
"""

import hashlib
import json
import os
import sys

import numpy as np
import pydicom

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "dicom", "pydicom_stored_values.json")


# pydicom-data images that are volumes' slices or codec samples, not radiographs or ultrasound.
DATA_MODALITIES = ("MR", "CT", "NM", "OT")


def main() -> int:
    import data_store

    folders = [
        ("pydicom", os.path.join(os.path.dirname(pydicom.__file__), "data", "test_files")),
        ("pydicom-data", os.path.join(os.path.dirname(data_store.__file__), "data")),
    ]
    cases = {}
    for source, folder in folders:
        add_cases(source, folder, cases)
    meta = {"pydicom": pydicom.__version__, "numpy": np.__version__, "pydicom-data": "1.0.0"}
    with open(OUT, "w") as f:
        json.dump({"meta": meta, "files": cases}, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"{len(cases)} files -> {OUT}")
    return 0


def add_cases(source, folder, cases):
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".dcm"):
            continue
        try:
            ds = pydicom.dcmread(os.path.join(folder, name))
        except Exception as exc:  # unreadable header: not an image case
            print(f"skip {name}: {exc}", file=sys.stderr)
            continue
        grey = str(ds.get("PhotometricInterpretation", "")).startswith("MONOCHROME")
        if "PixelData" not in ds or ds.get("SamplesPerPixel", 1) != 1 or not grey:
            continue
        if source == "pydicom-data" and str(ds.get("Modality", "")) not in DATA_MODALITIES:
            continue
        try:
            arr = ds.pixel_array
        except Exception as exc:
            print(f"pydicom cannot decode {name}: {exc}", file=sys.stderr)
            continue
        frames = int(ds.get("NumberOfFrames", 1) or 1)
        values = np.ascontiguousarray(arr.reshape(frames, ds.Rows, ds.Columns).astype("<i8"))
        cases[name] = {
            "source": source,
            "modality": str(ds.get("Modality", "")),
            "transfer_syntax": str(ds.file_meta.TransferSyntaxUID),
            "transfer_syntax_name": ds.file_meta.TransferSyntaxUID.name,
            "shape": [frames, int(ds.Rows), int(ds.Columns)],
            "sha256": hashlib.sha256(values.tobytes()).hexdigest(),
            "min": int(values.min()),
            "max": int(values.max()),
        }


if __name__ == "__main__":
    sys.exit(main())
