//! PyRadiomics parameter files: the raw YAML and the validated [`Settings`] built from it.

/// Validated extraction settings (PyRadiomics names in comments).
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// `label`: the mask value that marks the region.
    pub label: i32,
    /// `binWidth` (default 25) unless `binCount` is set.
    pub bin_width: f64,
    /// `binCount`: a fixed number of bins instead of a fixed width.
    pub bin_count: Option<u32>,
    /// `voxelArrayShift` added before Energy, TotalEnergy and RootMeanSquared.
    pub voxel_array_shift: f64,
    /// `distances` for GLCM and NGTDM neighbourhoods (default `[1]`).
    pub distances: Vec<u32>,
    /// `symmetricalGLCM` (default true).
    pub symmetrical_glcm: bool,
    /// `gldm_a`: the dependence tolerance α (default 0).
    pub gldm_a: f64,
    /// `weightingNorm` for GLCM: how matrices of different angles are weighted by distance
    /// (`None` averages features over angles, PyRadiomics' default).
    pub weighting_norm: Option<WeightingNorm>,
    /// `force2D`: compute texture in-plane only, slice by slice.
    pub force_2d: bool,
    /// `force2Ddimension`: the axis (0 = z/axial, 1 = y/coronal, 2 = x/sagittal in `[z, y, x]` order)
    /// normal to the planes used when `force_2d` is set.
    pub force_2d_dimension: usize,
    /// `geometryTolerance` between image and mask grids (default 1e-6).
    pub geometry_tolerance: f64,
}

/// PyRadiomics' `weightingNorm` values for GLCM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeightingNorm {
    /// `manhattan`.
    Manhattan,
    /// `euclidean`.
    Euclidean,
    /// `infinity`.
    Infinity,
    /// `no_weighting`: matrices summed with weight 1.
    NoWeighting,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            label: 1,
            bin_width: 25.0,
            bin_count: None,
            voxel_array_shift: 0.0,
            distances: vec![1],
            symmetrical_glcm: true,
            gldm_a: 0.0,
            weighting_norm: None,
            force_2d: false,
            force_2d_dimension: 0,
            geometry_tolerance: 1e-6,
        }
    }
}
