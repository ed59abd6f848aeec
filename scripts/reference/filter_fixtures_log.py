"""Freezes PyRadiomics' LoG images (SimpleITK LaplacianRecursiveGaussianImageFilter) into
tests/fixtures/filters/log.json, so radscore's LoG is tested against PyRadiomics 3.1 / SimpleITK 2.5.7
without Python in CI.

Seeded cases store their input; the reference-case crop stores only where it was cut from
../shared/reference (never its voxels) and the sum of the crop as a check that the test cut the same block.

Usage: /path/to/refenv/bin/python scripts/reference/filter_fixtures_log.py   (from the repository root)
"""
import json

import numpy as np
import SimpleITK as sitk
import radiomics
from radiomics import imageoperations

rng = np.random.RandomState(20261127)


def run(img, sigmas):
    """PyRadiomics' getLoGImage outputs in its order, plus the sigmas it skipped (those not yielded)."""
    outputs = {}
    for out, name, _ in imageoperations.getLoGImage(img, None, sigma=sigmas):
        assert out.GetPixelID() == sitk.sitkFloat32, out.GetPixelIDTypeAsString()
        outputs[name] = sitk.GetArrayFromImage(out).astype(float).ravel().tolist()
    return outputs


cases = []
for shape, spacing, dtype, sigmas in [
    ((6, 7, 8), (1.0, 1.0, 1.0), np.int16, [1.0, 2, 0.5]),
    ((5, 9, 10), (0.8, 0.7, 2.5), np.float64, [1.0, 1.5, 3.0]),
    # z has 5 voxels of 1 mm: sigma 5 needs ceil(5/1) + 1 = 6, so it is skipped; 0 and -1 are not positive.
    ((5, 12, 11), (0.5, 0.5, 1.0), np.int16, [5.0, 0.0, -1.0, 2.0]),
    # fewer than 4 voxels along z: PyRadiomics yields no LoG image at all.
    ((3, 8, 8), (1.0, 1.0, 1.0), np.int16, [1.0]),
]:
    if dtype == np.int16:
        arr = rng.randint(-200, 1200, size=shape).astype(np.int16)
    else:
        arr = rng.normal(100.0, 40.0, size=shape)
    img = sitk.GetImageFromArray(arr)
    img.SetSpacing(spacing)
    outputs = run(img, sigmas)
    cases.append({"shape": list(shape), "spacing": list(spacing), "dtype": np.dtype(dtype).name, "sigma": sigmas,
                  "input": arr.astype(float).ravel().tolist(), "outputs": outputs, "order": list(outputs)})

# A block of brain1 (MR, int16, 0.78 x 0.78 x 6.5 mm) around the tumour.
image = sitk.ReadImage("../shared/reference/cases/brain1_image.nii.gz")
start, size = [170, 100, 10], [24, 24, 8]  # x, y, z
crop = sitk.RegionOfInterest(image, size, start)
crop_arr = sitk.GetArrayFromImage(crop)
sigmas = [1.0, 2.0, 3.0]
reference_crop = {"file": "cases/brain1_image.nii.gz", "start_xyz": start, "size_xyz": size,
                  "pixel_type": image.GetPixelIDTypeAsString(), "spacing": list(crop.GetSpacing()),
                  "input_sum": float(crop_arr.astype(float).sum()), "sigma": sigmas,
                  "outputs": run(crop, sigmas)}

with open("tests/fixtures/filters/log.json", "w") as f:
    json.dump({"generator": "scripts/reference/filter_fixtures_log.py", "pyradiomics": radiomics.__version__,
               "simpleitk": sitk.Version_VersionString(), "cases": cases, "reference_crop": reference_crop}, f)
print("wrote", len(cases), "LoG cases and a brain1 crop")
