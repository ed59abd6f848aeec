//! Parity with numbers nobody here wrote: geometry against SimpleITK/nibabel (the reference
//! manifest), features against PyRadiomics 3.1 and filters against PyRadiomics/SimpleITK, read from
//! `../shared/reference` or frozen fixtures made by scripts/reference.

mod dicom;
mod features;
mod filters;
mod geometry;
mod preprocess;
mod reference;
mod texture;
mod zone_texture;
