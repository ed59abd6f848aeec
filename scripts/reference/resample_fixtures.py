"""Freezes PyRadiomics' resampling (imageoperations.resampleImage, SimpleITK 2.5 ResampleImageFilter) of
reference cases into tests/fixtures/filters/resample.json: the new grid and every resampled voxel.

Usage: /path/to/refenv/bin/python scripts/reference/resample_fixtures.py   (from the repository root;
reads ../shared/reference/cases)
"""
import json

import numpy as np
import SimpleITK as sitk
from radiomics import imageoperations

ref = "../shared/reference/cases"
out = []
for case, spacing, interpolator in [
    ("breast1", [1, 1, 1], "sitkBSpline"),
    ("prostate_phantom", [1.2, 1.2, 2], "sitkBSpline"),
    ("brain2", [1, 1, 1], "sitkBSpline"),
    ("breast1", [0.5, 0.5, 0], "sitkLinear"),
    ("prostate_phantom", [1.7, 1.1, 2], "sitkNearestNeighbor"),
    ("ibsi1_ct_phantom", [9, 9, 9], "sitkBSpline"),
]:
    image = sitk.ReadImage(f"{ref}/{case}_image.nii.gz")
    mask = sitk.ReadImage(f"{ref}/{case}_label.nii.gz")
    ri, rm = imageoperations.resampleImage(image, mask, resampledPixelSpacing=spacing,
                                           interpolator=getattr(sitk, interpolator), padDistance=5, label=1)
    img = sitk.GetArrayFromImage(ri)
    msk = sitk.GetArrayFromImage(rm)
    out.append({
        "case": case, "spacing": spacing, "interpolator": interpolator, "pixel_type": ri.GetPixelIDTypeAsString(),
        "size": list(ri.GetSize()), "new_spacing": list(ri.GetSpacing()), "origin": list(ri.GetOrigin()),
        "direction": list(ri.GetDirection()),
        "image": img.ravel().tolist(), "mask": msk.astype(int).ravel().tolist(),
    })
    print(case, interpolator, ri.GetSize(), ri.GetPixelIDTypeAsString())

with open("tests/fixtures/filters/resample.json", "w") as f:
    json.dump({"generator": "scripts/reference/resample_fixtures.py", "cases": out}, f)
