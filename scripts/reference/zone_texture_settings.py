"""Freeze PyRadiomics' GLSZM, GLDM and NGTDM values under non-default texture settings.

Setting (a) in ../shared/reference only uses gldm_a 0, distances [1] and 3-D neighbourhoods, so
this records what PyRadiomics computes with gldm_a > 0, distances [1, 2] and force2D (axial and
coronal) on two reference cases, for tests/parity/zone_texture.rs.

Run from the crate root with the reference environment:
    /work/refenv/bin/python scripts/reference/zone_texture_settings.py
It first checks that this PyRadiomics reproduces the stored setting (a) values for these classes
(so the environment is comparable to the 3.1.0 reference), then writes
tests/fixtures/zone_texture_settings.json.
"""
import json
import math
import pathlib
import sys

import radiomics
from radiomics import featureextractor

ROOT = pathlib.Path(__file__).resolve().parents[2]
REFERENCE = ROOT / ".." / "shared" / "reference"
OUT = ROOT / "tests" / "fixtures" / "zone_texture_settings.json"
CASES = ["breast1", "brain2"]
CLASSES = ["glszm", "gldm", "ngtdm"]
BASE = {"label": 1, "binWidth": 25, "resampledPixelSpacing": None, "normalize": False,
        "correctMask": False, "geometryTolerance": 1e-6}
CONFIGS = {
    "alpha1_distances12": {"binWidth": 10, "gldm_a": 1, "distances": [1, 2]},
    "force2d_axial": {"binWidth": 10, "gldm_a": 2, "distances": [1, 2], "force2D": True, "force2Ddimension": 0},
    "force2d_coronal": {"binWidth": 10, "distances": [1], "force2D": True, "force2Ddimension": 1},
}


def extract(case, settings):
    extractor = featureextractor.RadiomicsFeatureExtractor(**settings)
    extractor.disableAllFeatures()
    for cls in CLASSES:
        extractor.enableFeatureClassByName(cls)
    image = REFERENCE / "cases" / f"{case}_image.nii.gz"
    mask = REFERENCE / "cases" / f"{case}_label.nii.gz"
    result = extractor.execute(str(image), str(mask))
    return {k: float(v) for k, v in result.items() if any(k.startswith(f"original_{c}_") for c in CLASSES)}


def check_setting_a():
    for case in CASES:
        stored = json.loads((REFERENCE / "pyradiomics" / "a_original" / f"{case}.json").read_text())["features"]
        for name, value in extract(case, dict(BASE)).items():
            if not math.isclose(value, stored[name], rel_tol=1e-12, abs_tol=1e-15):
                sys.exit(f"{case} {name}: {value} here vs {stored[name]} in the reference; environment differs")


def main():
    radiomics.setVerbosity(40)
    check_setting_a()
    fixture = {
        "generator": "scripts/reference/zone_texture_settings.py",
        "pyradiomics": radiomics.__version__,
        "cases": CASES,
        "configs": {},
    }
    for name, overrides in CONFIGS.items():
        settings = dict(BASE, **overrides)
        fixture["configs"][name] = {
            "settings": overrides,
            "features": {case: extract(case, settings) for case in CASES},
        }
    OUT.write_text(json.dumps(fixture, indent=1, sort_keys=True) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
