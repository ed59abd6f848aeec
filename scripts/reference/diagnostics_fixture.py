#!/usr/bin/env python3
"""Freeze PyRadiomics' diagnostics (`additionalInfo`) and its batch command line's CSV layout.

Writes tests/fixtures/batch/diagnostics.json, read by tests/parity/diagnostics.rs. Run from the
crate root with the reference environment (PyRadiomics 3.1, SimpleITK, numpy):

    /work/refenv/bin/python scripts/reference/diagnostics_fixture.py ../shared/reference

`cases`: for each variant, the params YAML given to PyRadiomics (firstorder only: diagnostics do not
depend on the feature classes, and debug-build tests stay fast), the label passed to `execute`, and
every `diagnostics_*` entry, in PyRadiomics' order, as `[key, {"value": <JSON>, "text": <str()>}]`. `text` is what PyRadiomics'
CSV output holds (`csv.DictWriter` calls `str()`), with numpy scalars inside tuples converted to
Python numbers first: numpy ≥ 2 would print `np.float64(1.5)` there, numpy < 2 (the shared
reference's 1.26) prints `1.5`, and radscore writes the latter.

`commandline`: PyRadiomics' own batch command line (`radiomics.scripts.PyRadiomicsCommandLine`,
`--format csv`) run on a CSV in a temporary folder whose Image/Mask paths are relative to that CSV
and which carries extra columns; records its input columns, its output columns before the first
diagnostics/feature column, and each output row's leading cells with the temporary folder replaced
by `<tmp>` (the CSV is `<tmp>/sub/cases.csv`, the images `<tmp>/<case>_{image,label}.nii.gz`,
symbolic links to the reference cases; PyRadiomics resolves relative paths against the CSV's
folder and writes them absolute and normalised), plus `original_firstorder_Mean`.
"""
import csv
import io
import json
import os
import pathlib
import sys
import tempfile

import numpy
import radiomics
from radiomics import featureextractor
from radiomics.scripts import PyRadiomicsCommandLine

FIRSTORDER_ONLY = "imageType: {Original: {}}\nfeatureClass: {firstorder: [Mean]}\n"

# (name, case, label passed to execute or None, setting section as YAML flow mapping)
VARIANTS = [
    ("breast1_original", "breast1", None, "{label: 1, binWidth: 25, geometryTolerance: 1.0e-6, additionalInfo: true}"),
    (
        "breast1_resampled",
        "breast1",
        None,
        "{binWidth: 25, resampledPixelSpacing: [1, 1, 1], interpolator: sitkBSpline, padDistance: 5}",
    ),
    (
        "prostate_label8_resampled_keep_z",
        "prostate_phantom",
        8,
        "{binWidth: 10, resampledPixelSpacing: [1.0, 1.0, 0], interpolator: sitkLinear, normalize: false}",
    ),
    # A float32 CT image of 2.4 M voxels (hash of float bytes; numpy's blocked pairwise mean).
    ("ibsi_ct_phantom_original", "ibsi1_ct_phantom", None, "{binWidth: 25}"),
]


def plain(value):
    """numpy scalars and tuples → Python numbers and lists (JSON), recursively."""
    if isinstance(value, (tuple, list)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, numpy.generic):
        return value.item()
    return value


def text(value):
    """PyRadiomics' CSV text: str(), with numpy scalars as Python numbers (numpy < 2 form)."""
    if isinstance(value, tuple):
        return str(tuple(plain(v) for v in value))
    return str(plain(value))


def diagnostics_of(reference, case, label, setting):
    params = FIRSTORDER_ONLY + "setting: " + setting + "\n"
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        f.write(params)
    try:
        extractor = featureextractor.RadiomicsFeatureExtractor(f.name)
    finally:
        os.unlink(f.name)
    extractor.settings["additionalInfo"] = True
    result = extractor.execute(
        str(reference / f"cases/{case}_image.nii.gz"), str(reference / f"cases/{case}_label.nii.gz"), label=label
    )
    # A list of [key, entry] pairs: JSON readers need not keep an object's key order.
    diagnostics = [
        [k, {"value": plain(v), "text": text(v)}] for k, v in result.items() if k.startswith("diagnostics_")
    ]
    return params, diagnostics


def commandline(reference):
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        (tmp / "sub").mkdir()
        for case in ("breast1", "ibsi1_digital_phantom"):
            for kind in ("image", "label"):
                os.symlink(reference / f"cases/{case}_{kind}.nii.gz", tmp / f"{case}_{kind}.nii.gz")
        columns = ["Patient", "Image", "Mask", "Label", "Site"]
        rows = [
            ["p1", "../breast1_image.nii.gz", "../breast1_label.nii.gz", "1", "north"],
            ["p2", "./../ibsi1_digital_phantom_image.nii.gz", "../ibsi1_digital_phantom_label.nii.gz", "1", "south"],
        ]
        batch = tmp / "sub" / "cases.csv"
        with open(batch, "w", newline="") as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow(columns)
            writer.writerows(rows)
        params = tmp / "params.yaml"
        params.write_text(FIRSTORDER_ONLY + "setting: {binWidth: 25}\n")
        out = tmp / "out.csv"
        code = PyRadiomicsCommandLine([str(batch), "--param", str(params), "--format", "csv", "--out", str(out)]).run()
        with open(out) as f:
            reader = csv.DictReader(f)
            header = reader.fieldnames
            out_rows = list(reader)
        prefix = []
        for name in header:
            if name.startswith("diagnostics_") or name.startswith("original_"):
                break
            prefix.append(name)
        root = str(tmp)
        return {
            "exit_code": code,
            "input_columns": columns,
            "input_rows": rows,
            "output_leading_columns": prefix,
            "output_rows": [
                {k: r[k].replace(root, "<tmp>") for k in prefix} | {"original_firstorder_Mean": r["original_firstorder_Mean"]}
                for r in out_rows
            ],
        }


def main(reference: pathlib.Path, out: pathlib.Path) -> None:
    cases = []
    for name, case, label, setting in VARIANTS:
        params, diagnostics = diagnostics_of(reference, case, label, setting)
        cases.append({"name": name, "case": case, "label": label, "params": params, "diagnostics": diagnostics})
    fixture = {
        "generator": "scripts/reference/diagnostics_fixture.py",
        "pyradiomics": radiomics.__version__,
        "numpy": numpy.__version__,
        "cases": cases,
        "commandline": commandline(reference),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(fixture, indent=1) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main(pathlib.Path(sys.argv[1]).resolve(), pathlib.Path("tests/fixtures/batch/diagnostics.json"))
