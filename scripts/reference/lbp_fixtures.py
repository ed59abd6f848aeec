#!/usr/bin/env python3
"""Freeze PyRadiomics' LBP2D / LBP3D features and its shape2D rules.

Writes tests/fixtures/pyradiomics/lbp.json, read by tests/parity/lbp.rs. Run from the crate root with
the reference environment:

    /work/refenv/bin/python scripts/reference/lbp_fixtures.py ../shared/reference

Environment (recorded in the fixture's meta): pyradiomics 3.1.4 (bhklab build), numpy 1.26.4,
SimpleITK 2.5.7, scipy 1.17.1, plus two packages installed for this script only:
scikit-image 0.26.0 (LBP2D: skimage.feature.local_binary_pattern) and trimesh 5.2.0 (LBP3D: the
icosphere of sample directions).

SciPy 1.17 no longer has `scipy.special.sph_harm(m, n, azimuth, polar)`, which PyRadiomics'
getLBP3DImage imports; without it PyRadiomics silently yields no LBP3D image. This script installs
the documented replacement, `sph_harm_y(n, m, polar, azimuth)` with the arguments swapped back, under
the old name before PyRadiomics runs. Checked against SciPy 1.14.1's own `sph_harm` on the icosphere
directions PyRadiomics uses (subdivisions 0–2, n ≤ 3): largest absolute difference 4.4e-16.

Everything else is PyRadiomics' own code, unmodified. Sections of the fixture:

- `lbp`: reference cases (label 1, no resampling) with LBP2D or LBP3D image types and their settings;
  features of firstorder, glcm and glszm on each derived image, by PyRadiomics name.
- `icosphere`: trimesh's icosphere vertices for a few (subdivision, radius) pairs, which radscore
  must reproduce bit for bit.
- `shape2d`: a synthetic 12×10×6 volume (values and masks defined below, rebuilt by the Rust test)
  with the outcome of enabling shape2D under several force2D settings: features, "skipped"
  (PyRadiomics logs a warning and computes nothing) or the error PyRadiomics raises.
"""
import json
import pathlib
import sys

import numpy
import scipy
import scipy.special

if not hasattr(scipy.special, "sph_harm"):
    scipy.special.sph_harm = lambda m, n, azimuth, polar: scipy.special.sph_harm_y(n, m, polar, azimuth)

import radiomics  # noqa: E402
import SimpleITK as sitk  # noqa: E402
import skimage  # noqa: E402
import trimesh  # noqa: E402
from radiomics import featureextractor  # noqa: E402

CLASSES = ("firstorder", "glcm", "glszm")

# (name, case, settings, image types with their custom settings)
LBP_VARIANTS = [
    ("lbp2d_uniform_axial", "breast1", {"force2D": True, "force2Ddimension": 0, "binWidth": 1}, {"LBP2D": {}}),
    (
        "lbp2d_default_r2_p12_coronal",
        "prostate_phantom",
        {"force2D": True, "force2Ddimension": 1, "binWidth": 64},
        {"LBP2D": {"lbp2DMethod": "default", "lbp2DRadius": 2, "lbp2DSamples": 12}},
    ),
    (
        "lbp2d_ror_sagittal",
        "breast1",
        {"force2D": True, "force2Ddimension": 2, "binWidth": 8},
        {"LBP2D": {"lbp2DMethod": "ror", "lbp2DRadius": 1.5}},
    ),
    (
        "lbp2d_var_axial",
        "prostate_phantom",
        {"force2D": True, "force2Ddimension": 0, "binWidth": 500},
        {"LBP2D": {"lbp2DMethod": "var"}},
    ),
    ("lbp3d_default", "breast1", {"binWidth": 0.5}, {"LBP3D": {}}),
    (
        "lbp3d_levels3_subdivision2",
        "prostate_phantom",
        {"binWidth": 0.5},
        {"LBP3D": {"lbp3DLevels": 3, "lbp3DIcosphereRadius": 1.5, "lbp3DIcosphereSubdivision": 2}},
    ),
]

ICOSPHERES = [(0, 1.0), (1, 1.0), (2, 1.5)]

SHAPE_SIZE = (6, 10, 12)  # numpy (z, y, x)


def synthetic_image() -> numpy.ndarray:
    """Values (z, y, x) -> 3x + 5y + 7z + (x*y*z mod 4), as int16."""
    z, y, x = numpy.indices(SHAPE_SIZE)
    return (3 * x + 5 * y + 7 * z + (x * y * z) % 4).astype(numpy.int16)


