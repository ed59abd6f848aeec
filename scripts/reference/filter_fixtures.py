"""Freezes PyRadiomics' filtered images on small seeded volumes into tests/fixtures/filters/*.json,
so radscore's filters are tested against PyRadiomics 3.1 (PyWavelets, SimpleITK) without Python in CI.

Usage: /path/to/refenv/bin/python scripts/reference/filter_fixtures.py   (from the repository root)
"""
import json

import numpy as np
import SimpleITK as sitk
from radiomics import imageoperations

rng = np.random.RandomState(20261126)


def volume(shape, spacing):
    arr = rng.randint(-50, 400, size=shape).astype(np.int16)  # [z, y, x]
    img = sitk.GetImageFromArray(arr)
    img.SetSpacing(spacing)
    return arr, img


cases = []
for shape, spacing, settings in [
    ((5, 6, 7), (1.0, 1.0, 1.0), {"wavelet": "coif1"}),
    ((4, 9, 8), (0.8, 0.8, 2.5), {"wavelet": "haar", "start_level": 1, "level": 2}),
    ((6, 5, 5), (1.0, 1.0, 1.0), {"wavelet": "db3", "force2D": True, "force2Ddimension": 0}),
    ((7, 7, 6), (1.0, 1.0, 1.0), {"wavelet": "bior1.3"}),
]:
    arr, img = volume(shape, spacing)
    outputs = {}
    for out, name, _ in imageoperations.getWaveletImage(img, None, **settings):
        outputs[name] = sitk.GetArrayFromImage(out).astype(float).ravel().tolist()
    cases.append({"shape": list(shape), "settings": settings, "input": arr.astype(float).ravel().tolist(),
                  "outputs": outputs, "order": list(outputs)})

with open("tests/fixtures/filters/wavelet.json", "w") as f:
    json.dump({"generator": "scripts/reference/filter_fixtures.py", "pyradiomics": __import__("radiomics").__version__,
               "cases": cases}, f)
print("wrote", len(cases), "wavelet cases")
