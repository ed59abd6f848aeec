"""DICOM SEG and RTSTRUCT mask fixtures on the reference DICOM series, written with highdicom and pydicom.

Run: /work/refenv/bin/python scripts/reference/seg_fixtures.py
Extra packages in the reference env: `pip install highdicom scikit-image "pyjpegls<1.5"` (highdicom 0.28.2,
scikit-image 0.26.0; the pyjpegls pin keeps numpy 1.26.4, which PyRadiomics 3.1 needs).

Reads ../shared/reference/dicom/{brain1,prostate_phantom} (+ their *_label.nii.gz, which lie on the DICOM
grids) and writes tests/fixtures/dicom/seg/:

- prostate_seg_binary.dcm: BINARY SEG, one segment per label of the prostate mask (labels 1, 7, 8, 9 become
  segment numbers 1, 2, 3, 4), every slice of every segment (empty frames kept), in highdicom's frame order.
- brain1_seg_shuffled.dcm: BINARY SEG of label 1, only the slices that hold the mask (highdicom omits empty
  frames), frames then permuted with pydicom (per-frame functional groups and bit-packed pixels together).
- brain1_seg_fractional.dcm: FRACTIONAL (PROBABILITY) SEG, MaximumFractionalValue 200, RLE Lossless. Mask voxels
  hold 100..200 (>= 0.5, including exactly 0.5), the one-voxel in-plane ring around the mask holds 1..99 (< 0.5).
  highdicom rescales stored values by MaximumFractionalValue when reading and refuses to binarise a SEG whose
  values are not 0 or the maximum; radscore (like a probability threshold) keeps value / max >= 0.5, so this SEG
  must give back label 1 exactly.
- prostate_seg_off_grid.dcm, prostate_seg_other_series.dcm, prostate_seg_other_frame.dcm: one-frame SEGs of
  label 1 on slice 6 whose frame is moved by a quarter of a pixel along the rows, whose ReferencedSeriesSequence
  names another series, and whose FrameOfReferenceUID is another one (edited with pydicom after highdicom).
- brain1_rtstruct.dcm: RTSTRUCT with ROI 1 "tumour" (per slice, the pixel-edge outlines of label 1, traced
  here, outer boundaries and holes alike), ROI 2 "ring" (a hand-made heptagon with a quadrilateral hole on
  slices 12-14) and ROI 3 "off-plane" (one contour 2 mm above slice 13, between two slice planes).
- brain1_rtstruct_reference.json: the even-odd rasterisation of ROIs 1 and 2 computed from the written file
  by an independent path: pydicom reads ContourData, SimpleITK maps points to continuous indices on the DICOM
  series it reads, skimage.draw.polygon2mask fills each contour and contours of a slice are combined by XOR
  (even-odd). The script checks that ROI 1 equals label 1 exactly and that no voxel centre lies on a ring edge.
"""

import json
import os

import highdicom as hd
import numpy as np
import pydicom
import SimpleITK as sitk
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.pixels import pack_bits, unpack_bits
from pydicom.sequence import Sequence
from pydicom.sr.codedict import codes
from pydicom.uid import ExplicitVRLittleEndian, RLELossless, generate_uid
from skimage.draw import polygon2mask

HERE = os.path.dirname(os.path.abspath(__file__))
REFERENCE = os.path.join(HERE, "..", "..", "..", "shared", "reference", "dicom")
OUT = os.path.join(HERE, "..", "..", "tests", "fixtures", "dicom", "seg")
RT_STRUCTURE_SET_STORAGE = "1.2.840.10008.5.1.4.1.1.481.3"


def uid(name):
    return generate_uid(entropy_srcs=["radscore seg fixtures", name])