# Masks as numpy (z, y, x) slices of label 1 inside the synthetic volume.
SHAPE_MASKS = {
    "axial_plate": (slice(2, 3), slice(2, 7), slice(3, 9)),
    "axial_column": (slice(2, 3), slice(2, 7), slice(4, 5)),
    "thick_block": (slice(1, 4), slice(2, 7), slice(3, 9)),
    "coronal_plate": (slice(1, 5), slice(4, 5), slice(3, 9)),
    "sagittal_plate": (slice(1, 5), slice(2, 7), slice(6, 7)),
}

# (mask, settings) pairs; shape2D is enabled alone.
SHAPE_VARIANTS = [
    ("axial_plate", {"force2D": True, "force2Ddimension": 0}),
    ("axial_plate", {"force2D": False}),
    ("axial_column", {"force2D": True, "force2Ddimension": 0}),
    ("thick_block", {"force2D": True, "force2Ddimension": 0}),
    ("coronal_plate", {"force2D": True, "force2Ddimension": 1}),
    ("thick_block", {"force2D": True, "force2Ddimension": 1}),
    ("sagittal_plate", {"force2D": True, "force2Ddimension": 2}),
    ("thick_block", {"force2D": True, "force2Ddimension": 2}),
]


def lbp_entries(reference: pathlib.Path) -> list:
    entries = []
    for name, case, settings, image_types in LBP_VARIANTS:
        settings = {"label": 1, "resampledPixelSpacing": None, **settings}
        extractor = featureextractor.RadiomicsFeatureExtractor(**settings)
        extractor.disableAllFeatures()
        for feature_class in CLASSES:
            extractor.enableFeatureClassByName(feature_class)
        extractor.disableAllImageTypes()
        for image_type, custom in image_types.items():
            extractor.enableImageTypeByName(image_type, customArgs=custom)
        image = sitk.ReadImage(str(reference / "cases" / f"{case}_image.nii.gz"))
        mask = sitk.ReadImage(str(reference / "cases" / f"{case}_label.nii.gz"))
        result = extractor.execute(image, mask)
        features = {k: float(v) for k, v in result.items() if not k.startswith("diagnostics_")}
        assert features, f"{name}: PyRadiomics computed nothing (is an LBP dependency missing?)"
        entries.append(
            {"name": name, "case": case, "settings": settings, "image_types": image_types, "features": features}
        )
        print(f"{name}: {len(features)} features", file=sys.stderr)
    return entries


def icosphere_entries() -> list:
    return [
        {
            "subdivisions": subdivisions,
            "radius": radius,
            "vertices": numpy.asarray(trimesh.creation.icosphere(subdivisions, radius).vertices).tolist(),
        }
        for subdivisions, radius in ICOSPHERES
    ]


def shape2d_entries() -> list:
    image_array = synthetic_image()
    image = sitk.GetImageFromArray(image_array)
    image.SetSpacing((0.8, 0.7, 2.5))
    entries = []
    for mask_name, settings in SHAPE_VARIANTS:
        mask_array = numpy.zeros(SHAPE_SIZE, dtype=numpy.int16)
        mask_array[SHAPE_MASKS[mask_name]] = 1
        mask = sitk.GetImageFromArray(mask_array)
        mask.CopyInformation(image)
        extractor = featureextractor.RadiomicsFeatureExtractor(label=1, minimumROIDimensions=1, **settings)
        extractor.disableAllFeatures()
        extractor.enableFeatureClassByName("shape2D")
        entry = {"mask": mask_name, "settings": settings}
        try:
            result = extractor.execute(image, mask)
            features = {k: float(v) for k, v in result.items() if k.startswith("original_shape2D_")}
            entry["outcome"] = "features" if features else "skipped"
            entry["features"] = features
        except ValueError as error:
            entry["outcome"] = "error"
            entry["error"] = str(error)
        entries.append(entry)
        print(f"shape2D {mask_name} {settings}: {entry['outcome']}", file=sys.stderr)
    return entries


def main(reference: pathlib.Path, out: pathlib.Path) -> None:
    meta = {
        "generator": "scripts/reference/lbp_fixtures.py",
        "pyradiomics": radiomics.__version__,
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "simpleitk": sitk.Version_VersionString(),
        "scikit-image": skimage.__version__,
        "trimesh": trimesh.__version__,
        "shape2d_image": "int16 (z, y, x) -> 3x + 5y + 7z + (x*y*z mod 4), size x12 y10 z6, spacing (0.8, 0.7, 2.5)",
        "shape2d_masks": {k: [[s.start, s.stop] for s in v] for k, v in SHAPE_MASKS.items()},
    }
    document = {
        "meta": meta,
        "lbp": lbp_entries(reference),
        "icosphere": icosphere_entries(),
        "shape2d": shape2d_entries(),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(document, indent=1) + "\n")


if __name__ == "__main__":
    root = pathlib.Path(__file__).resolve().parents[2]
    reference_dir = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else root / "../shared/reference"
    main(reference_dir, root / "tests/fixtures/pyradiomics/lbp.json")
