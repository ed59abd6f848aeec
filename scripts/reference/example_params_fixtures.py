#!/usr/bin/env python3
"""Freeze PyRadiomics' features for each of its own example parameter files.

Writes tests/fixtures/pyradiomics/example_params.json, read by tests/parity/example_params.rs. Run
from the crate root with the reference environment (pyradiomics 3.1.4, numpy 1.26.4, SimpleITK
2.5.7, PyWavelets 1.9.0, scipy 1.17.1):

    /work/refenv/bin/python scripts/reference/example_params_fixtures.py ../shared/reference

Each file in config/radiomics/pyradiomics-examples/ (PyRadiomics' examples/exampleSettings/, copied
unchanged below an attribution header) is loaded by PyRadiomics itself and run on one small
reference case (breast1, label 1: 45×120×21 voxels, 143 in the region), so the test stays fast.
"""
import json
import pathlib
import sys

import numpy
import pywt
import radiomics
import SimpleITK as sitk
from radiomics import featureextractor

CASE = "breast1"
FILES = ["Params.yaml", "exampleCT.yaml", "exampleMR_3mm.yaml", "exampleMR_5mm.yaml", "exampleMR_NoResampling.yaml"]


def main(reference: pathlib.Path, examples: pathlib.Path, out: pathlib.Path) -> None:
    image = sitk.ReadImage(str(reference / "cases" / f"{CASE}_image.nii.gz"))
    mask = sitk.ReadImage(str(reference / "cases" / f"{CASE}_label.nii.gz"))
    entries = []
    for name in FILES:
        extractor = featureextractor.RadiomicsFeatureExtractor(str(examples / name))
        result = extractor.execute(image, mask)
        features = {k: float(v) for k, v in result.items() if not k.startswith("diagnostics_")}
        entries.append({"file": name, "case": CASE, "features": features})
        print(f"{name}: {len(features)} features", file=sys.stderr)
    meta = {
        "generator": "scripts/reference/example_params_fixtures.py",
        "pyradiomics": radiomics.__version__,
        "numpy": numpy.__version__,
        "pywavelets": pywt.__version__,
        "simpleitk": sitk.Version_VersionString(),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"meta": meta, "files": entries}, indent=1) + "\n")


if __name__ == "__main__":
    root = pathlib.Path(__file__).resolve().parents[2]
    reference_dir = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else root / "../shared/reference"
    main(
        reference_dir,
        root / "config/radiomics/pyradiomics-examples",
        root / "tests/fixtures/pyradiomics/example_params.json",
    )
