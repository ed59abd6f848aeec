"""Enhanced (multi-frame) MR fixtures and the volumes pydicom/highdicom say they hold.

Writes into tests/fixtures/dicom/:
- enhanced_brain1_crop.dcm, enhanced_brain1_rescaled_crop.dcm: highdicom's
  LegacyConvertedEnhancedMRImage of a 28 x 24 crop of every slice of ../shared/reference/dicom/brain1
  (and brain1_rescaled, whose RescaleSlope/Intercept land in PixelValueTransformationSequence), with
  the slices handed over in a shuffled order. The parity test checks that the multi-frame volume equals
  the classic series volume at the same physical positions.
- enhanced_dynamic.dcm: a small Enhanced MR written with pydicom holding 3 temporal positions x 4
  oblique slices, frames interleaved, per-frame rescale (PixelValueTransformationSequence) and
  per-frame pixel measures; the temporal position is both in FrameContentSequence and a dimension.
- enhanced_diffusion.dcm: 2 b-values (0 and 800, MRDiffusionSequence) x 3 sagittal slices, frames
  in reverse order, RLE Lossless (pydicom's own encoder).
- enhanced_reference.json: for each fixture (and pydicom-data's eCT_Supplemental.dcm, read at test
  time from the installed package), every stack (volume) computed here from the functional groups:
  what distinguishes it, its frame count, size, spacing, origin, direction, and the SHA-256 of the
  voxel values (pydicom pixel_array x slope + intercept as float64, little endian, z-y-x order).

Stacks are split by the non-spatial dimensions of DimensionIndexSequence, by
FrameContentSequence's TemporalPositionIndex and by MRDiffusionSequence's DiffusionBValue and
DiffusionGradientOrientation; they are ordered by those values (numbers numerically). Frames of a
stack are sorted by position along the normal (row x column cosines) like ITK; slice spacing is the
first-to-last distance over n - 1.

Packages beyond the reference env: highdicom 0.28.2 and pydicom-data 1.0.0
(`/work/refenv/bin/pip install highdicom==0.28.2 pydicom-data==1.0.0`).
Run: /work/refenv/bin/python scripts/reference/dicom_enhanced_fixtures.py
"""

import hashlib
import json
import os
import random

import highdicom
import numpy as np
import pydicom
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, RLELossless, generate_uid

HERE = os.path.dirname(__file__)
SHARED = os.path.join(HERE, "..", "..", "..", "shared", "reference", "dicom")
OUT = os.path.join(HERE, "..", "..", "tests", "fixtures", "dicom")
ENHANCED_MR = "1.2.840.10008.5.1.4.1.1.4.1"
# Rows 100..124, columns 90..118 of the 256 x 256 brain1 slices: non-square so a row/column swap shows.
CROP_ROWS = (100, 124)
CROP_COLUMNS = (90, 118)
SPATIAL_POINTERS = {0x00200032, 0x00209057, 0x00201041}


def cropped_slices(series):
    folder = os.path.join(SHARED, series)
    out = []
    for name in sorted(os.listdir(folder)):
        ds = pydicom.dcmread(os.path.join(folder, name))
        arr = ds.pixel_array[CROP_ROWS[0] : CROP_ROWS[1], CROP_COLUMNS[0] : CROP_COLUMNS[1]]
        iop = np.array(ds.ImageOrientationPatient, dtype=float)
        row_spacing, column_spacing = (float(v) for v in ds.PixelSpacing)
        # Pixel (r, c) sits at IPP + c * column_spacing * row_cosine + r * row_spacing * column_cosine.
        shift = CROP_COLUMNS[0] * column_spacing * iop[:3] + CROP_ROWS[0] * row_spacing * iop[3:]
        ds.ImagePositionPatient = [f"{v:.6f}" for v in np.array(ds.ImagePositionPatient, dtype=float) + shift]
        ds.Rows, ds.Columns = arr.shape
        ds.PixelData = np.ascontiguousarray(arr).tobytes()
        out.append(ds)
    random.Random(4).shuffle(out)
    return out