def read_series(name):
    """The series' datasets sorted along the slice normal (z here), and SimpleITK's image of them."""
    folder = os.path.join(REFERENCE, name)
    datasets = [pydicom.dcmread(os.path.join(folder, f)) for f in sorted(os.listdir(folder))]
    datasets.sort(key=lambda ds: float(ds.ImagePositionPatient[2]))
    reader = sitk.ImageSeriesReader()
    reader.SetFileNames(reader.GetGDCMSeriesFileNames(folder))
    image = reader.Execute()
    label = sitk.ReadImage(os.path.join(REFERENCE, f"{name}_label.nii.gz"))
    assert label.GetSize() == image.GetSize()
    assert np.allclose(label.GetOrigin(), image.GetOrigin(), atol=1e-5)
    return datasets, image, sitk.GetArrayFromImage(label)


def description(number, label):
    return hd.seg.SegmentDescription(
        segment_number=number,
        segment_label=label,
        segmented_property_category=codes.SCT.MorphologicallyAbnormalStructure,
        segmented_property_type=codes.SCT.Neoplasm,
        algorithm_type=hd.seg.SegmentAlgorithmTypeValues.MANUAL,
    )


def segmentation(sources, pixels, kind, segments, name, **kwargs):
    return hd.seg.Segmentation(
        source_images=sources,
        pixel_array=pixels,
        segmentation_type=kind,
        segment_descriptions=segments,
        series_instance_uid=uid(name + " series"),
        series_number=100,
        sop_instance_uid=uid(name),
        instance_number=1,
        manufacturer="radscore fixtures",
        manufacturer_model_name="seg_fixtures.py",
        software_versions=f"highdicom {hd.__version__}",
        device_serial_number="1",
        **kwargs,
    )


def save(ds, name):
    path = os.path.join(OUT, name)
    ds.save_as(path, enforce_file_format=True)
    print(f"{name}: {os.path.getsize(path)} bytes")


def prostate_fixtures():
    sources, _, labels = read_series("prostate_phantom")
    values = [1, 7, 8, 9]
    stack = np.stack([labels == v for v in values], axis=-1).astype(np.uint8)
    segments = [description(i + 1, f"label {v}") for i, v in enumerate(values)]
    seg = segmentation(sources, stack, "BINARY", segments, "prostate binary", omit_empty_frames=False)
    assert seg.NumberOfFrames == len(values) * len(sources)
    save(seg, "prostate_seg_binary.dcm")

    one_slice = np.zeros_like(labels, dtype=np.uint8)
    one_slice[6] = labels[6] == 1
    single = [description(1, "label 1")]
    seg = segmentation(sources, one_slice, "BINARY", single, "prostate off grid")
    assert seg.NumberOfFrames == 1
    position = seg.PerFrameFunctionalGroupsSequence[0].PlanePositionSequence[0]
    row = np.array(sources[0].ImageOrientationPatient[:3], dtype=float)
    shifted = np.array(position.ImagePositionPatient, dtype=float) + 0.25 * float(sources[0].PixelSpacing[1]) * row
    position.ImagePositionPatient = [f"{v:.6f}" for v in shifted]
    save(seg, "prostate_seg_off_grid.dcm")

    seg = segmentation(sources, one_slice, "BINARY", single, "prostate other series")
    seg.ReferencedSeriesSequence[0].SeriesInstanceUID = uid("another series")
    save(seg, "prostate_seg_other_series.dcm")

    seg = segmentation(sources, one_slice, "BINARY", single, "prostate other frame")
    seg.FrameOfReferenceUID = uid("another frame of reference")
    save(seg, "prostate_seg_other_frame.dcm")


def shuffle_binary_frames(seg, seed):
    """Permutes the frames of a BINARY SEG: functional groups and bit-packed pixel data together."""
    n, rows, cols = seg.NumberOfFrames, seg.Rows, seg.Columns
    frames = unpack_bits(seg.PixelData)[: n * rows * cols].reshape(n, rows, cols)
    order = np.random.default_rng(seed).permutation(n)
    assert list(order) != sorted(order)
    groups = list(seg.PerFrameFunctionalGroupsSequence)
    seg.PerFrameFunctionalGroupsSequence = Sequence([groups[i] for i in order])
    seg.PixelData = pack_bits(frames[order].ravel())
    return seg


