//! Parity with numbers nobody here wrote: geometry against SimpleITK/nibabel (the reference
//! manifest) and features against PyRadiomics 3.1, read from `../shared/reference`.

mod features;
mod geometry;
mod reference;