def legacy_converted(series, file_name):
    slices = cropped_slices(series)
    image = highdicom.legacy.LegacyConvertedEnhancedMRImage(
        slices,
        series_instance_uid=generate_uid(entropy_srcs=[file_name, "series"]),
        series_number=900,
        sop_instance_uid=generate_uid(entropy_srcs=[file_name, "instance"]),
        instance_number=1,
    )
    image.PatientName = ""
    image.PatientID = ""
    image.save_as(os.path.join(OUT, file_name), enforce_file_format=True)


def item(**attributes):
    ds = Dataset()
    for keyword, value in attributes.items():
        setattr(ds, keyword, value)
    return ds


def enhanced_base(rows, columns, frames, transfer_syntax, name):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ENHANCED_MR
    meta.MediaStorageSOPInstanceUID = generate_uid(entropy_srcs=[name])
    meta.TransferSyntaxUID = transfer_syntax
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = ENHANCED_MR
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = "MR"
    ds.SeriesInstanceUID = generate_uid(entropy_srcs=[name, "series"])
    ds.StudyInstanceUID = generate_uid(entropy_srcs=[name, "study"])
    ds.SeriesDescription = name
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows, ds.Columns = rows, columns
    ds.NumberOfFrames = frames
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    return ds


def dynamic():
    """3 temporal positions x 4 slices of 5 x 4 pixels on an oblique plane, frames interleaved."""
    name = "enhanced_dynamic.dcm"
    rows, columns, times, depth = 4, 5, 3, 4
    cos, sin = np.cos(0.3), np.sin(0.3)
    row_cosine = [cos, sin, 0.0]
    column_cosine = [0.0, 0.0, -1.0]
    normal = np.cross(row_cosine, column_cosine)
    ds = enhanced_base(rows, columns, times * depth, ExplicitVRLittleEndian, name)
    ds.SharedFunctionalGroupsSequence = Sequence(
        [
            item(
                PlaneOrientationSequence=Sequence(
                    [item(ImageOrientationPatient=[f"{v:.8f}" for v in row_cosine + column_cosine])]
                )
            )
        ]
    )
    ds.DimensionIndexSequence = Sequence(
        [
            item(DimensionIndexPointer=0x00209128, FunctionalGroupPointer=0x00209111),
            item(DimensionIndexPointer=0x00209057, FunctionalGroupPointer=0x00209111),
        ]
    )
    per_frame, pixels = [], []
    rng = np.random.default_rng(11)
    # Slice order in the file: 2, 0, 3, 1 within each time, times interleaved slice by slice.
    for z in (2, 0, 3, 1):
        for t in range(times):
            position = np.array([-20.0, 10.0, 35.0]) + z * 2.5 * normal
            per_frame.append(
                item(
                    FrameContentSequence=Sequence(
                        [
                            item(
                                TemporalPositionIndex=t + 1,
                                InStackPositionNumber=z + 1,
                                DimensionIndexValues=[t + 1, z + 1],
                            )
                        ]
                    ),
                    PlanePositionSequence=Sequence([item(ImagePositionPatient=[f"{v:.6f}" for v in position])]),
                    PixelMeasuresSequence=Sequence([item(PixelSpacing=["0.9", "0.7"], SliceThickness="2.5")]),
                    PixelValueTransformationSequence=Sequence(
                        [item(RescaleSlope=f"{0.5 * (t + 1)}", RescaleIntercept=f"{-10 * t}", RescaleType="US")]
                    ),
                )
            )
            pixels.append(rng.integers(0, 4096, size=(rows, columns), dtype=np.uint16))
    ds.PerFrameFunctionalGroupsSequence = Sequence(per_frame)
    ds.PixelData = np.stack(pixels).tobytes()
    ds.save_as(os.path.join(OUT, name), enforce_file_format=True)


