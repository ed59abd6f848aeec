#!/usr/bin/env python3
"""Freeze PyRadiomics' GLCM and GLRLM values under non-default texture settings.

Writes tests/fixtures/texture_settings.json, read by tests/parity/texture.rs. Run from the crate
root with the reference environment (PyRadiomics 3.1, SimpleITK):

    /work/refenv/bin/python scripts/reference/texture_settings.py ../shared/reference

Each entry names a reference case (cases/<case>_image.nii.gz, label 1), the PyRadiomics settings
used (original image only, no resampling) and the resulting glcm/glrlm features.
"""
import json
import pathlib
import sys

import numpy
import radiomics
import SimpleITK as sitk
from radiomics import featureextractor

# (name, case, settings beyond binWidth 25 / label 1 / no resampling)
VARIANTS = [
    ("distances_1_2", "brain1", {"distances": [1, 2]}),
    ("asymmetrical_glcm", "brain1", {"symmetricalGLCM": False}),
    ("weighting_manhattan", "brain1", {"weightingNorm": "manhattan"}),
    ("weighting_euclidean", "brain1", {"weightingNorm": "euclidean"}),
    ("weighting_infinity", "brain1", {"weightingNorm": "infinity"}),
    ("weighting_none", "brain1", {"weightingNorm": "no_weighting"}),
    ("force2d_axial", "brain1", {"force2D": True, "force2Ddimension": 0}),
    ("force2d_coronal_distance_2", "brain1", {"force2D": True, "force2Ddimension": 1, "distances": [2]}),
    # Several hundred grey levels: where MCC's eigenvalue problem gets large.
    ("many_grey_levels", "lung2", {"binWidth": 4}),
]


def main(reference: pathlib.Path, out: pathlib.Path) -> None:
    entries = []
    for name, case, extra in VARIANTS:
        settings = {"binWidth": 25, "label": 1, "resampledPixelSpacing": None, **extra}
        extractor = featureextractor.RadiomicsFeatureExtractor(**settings)
        extractor.disableAllFeatures()
        extractor.enableFeatureClassByName("glcm")
        extractor.enableFeatureClassByName("glrlm")
        image = sitk.ReadImage(str(reference / "cases" / f"{case}_image.nii.gz"))
        mask = sitk.ReadImage(str(reference / "cases" / f"{case}_label.nii.gz"))
        result = extractor.execute(image, mask)
        features = {
            key: float(value)
            for key, value in result.items()
            if key.startswith(("original_glcm_", "original_glrlm_"))
        }
        entries.append({"name": name, "case": case, "settings": settings, "features": features})
        print(f"{name}: {len(features)} features", file=sys.stderr)
    meta = {
        "generator": "scripts/reference/texture_settings.py",
        "pyradiomics": radiomics.__version__,
        "numpy": numpy.__version__,
        "simpleitk": sitk.Version_VersionString(),
    }
    out.write_text(json.dumps({"meta": meta, "variants": entries}, indent=1) + "\n")


if __name__ == "__main__":
    root = pathlib.Path(__file__).resolve().parents[2]
    reference_dir = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else root / "../shared/reference"
    main(reference_dir, root / "tests/fixtures/texture_settings.json")
