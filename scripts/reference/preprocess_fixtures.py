"""Freeze PyRadiomics' features under the preprocessing settings: normalize, normalizeScale,
removeOutliers, resegmentRange/resegmentMode/resegmentShape, minimumROISize, correctMask and a
resampledPixelSpacing equal to the image's (PyRadiomics then only crops).

For each parameter file tests/fixtures/params/<setting>.yaml below, PyRadiomics
(RadiomicsFeatureExtractor.execute, which runs loadImage → checkMask → resegmentMask → shape and
features in its own order) extracts every feature on a few fast reference cases from
../shared/reference/cases and the result is written to tests/fixtures/pyradiomics/<setting>.json,
read by tests/parity/preprocess.rs.

correctMask needs a mask on another grid than its image. The reference masks share their image's
grid, so this script derives masks from them: the derived mask's voxel (i, j, k) is the reference
mask's voxel start + step·(i, j, k), with the size and geometry recorded in the fixture
(`mask_transform`), so the Rust test rebuilds the identical mask from the same reference file.

`errors` records inputs PyRadiomics refuses, with its message: the Rust test asserts radscore refuses
them too, naming the setting.

Run from the crate root with the reference environment (no extra packages):
    /work/refenv/bin/python scripts/reference/preprocess_fixtures.py
It first checks that this PyRadiomics reproduces the stored setting (a) values (so the environment
is comparable to the 3.1.0 reference).
"""
import json
import math
import pathlib
import sys

import numpy as np
import radiomics
import SimpleITK as sitk
from radiomics import featureextractor

ROOT = pathlib.Path(__file__).resolve().parents[2]
REFERENCE = ROOT / ".." / "shared" / "reference"
PARAMS = ROOT / "tests" / "fixtures" / "params"
OUT = ROOT / "tests" / "fixtures" / "pyradiomics"

# Mask transforms: start/step/size in (x, y, z) voxels of the reference mask, plus where the new
# grid's voxel 0 lies (a continuous index of the reference mask) and the spacing factor.
SHIFTED = {"start": [0, 0, 0], "step": [1, 1, 1], "shift_mm": [0.4, -0.5, 1.5]}
CROPPED = {"crop_margin": 2}
COARSE_XY = {"start": [0, 0, 0], "step": [2, 2, 1], "corner_index": [0.75, 0.75, 0.0]}
OUTSIDE = {"start": [0, 0, 0], "step": [1, 1, 1], "shift_mm": [0.0, 0.0, 500.0]}
WITHIN_MM_BUT_BEYOND_SPACING_SCALED_TOLERANCE = {"start": [0, 0, 0], "step": [1, 1, 1], "shift_mm": [9e-7, 0.0, 0.0]}

SETTINGS = {
    "c_normalize_resegment": [("brain1", None), ("breast1", None), ("prostate_phantom", None)],
    "d_resegment_sigma": [("brain1", None), ("breast1", None), ("prostate_phantom", None)],
    "f_resegment_relative": [("brain1", None), ("breast1", None), ("prostate_phantom", None)],
    "e_correct_mask": [("brain1", COARSE_XY), ("breast1", SHIFTED), ("prostate_phantom", CROPPED)],
    "g_resample_unchanged_spacing": [("brain1", None), ("breast1", None), ("prostate_phantom", None)],
}

# (name, case, params file, setting overrides, mask transform): inputs PyRadiomics refuses.
ERRORS = [
    ("resegmentation_leaves_one_voxel_or_none", "prostate_phantom", "f_resegment_relative",
     {"resegmentRange": [1.01]}, None),
    ("resegmentation_leaves_fewer_than_minimum_roi_size", "brain1", "f_resegment_relative",
     {"resegmentRange": [0.95]}, None),
    ("resegment_range_with_three_values", "breast1", "f_resegment_relative",
     {"resegmentRange": [0.1, 0.2, 0.3]}, None),
    ("corrected_mask_roi_outside_the_image", "breast1", "e_correct_mask", {}, OUTSIDE),
    ("mask_off_grid_without_correct_mask", "brain1", "e_correct_mask", {"correctMask": False},
     WITHIN_MM_BUT_BEYOND_SPACING_SCALED_TOLERANCE),
]


def read_case(case):
    image = sitk.ReadImage(str(REFERENCE / "cases" / f"{case}_image.nii.gz"))
    mask = sitk.ReadImage(str(REFERENCE / "cases" / f"{case}_label.nii.gz"))
    return image, mask