def diffusion():
    """b = 0 and b = 800 x 3 sagittal slices, frames in reverse order, RLE Lossless."""
    name = "enhanced_diffusion.dcm"
    rows, columns, depth = 3, 4, 3
    ds = enhanced_base(rows, columns, 2 * depth, ExplicitVRLittleEndian, name)
    ds.SharedFunctionalGroupsSequence = Sequence(
        [
            item(
                PlaneOrientationSequence=Sequence([item(ImageOrientationPatient=["0", "1", "0", "0", "0", "-1"])]),
                PixelMeasuresSequence=Sequence([item(PixelSpacing=["1.5", "1.25"], SpacingBetweenSlices="4")]),
            )
        ]
    )
    frames = [(b, x) for b in (0.0, 800.0) for x in range(depth)]
    per_frame, pixels = [], []
    rng = np.random.default_rng(12)
    for b, x in reversed(frames):
        diffusion_item = item(DiffusionBValue=b, DiffusionDirectionality="NONE" if b == 0 else "DIRECTIONAL")
        if b:
            diffusion_item.DiffusionGradientDirectionSequence = Sequence(
                [item(DiffusionGradientOrientation=[0.0, 0.0, 1.0])]
            )
        per_frame.append(
            item(
                MRDiffusionSequence=Sequence([diffusion_item]),
                PlanePositionSequence=Sequence([item(ImagePositionPatient=[f"{4.0 * x - 6:.1f}", "-30", "40"])]),
            )
        )
        pixels.append(rng.integers(0, 4096, size=(rows, columns), dtype=np.uint16))
    ds.PerFrameFunctionalGroupsSequence = Sequence(per_frame)
    ds.PixelData = np.stack(pixels).tobytes()
    ds.compress(RLELossless, encoding_plugin="pydicom")
    ds.save_as(os.path.join(OUT, name), enforce_file_format=True)


def frame_attribute(ds, frame, sequence, keyword):
    """`keyword` from the frame's functional group `sequence`, per-frame first, then shared."""
    groups = [ds.PerFrameFunctionalGroupsSequence[frame]]
    if "SharedFunctionalGroupsSequence" in ds:
        groups.append(ds.SharedFunctionalGroupsSequence[0])
    for group in groups:
        if sequence in group and keyword in group[sequence][0]:
            return group[sequence][0][keyword].value
    return None


def number_text(value):
    value = float(value)
    return str(int(value)) if value.is_integer() else repr(value)


def stack_key(ds, frame):
    key = []
    content = ds.PerFrameFunctionalGroupsSequence[frame].get("FrameContentSequence")
    if "DimensionIndexSequence" in ds and content is not None and "DimensionIndexValues" in content[0]:
        values = content[0].DimensionIndexValues
        values = values if isinstance(values, (list, pydicom.multival.MultiValue)) else [values]
        for dimension, value in zip(ds.DimensionIndexSequence, values):
            pointer = int(dimension.DimensionIndexPointer)
            if pointer not in SPATIAL_POINTERS:
                key.append((pydicom.datadict.keyword_for_tag(pointer), str(value)))
    temporal = frame_attribute(ds, frame, "FrameContentSequence", "TemporalPositionIndex")
    if temporal is not None and "TemporalPositionIndex" not in dict(key):
        key.append(("TemporalPositionIndex", str(temporal)))
    b_value = frame_attribute(ds, frame, "MRDiffusionSequence", "DiffusionBValue")
    if b_value is not None:
        key.append(("DiffusionBValue", number_text(b_value)))
        diffusion = ds.PerFrameFunctionalGroupsSequence[frame].get("MRDiffusionSequence") or (
            ds.SharedFunctionalGroupsSequence[0].MRDiffusionSequence
        )
        directions = diffusion[0].get("DiffusionGradientDirectionSequence")
        if directions:
            key.append(
                ("DiffusionGradientOrientation", ",".join(number_text(v) for v in directions[0].DiffusionGradientOrientation))
            )
    return tuple(key)


