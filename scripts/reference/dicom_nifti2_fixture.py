"""Write a NIfTI-2 twin of the IBSI digital phantom (and a big-endian one) with nibabel.

The parity test reads them and compares geometry and voxels with ../shared/reference's NIfTI-1
file of the same phantom. Run: /work/refenv/bin/python scripts/reference/dicom_nifti2_fixture.py
"""

import os

import nibabel as nib

HERE = os.path.dirname(__file__)
SOURCE = os.path.join(HERE, "..", "..", "..", "shared", "reference", "cases", "ibsi1_digital_phantom_image.nii.gz")
OUT = os.path.join(HERE, "..", "..", "tests", "fixtures", "dicom")

img = nib.load(SOURCE)
data = img.get_fdata(dtype="float64").astype("int16")
for name, order in (("ibsi1_digital_phantom_nifti2.nii.gz", "<"), ("ibsi1_digital_phantom_nifti2_be.nii", ">")):
    header = nib.Nifti2Header(endianness=order)
    out = nib.Nifti2Image(data, img.affine, header=header)
    out.set_qform(img.affine, int(img.header["qform_code"]))
    out.set_sform(img.affine, int(img.header["sform_code"]))
    nib.save(out, os.path.join(OUT, name))
    print(name, nib.load(os.path.join(OUT, name)).header.sizeof_hdr)