def fractional_values(labels):
    """Stored values on MaximumFractionalValue 200: 100..200 inside the mask, 1..99 on its in-plane ring."""
    inside = labels == 1
    ring = np.zeros_like(inside)
    ring[:, 1:, :] |= inside[:, :-1, :]
    ring[:, :-1, :] |= inside[:, 1:, :]
    ring[:, :, 1:] |= inside[:, :, :-1]
    ring[:, :, :-1] |= inside[:, :, 1:]
    ring &= ~inside
    z, y, x = np.indices(labels.shape)
    stored = np.zeros(labels.shape, dtype=np.int64)
    stored[inside] = (100 + (7 * x + 13 * y + 3 * z) % 101)[inside]
    stored[ring] = (1 + (5 * x + 11 * y + z) % 99)[ring]
    assert {100, 200} <= set(np.unique(stored[inside])) and 99 in set(np.unique(stored[ring]))
    return stored


def brain_seg_fixtures(sources, labels):
    tumour = [description(1, "tumour")]
    seg = segmentation(sources, (labels == 1).astype(np.uint8), "BINARY", tumour, "brain1 shuffled")
    assert seg.NumberOfFrames == int((labels == 1).any(axis=(1, 2)).sum())
    save(shuffle_binary_frames(seg, seed=4), "brain1_seg_shuffled.dcm")

    stored = fractional_values(labels)
    seg = segmentation(
        sources,
        stored.astype(np.float64) / 200.0,
        "FRACTIONAL",
        tumour,
        "brain1 fractional",
        max_fractional_value=200,
        transfer_syntax_uid=RLELossless,
    )
    save(seg, "brain1_seg_fractional.dcm")
    back = pydicom.dcmread(os.path.join(OUT, "brain1_seg_fractional.dcm"))
    frames = back.pixel_array.reshape(back.NumberOfFrames, back.Rows, back.Columns)
    assert sorted(np.unique(frames).tolist()) == sorted(np.unique(stored).tolist())


def trace_outlines(inside):
    """Closed pixel-edge loops (x, y corner coordinates, corners at half-integer voxel indices) whose
    even-odd fill of voxel centres is exactly `inside` (a 2-D [y, x] boolean array)."""
    padded = np.pad(inside, 1)
    edges = {}
    for y, x in zip(*np.nonzero(inside)):
        py, px = y + 1, x + 1
        # Corner (cx, cy) is the point (cx - 0.5, cy - 0.5) in voxel indices; edges keep the inside on the left
        # in (x, y) with y pointing down the rows.
        if not padded[py - 1, px]:
            edges.setdefault((x + 1, y), []).append((x, y))
        if not padded[py + 1, px]:
            edges.setdefault((x, y + 1), []).append((x + 1, y + 1))
        if not padded[py, px - 1]:
            edges.setdefault((x, y), []).append((x, y + 1))
        if not padded[py, px + 1]:
            edges.setdefault((x + 1, y + 1), []).append((x + 1, y))
    loops = []
    while edges:
        start = next(iter(edges))
        loop = [start]
        current = start
        while True:
            targets = edges[current]
            nxt = targets.pop()
            if not targets:
                del edges[current]
            if nxt == start:
                break
            loop.append(nxt)
            current = nxt
        loops.append(simplify(loop))
    return [[(cx - 0.5, cy - 0.5) for cx, cy in loop] for loop in loops]


def simplify(loop):
    """Drops vertices in the middle of straight runs."""
    kept = []
    n = len(loop)
    for i, p in enumerate(loop):
        a, b = loop[i - 1], loop[(i + 1) % n]
        if (p[0] - a[0]) * (b[1] - p[1]) - (p[1] - a[1]) * (b[0] - p[0]) != 0:
            kept.append(p)
    return kept


def ring_polygons():
    """Slice index → polygons in (x, y) voxel indices: a heptagon with a quadrilateral hole."""
    outer = [(40.3, 52.7), (61.2, 40.4), (83.9, 49.1), (88.6, 71.3), (72.2, 90.8), (47.5, 88.2), (35.1, 70.6)]
    hole = [(52.4, 58.3), (70.7, 55.9), (74.1, 75.2), (55.6, 77.4)]
    return {k: [outer, hole] for k in (12, 13, 14)}


