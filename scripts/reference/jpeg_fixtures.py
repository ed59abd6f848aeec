"""Freeze libjpeg-turbo's decoding of sequential DCT JPEG (baseline 8-bit, extended 12-bit).

Writes tests/fixtures/dicom/jpeg/libjpeg_turbo.json and small greyscale streams beside it:
- grey8_restart.jpg: 37 × 29, 8-bit baseline, restart marker every 3 blocks (Pillow's encoder);
- grey12.jpg: 45 × 23, 12-bit extended (imagecodecs' libjpeg-turbo encoder);
- grey12_q100.jpg: 16 × 9, 12-bit extended, quality 100, full-range values.
For each stream and for pydicom's JPGExtended.dcm and JPEG-lossy.dcm (12-bit, read from the installed
package, never copied; JPEG-lossy's scan header says Ss = Se = 0, which libjpeg warns about and
decodes as sequential), the SHA-256 of the samples libjpeg-turbo decodes (imagecodecs.jpeg8_decode,
accurate integer IDCT) as little-endian int64, row by row. For JPGExtended.dcm also where pydicom's
default decoder (pylibjpeg-libjpeg, Thomas Richter's libjpeg, another IDCT) differs: flat index and
pylibjpeg minus libjpeg-turbo.

Packages beyond the reference env: imagecodecs 2026.3.6, pillow 13.0.0.
Run: /work/refenv/bin/python scripts/reference/jpeg_fixtures.py
"""

import hashlib
import io
import json
import os

import imagecodecs
import numpy as np
import PIL
import pydicom
from PIL import Image
from pydicom.encaps import generate_frames
from pydicom.pixels import pixel_array

HERE = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "dicom", "jpeg")


def sha(values):
    return hashlib.sha256(np.ascontiguousarray(values, dtype="<i8").tobytes()).hexdigest()


def pattern(rows, cols, maximum, seed):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:rows, 0:cols]
    smooth = (np.sin(x / 5.0) + np.cos(y / 3.0) + 2) / 4 * maximum
    noisy = smooth + rng.normal(0, maximum / 20, smooth.shape)
    return np.clip(noisy, 0, maximum).round()


def main():
    streams = {}
    grey8 = Image.fromarray(pattern(29, 37, 255, 1).astype(np.uint8))
    buffer = io.BytesIO()
    grey8.save(buffer, "JPEG", quality=75, restart_marker_blocks=3)
    streams["grey8_restart.jpg"] = buffer.getvalue()
    streams["grey12.jpg"] = imagecodecs.jpeg8_encode(pattern(23, 45, 4095, 2).astype(np.uint16), level=85,
                                                     bitspersample=12)
    streams["grey12_q100.jpg"] = imagecodecs.jpeg8_encode(pattern(9, 16, 4095, 3).astype(np.uint16), level=100,
                                                          bitspersample=12)
    cases = {}
    for name, data in streams.items():
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(data)
        values = imagecodecs.jpeg8_decode(data)
        if name.startswith("grey8"):
            assert np.array_equal(values, np.asarray(Image.open(io.BytesIO(data)))), "Pillow and imagecodecs disagree"
        cases[name] = {"shape": list(values.shape), "sha256": sha(values)}

    folder = os.path.join(os.path.dirname(pydicom.__file__), "data", "test_files")
    for name in ["JPGExtended.dcm", "JPEG-lossy.dcm"]:
        ds = pydicom.dcmread(os.path.join(folder, name))
        fragment = next(generate_frames(ds.PixelData, number_of_frames=1))
        values = imagecodecs.jpeg8_decode(fragment).astype(np.int64)
        entry = {"shape": list(values.shape), "sha256": sha(values), "source": "pydicom"}
        if name == "JPGExtended.dcm":
            theirs = pixel_array(ds, decoding_plugin="pylibjpeg").astype(np.int64)
            diff = (theirs - values).ravel()
            where = np.flatnonzero(diff)
            entry["pylibjpeg_differs"] = {"index": where.tolist(), "delta": diff[where].tolist()}
        cases[name] = entry
    meta = {"imagecodecs": imagecodecs.__version__, "libjpeg-turbo": imagecodecs.jpeg8_version(),
            "pillow": PIL.__version__, "pydicom": pydicom.__version__}
    with open(os.path.join(HERE, "libjpeg_turbo.json"), "w") as f:
        json.dump({"meta": meta, "cases": cases}, f, sort_keys=True)
        f.write("\n")
    print({k: (v["shape"], len(v.get("pylibjpeg_differs", {}).get("index", []))) for k, v in cases.items()})


if __name__ == "__main__":
    main()
