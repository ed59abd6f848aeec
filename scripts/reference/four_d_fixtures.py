"""Small 4-D NIfTI and NRRD series and the 3-D file of each of their volumes.

Writes into tests/fixtures/four_d/:
- series.nii.gz: a 5 x 4 x 3 x 3 (x, y, z, t) int16 NIfTI-1 with an oblique sform/qform, written by
  nibabel; series_t{k}.nii.gz is nibabel's own 3-D slice [..., k] with the same affine.
- series_last.nrrd: the same voxels as an NRRD (pynrrd) with the volume axis last
  (space directions "(..) (..) (..) none", kinds domain domain domain list), gzip encoding;
  series_first.nrrd: volume axis first, interleaved voxel by voxel (kinds list domain domain domain,
  space directions "none (..) (..) (..)"), raw encoding; series_t{k}.nrrd is volume k as a 3-D NRRD.

The parity test reads volume k of each 4-D file and compares it with the 3-D file k (geometry and
voxels), and checks the errors without a volume index and out of range.
Packages: nibabel 5.4.2 and pynrrd 1.1.3 (both in the reference env).
Run: /work/refenv/bin/python scripts/reference/four_d_fixtures.py
"""

import os

import nibabel as nib
import nrrd
import numpy as np

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "four_d")


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(3)
    data = rng.integers(-500, 1500, size=(5, 4, 3, 3), dtype=np.int16)
    angle = 0.4
    rotation = np.array(
        [[np.cos(angle), -np.sin(angle), 0.0], [np.sin(angle), np.cos(angle), 0.0], [0.0, 0.0, 1.0]]
    )
    spacing = np.array([0.8, 1.1, 2.5])
    affine = np.eye(4)
    affine[:3, :3] = rotation * spacing
    affine[:3, 3] = [12.5, -40.0, 7.25]
    series = nib.Nifti1Image(data, affine)
    series.header.set_xyzt_units("mm", "sec")
    series.header["pixdim"][4] = 3.0
    nib.save(series, os.path.join(OUT, "series.nii.gz"))
    for k in range(data.shape[3]):
        nib.save(series.slicer[..., k], os.path.join(OUT, f"series_t{k}.nii.gz"))

    # NRRD in LPS: negate the first two rows of the RAS affine.
    lps = affine[:3, :3] * np.array([[-1.0], [-1.0], [1.0]])
    origin = affine[:3, 3] * np.array([-1.0, -1.0, 1.0])
    directions = lps.T  # one row per axis: the world vector of one index step
    none = np.full((1, 3), np.nan)
    base = {"space": "left-posterior-superior", "space origin": origin}
    nrrd.write(
        os.path.join(OUT, "series_last.nrrd"),
        data,
        {**base, "space directions": np.vstack([directions, none]), "kinds": ["domain"] * 3 + ["list"], "encoding": "gzip"},
        index_order="F",
    )
    nrrd.write(
        os.path.join(OUT, "series_first.nrrd"),
        np.ascontiguousarray(np.moveaxis(data, 3, 0)),
        {**base, "space directions": np.vstack([none, directions]), "kinds": ["list"] + ["domain"] * 3, "encoding": "raw"},
        index_order="F",
    )
    for k in range(data.shape[3]):
        nrrd.write(
            os.path.join(OUT, f"series_t{k}.nrrd"),
            np.ascontiguousarray(data[..., k]),
            {**base, "space directions": directions, "kinds": ["domain"] * 3, "encoding": "raw"},
            index_order="F",
        )
    for name in sorted(os.listdir(OUT)):
        print(name, os.path.getsize(os.path.join(OUT, name)))


if __name__ == "__main__":
    main()