def contour_item(points_xyz, source):
    contour = Dataset()
    image = Dataset()
    image.ReferencedSOPClassUID = source.SOPClassUID
    image.ReferencedSOPInstanceUID = source.SOPInstanceUID
    contour.ContourImageSequence = Sequence([image])
    contour.ContourGeometricType = "CLOSED_PLANAR"
    contour.NumberOfContourPoints = len(points_xyz)
    contour.ContourData = [f"{v:.6f}" for p in points_xyz for v in p]
    return contour


def rtstruct(sources, image, labels):
    first = sources[0]
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = RT_STRUCTURE_SET_STORAGE
    ds.file_meta.MediaStorageSOPInstanceUID = uid("brain1 rtstruct")
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = RT_STRUCTURE_SET_STORAGE
    ds.SOPInstanceUID = uid("brain1 rtstruct")
    ds.Modality = "RTSTRUCT"
    for keyword in ("PatientName", "PatientID", "StudyInstanceUID", "StudyDate", "StudyTime", "StudyID"):
        setattr(ds, keyword, getattr(first, keyword))
    ds.SeriesInstanceUID = uid("brain1 rtstruct series")
    ds.SeriesNumber = 101
    ds.InstanceNumber = 1
    ds.StructureSetLabel = "radscore"
    ds.StructureSetDate = "20240101"
    ds.StructureSetTime = "120000"

    series = Dataset()
    series.SeriesInstanceUID = first.SeriesInstanceUID
    series.ContourImageSequence = Sequence([])
    for source in sources:
        item = Dataset()
        item.ReferencedSOPClassUID = source.SOPClassUID
        item.ReferencedSOPInstanceUID = source.SOPInstanceUID
        series.ContourImageSequence.append(item)
    study = Dataset()
    study.ReferencedSOPClassUID = "1.2.840.10008.3.1.2.3.1"
    study.ReferencedSOPInstanceUID = first.StudyInstanceUID
    study.RTReferencedSeriesSequence = Sequence([series])
    frame = Dataset()
    frame.FrameOfReferenceUID = first.FrameOfReferenceUID
    frame.RTReferencedStudySequence = Sequence([study])
    ds.ReferencedFrameOfReferenceSequence = Sequence([frame])

    def physical(x, y, z):
        return image.TransformContinuousIndexToPhysicalPoint((float(x), float(y), float(z)))

    rois = {1: ("tumour", []), 2: ("ring", []), 3: ("off-plane", [])}
    for k in range(labels.shape[0]):
        for loop in trace_outlines(labels[k] == 1):
            rois[1][1].append(contour_item([physical(x, y, k) for x, y in loop], sources[k]))
    for k, polygons in ring_polygons().items():
        for polygon in polygons:
            rois[2][1].append(contour_item([physical(x, y, k) for x, y in polygon], sources[k]))
    above = [(p[0], p[1], p[2] + 2.0) for p in (physical(x, y, 13) for x, y in ring_polygons()[13][0])]
    rois[3][1].append(contour_item(above, sources[13]))

    ds.StructureSetROISequence = Sequence([])
    ds.ROIContourSequence = Sequence([])
    ds.RTROIObservationsSequence = Sequence([])
    for number, (name, contours) in rois.items():
        roi = Dataset()
        roi.ROINumber = number
        roi.ReferencedFrameOfReferenceUID = first.FrameOfReferenceUID
        roi.ROIName = name
        roi.ROIGenerationAlgorithm = "MANUAL"
        ds.StructureSetROISequence.append(roi)
        contour = Dataset()
        contour.ReferencedROINumber = number
        contour.ROIDisplayColor = [255, 0, 0]
        contour.ContourSequence = Sequence(contours)
        ds.ROIContourSequence.append(contour)
        observation = Dataset()
        observation.ObservationNumber = number
        observation.ReferencedROINumber = number
        observation.RTROIInterpretedType = "GTV" if number == 1 else "CONTROL"
        observation.ROIInterpreter = ""
        ds.RTROIObservationsSequence.append(observation)
    save(ds, "brain1_rtstruct.dcm")