def sort_value(key):
    def one(text):
        try:
            return (0, float(text), "")
        except ValueError:
            return (1, 0.0, text)

    return tuple(one(value) for _, value in key)


def stacks_of(path, label):
    ds = pydicom.dcmread(path)
    pixels = ds.pixel_array.reshape(int(ds.NumberOfFrames), ds.Rows, ds.Columns)
    groups = {}
    for frame in range(int(ds.NumberOfFrames)):
        groups.setdefault(stack_key(ds, frame), []).append(frame)
    stacks = []
    for key in sorted(groups, key=sort_value):
        frames = groups[key]
        iop = np.array(frame_attribute(ds, frames[0], "PlaneOrientationSequence", "ImageOrientationPatient"), float)
        row, column = iop[:3], iop[3:]
        normal = np.cross(row, column)
        positions = {
            f: np.array(frame_attribute(ds, f, "PlanePositionSequence", "ImagePositionPatient"), float) for f in frames
        }
        frames.sort(key=lambda f: float(positions[f] @ normal))
        along = [float(positions[f] @ normal) for f in frames]
        spacing_yx = [float(v) for v in frame_attribute(ds, frames[0], "PixelMeasuresSequence", "PixelSpacing")]
        if len(frames) > 1:
            slice_spacing = (along[-1] - along[0]) / (len(frames) - 1)
        else:
            between = frame_attribute(ds, frames[0], "PixelMeasuresSequence", "SpacingBetweenSlices")
            slice_spacing = float(between) if between is not None else 1.0
        volume = []
        for f in frames:
            slope = frame_attribute(ds, f, "PixelValueTransformationSequence", "RescaleSlope")
            intercept = frame_attribute(ds, f, "PixelValueTransformationSequence", "RescaleIntercept")
            slope = 1.0 if slope is None else float(slope)
            intercept = 0.0 if intercept is None else float(intercept)
            values = pixels[f].astype(np.float64)
            if slope != 1.0 or intercept != 0.0:
                values = values * slope + intercept
            volume.append(values)
        volume = np.ascontiguousarray(np.stack(volume), dtype="<f8")
        direction = np.column_stack([row, column, normal]).reshape(-1)
        stacks.append(
            {
                "distinguishing": [list(pair) for pair in key],
                "frames": len(frames),
                "size": [int(ds.Columns), int(ds.Rows), len(frames)],
                "spacing": [spacing_yx[1], spacing_yx[0], slice_spacing],
                "origin": positions[frames[0]].tolist(),
                "direction": direction.tolist(),
                "sha256": hashlib.sha256(volume.tobytes()).hexdigest(),
                "min": float(volume.min()),
                "max": float(volume.max()),
            }
        )
    print(f"{label}: {[(s['distinguishing'], s['frames']) for s in stacks]}")
    return {"transfer_syntax": str(ds.file_meta.TransferSyntaxUID), "stacks": stacks}


def main():
    legacy_converted("brain1", "enhanced_brain1_crop.dcm")
    legacy_converted("brain1_rescaled", "enhanced_brain1_rescaled_crop.dcm")
    dynamic()
    diffusion()
    files = {}
    for name in (
        "enhanced_brain1_crop.dcm",
        "enhanced_brain1_rescaled_crop.dcm",
        "enhanced_dynamic.dcm",
        "enhanced_diffusion.dcm",
    ):
        files[name] = stacks_of(os.path.join(OUT, name), name)
    files["pydicom-data:eCT_Supplemental.dcm"] = stacks_of(
        get_testdata_file("eCT_Supplemental.dcm"), "eCT_Supplemental.dcm"
    )
    meta = {"pydicom": pydicom.__version__, "highdicom": highdicom.__version__, "numpy": np.__version__}
    with open(os.path.join(OUT, "enhanced_reference.json"), "w") as f:
        json.dump({"meta": meta, "files": files}, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