def transformed_mask(mask, transform):
    """The derived mask and the exact transform record (start, step, size, origin, spacing, direction)."""
    arr = sitk.GetArrayFromImage(mask)  # [z, y, x]
    size_xyz = list(mask.GetSize())
    if "crop_margin" in transform:
        z, y, x = np.nonzero(arr == 1)
        lo = [int(max(v.min() - transform["crop_margin"], 0)) for v in (x, y, z)]
        hi = [int(min(v.max() + transform["crop_margin"], n - 1)) for v, n in zip((x, y, z), size_xyz)]
        start, step = lo, [1, 1, 1]
        size = [h - l + 1 for l, h in zip(lo, hi)]
        corner = [float(v) for v in start]
    else:
        start, step = transform["start"], transform["step"]
        size = [len(range(s, n, st)) for s, n, st in zip(start, size_xyz, step)]
        corner = transform.get("corner_index", [float(v) for v in start])
    sub = arr[start[2]::step[2], start[1]::step[1], start[0]::step[0]][: size[2], : size[1], : size[0]]
    new = sitk.GetImageFromArray(np.ascontiguousarray(sub))
    spacing = [s * st for s, st in zip(mask.GetSpacing(), step)]
    origin = list(mask.TransformContinuousIndexToPhysicalPoint(corner))
    origin = [o + d for o, d in zip(origin, transform.get("shift_mm", [0.0, 0.0, 0.0]))]
    new.SetSpacing(spacing)
    new.SetOrigin(origin)
    new.SetDirection(mask.GetDirection())
    record = {"start": start, "step": step, "size": size, "origin": origin, "spacing": spacing,
              "direction": list(mask.GetDirection())}
    return new, record


def extract(case, setting, overrides=None, transform=None):
    extractor = featureextractor.RadiomicsFeatureExtractor(str(PARAMS / f"{setting}.yaml"))
    extractor.settings.update(overrides or {})
    extractor.settings["additionalInfo"] = False
    image, mask = read_case(case)
    record = None
    if transform is not None:
        mask, record = transformed_mask(mask, transform)
    result = extractor.execute(image, mask)
    features = {k: float(v) for k, v in result.items() if not k.startswith("diagnostics_")}
    return features, record


def check_setting_a():
    for case in ["brain1", "breast1", "prostate_phantom"]:
        stored = json.loads((REFERENCE / "pyradiomics" / "a_original" / f"{case}.json").read_text())["features"]
        extractor = featureextractor.RadiomicsFeatureExtractor(str(REFERENCE / "params" / "params_a_original.yaml"))
        for name, value in extractor.execute(*[str(REFERENCE / "cases" / f"{case}_{p}.nii.gz")
                                              for p in ("image", "label")]).items():
            if name.startswith("diagnostics_"):
                continue
            if not math.isclose(float(value), stored[name], rel_tol=1e-12, abs_tol=1e-15):
                sys.exit(f"{case} {name}: {value} here vs {stored[name]} in the reference; environment differs")


def main():
    radiomics.setVerbosity(40)
    check_setting_a()
    for setting, cases in SETTINGS.items():
        fixture = {
            "generator": "scripts/reference/preprocess_fixtures.py",
            "pyradiomics": radiomics.__version__,
            "simpleitk": sitk.Version_VersionString(),
            "params": f"tests/fixtures/params/{setting}.yaml",
            "cases": {},
        }
        for case, transform in cases:
            features, record = extract(case, setting, transform=transform)
            fixture["cases"][case] = {"mask_transform": record, "features": features}
            print(setting, case, len(features))
        (OUT / f"{setting}.json").write_text(json.dumps(fixture, indent=1, sort_keys=True) + "\n")
    errors = []
    for name, case, setting, overrides, transform in ERRORS:
        try:
            extract(case, setting, overrides, transform)
        except ValueError as e:
            message = str(e)
        else:
            sys.exit(f"{name}: PyRadiomics did not refuse it")
        _, record = transformed_mask(read_case(case)[1], transform) if transform else (None, None)
        errors.append({"name": name, "case": case, "params": f"tests/fixtures/params/{setting}.yaml",
                       "overrides": overrides, "mask_transform": record, "pyradiomics_error": message})
        print(name, "->", message.splitlines()[0])
    (OUT / "preprocess_errors.json").write_text(json.dumps({
        "generator": "scripts/reference/preprocess_fixtures.py",
        "pyradiomics": radiomics.__version__,
        "errors": errors,
    }, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