def rasterise(path, image, roi_number):
    """Even-odd rasterisation of one ROI of a written RTSTRUCT: a [z, y, x] boolean array."""
    ds = pydicom.dcmread(path)
    nx, ny, nz = image.GetSize()
    mask = np.zeros((nz, ny, nx), dtype=bool)
    roi = next(r for r in ds.ROIContourSequence if r.ReferencedROINumber == roi_number)
    for contour in roi.ContourSequence:
        points = np.array(contour.ContourData, dtype=float).reshape(-1, 3)
        index = np.array([image.TransformPhysicalPointToContinuousIndex(tuple(p)) for p in points])
        k = int(round(index[0, 2]))
        assert np.allclose(index[:, 2], k, atol=1e-6)
        mask[k] ^= polygon2mask((ny, nx), index[:, [1, 0]])
    return mask


def centres_on_edges(polygon):
    """Voxel centres closer than 1e-6 to an edge (where even-odd implementations may disagree)."""
    found = []
    for (x0, y0), (x1, y1) in zip(polygon, polygon[1:] + polygon[:1]):
        for x in range(int(np.floor(min(x0, x1))), int(np.ceil(max(x0, x1))) + 1):
            for y in range(int(np.floor(min(y0, y1))), int(np.ceil(max(y0, y1))) + 1):
                length = np.hypot(x1 - x0, y1 - y0)
                distance = abs((x1 - x0) * (y0 - y) - (x0 - x) * (y1 - y0)) / length
                if distance < 1e-6:
                    found.append((x, y))
    return found


def row_runs(mask):
    """[z, y, first x, last x] for each run of consecutive voxels along x."""
    runs = []
    for z, y in zip(*np.nonzero(mask.any(axis=2))):
        row = np.concatenate([[False], mask[z, y], [False]]).astype(np.int8)
        starts = np.nonzero(np.diff(row) == 1)[0]
        ends = np.nonzero(np.diff(row) == -1)[0] - 1
        runs.extend([int(z), int(y), int(a), int(b)] for a, b in zip(starts, ends))
    return runs


def rtstruct_reference(image, labels):
    path = os.path.join(OUT, "brain1_rtstruct.dcm")
    tumour = rasterise(path, image, 1)
    assert np.array_equal(tumour, labels == 1), "traced outlines do not give back label 1"
    for polygons in ring_polygons().values():
        for polygon in polygons:
            assert not centres_on_edges(polygon)
    ring = rasterise(path, image, 2)
    outer = polygon2mask(ring.shape[1:], np.array(ring_polygons()[13][0])[:, [1, 0]])
    hole = polygon2mask(ring.shape[1:], np.array(ring_polygons()[13][1])[:, [1, 0]])
    assert hole.sum() > 0 and not (ring[13] & hole).any() and (outer & ~hole).sum() == ring[13].sum()
    reference = {
        "source": "pydicom ContourData → SimpleITK TransformPhysicalPointToContinuousIndex on the brain1 DICOM "
        "series → skimage.draw.polygon2mask per contour, XOR per slice (scripts/reference/seg_fixtures.py)",
        "tumour_voxels": int(tumour.sum()),
        "ring_runs_zyx": row_runs(ring),
        "ring_hole_runs_zyx": row_runs(np.stack([hole if k == 13 else np.zeros_like(hole) for k in range(ring.shape[0])])),
    }
    with open(os.path.join(OUT, "brain1_rtstruct_reference.json"), "w") as f:
        json.dump(reference, f, separators=(",", ":"))
        f.write("\n")
    print(f"tumour {reference['tumour_voxels']} voxels, ring {int(ring.sum())} voxels, hole {int(hole.sum())} voxels")


def main():
    os.makedirs(OUT, exist_ok=True)
    prostate_fixtures()
    sources, image, labels = read_series("brain1")
    brain_seg_fixtures(sources, labels)
    rtstruct(sources, image, labels)
    rtstruct_reference(image, labels)


if __name__ == "__main__":
    main()
