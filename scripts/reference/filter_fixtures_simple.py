"""Freezes PyRadiomics' Square, SquareRoot, Logarithm, Exponential and Gradient images into
tests/fixtures/filters/simple.json, so radscore's versions are tested against PyRadiomics 3.1 /
SimpleITK 2.5.7 without Python in CI.

Usage: /path/to/refenv/bin/python scripts/reference/filter_fixtures_simple.py   (from the repository root)
"""
import json

import numpy as np
import SimpleITK as sitk
import radiomics
from radiomics import imageoperations

rng = np.random.RandomState(20261128)

FILTERS = [
    ("square", imageoperations.getSquareImage, {}),
    ("squareroot", imageoperations.getSquareRootImage, {}),
    ("logarithm", imageoperations.getLogarithmImage, {}),
    ("exponential", imageoperations.getExponentialImage, {}),
    ("gradient", imageoperations.getGradientImage, {}),
    ("gradient-no-spacing", imageoperations.getGradientImage, {"gradientUseSpacing": False}),
]

cases = []
for shape, spacing, kind in [
    ((4, 5, 6), (0.7, 0.9, 2.5), "int16 with negatives"),
    ((3, 6, 5), (1.0, 1.0, 1.0), "positive int16"),
    ((5, 4, 3), (0.5, 1.5, 3.0), "float64"),
]:
    if kind == "int16 with negatives":
        arr = rng.randint(-300, 900, size=shape).astype(np.int16)
        arr.flat[0] = 0  # a zero voxel: square root and logarithm leave it at 0
    elif kind == "positive int16":
        arr = rng.randint(0, 60, size=shape).astype(np.int16)
    else:
        arr = rng.normal(0.0, 2.5, size=shape)
    img = sitk.GetImageFromArray(arr)
    img.SetSpacing(spacing)
    outputs, pixel_types = {}, {}
    for key, fn, settings in FILTERS:
        [(out, name, _)] = list(fn(img, None, **settings))
        outputs[key] = sitk.GetArrayFromImage(out).astype(float).ravel().tolist()
        pixel_types[key] = out.GetPixelIDTypeAsString()
        assert name == key.replace("-no-spacing", "")
    cases.append({"kind": kind, "shape": list(shape), "spacing": list(spacing), "input": arr.astype(float).ravel().tolist(),
                  "outputs": outputs, "pixel_types": pixel_types})

with open("tests/fixtures/filters/simple.json", "w") as f:
    json.dump({"generator": "scripts/reference/filter_fixtures_simple.py", "pyradiomics": radiomics.__version__,
               "simpleitk": sitk.Version_VersionString(), "cases": cases}, f)
print("wrote", len(cases), "cases")
