//! Parity with numbers nobody here wrote: geometry against SimpleITK/nibabel (the reference
//! manifest), features against PyRadiomics 3.1 and filters against PyRadiomics/SimpleITK, read from
//! `../shared/reference` or frozen fixtures made by scripts/reference.

mod batch;
mod diagnostics;
mod dicom;
mod dicom_masks;
mod example_params;
mod features;
mod filters;
mod four_d;
mod geometry;
mod lbp;
mod multiframe;
mod preprocess;
mod reference;
mod texture;
mod zone_texture;
