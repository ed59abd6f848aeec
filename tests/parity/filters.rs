//! LoG, Square, SquareRoot, Logarithm, Exponential and Gradient images against PyRadiomics 3.1 /
//! SimpleITK 2.5.7 outputs frozen by scripts/reference/filter_fixtures_{log,simple}.py, and LoG on a
//! block of a reference case read from `../shared/reference`.

use ndarray::{Array3, s};
use radscore::features::filters::{LogSkipReason, PointwiseFilter, Sigma, gradient_magnitude, log_images};
use serde_json::Value;

use crate::reference::reference_dir;

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/filters/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path} is not JSON: {e}"))
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

fn volume(case: &Value) -> (Array3<f64>, [f64; 3]) {
    let shape = floats(&case["shape"]);
    let dim = (shape[0] as usize, shape[1] as usize, shape[2] as usize);
    let spacing = floats(&case["spacing"]);
    (
        Array3::from_shape_vec(dim, floats(&case["input"])).unwrap(),
        [spacing[0], spacing[1], spacing[2]],
    )
}

/// A params-file sigma as the fixture's JSON (Python) wrote it: `2` is an integer, `2.0` a float.
fn sigmas(v: &Value) -> Vec<Sigma> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| {
            x.as_i64()
                .map_or_else(|| Sigma::Float(x.as_f64().unwrap()), Sigma::Integer)
        })
        .collect()
}

/// Voxels whose relative difference exceeds `tolerance` (relative to max(|want|, 1)).
#[derive(Default)]
struct Differences {
    count: usize,
    compared: usize,
    max_relative: f64,
    worst: String,
}

impl Differences {
    fn compare(&mut self, what: &str, got: &Array3<f64>, want: &[f64], tolerance: f64) {
        assert_eq!(got.len(), want.len(), "{what}: voxel count differs");
        for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
            let relative = (g - w).abs() / w.abs().max(1.0);
            self.compared += 1;
            if relative > tolerance {
                self.count += 1;
            }
            if relative > self.max_relative || relative.is_nan() {
                self.max_relative = relative;
                self.worst = format!("{what} voxel {i}: got {g}, want {w}");
            }
        }
    }

    fn assert_within(&self, tolerance: f64) {
        assert!(
            self.count == 0,
            "{} of {} voxels differ by more than {tolerance:e} relative; worst ({:e}): {}",
            self.count,
            self.compared,
            self.max_relative,
            self.worst
        );
        eprintln!(
            "max relative difference {:e} over {} voxels",
            self.max_relative, self.compared
        );
    }
}

/// LoG is float32 in SimpleITK: 1e-6 relative is a few float32 ulps.
const LOG_TOLERANCE: f64 = 1e-6;

#[test]
fn log_images_match_simpleitk_on_every_seeded_volume_with_pyradiomics_names_and_skips() {
    let fixture = fixture("log.json");
    let mut differences = Differences::default();
    for case in fixture["cases"].as_array().unwrap() {
        let (image, spacing) = volume(case);
        let requested = sigmas(&case["sigma"]);
        let got = log_images(&image, spacing, &requested);
        let names: Vec<&str> = got.images.iter().map(|i| i.name.as_str()).collect();
        let want_names: Vec<&str> = case["order"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(
            names, want_names,
            "sigmas {requested:?}: image types or their order differ"
        );
        assert_eq!(
            got.images.len() + got.skipped.len(),
            requested.len(),
            "every sigma is either filtered or skipped"
        );
        for image in &got.images {
            let what = format!("{:?} {}", case["shape"], image.name);
            differences.compare(
                &what,
                &image.image,
                &floats(&case["outputs"][&image.name]),
                LOG_TOLERANCE,
            );
        }
    }
    differences.assert_within(LOG_TOLERANCE);
}

#[test]
fn log_skips_sigmas_for_the_reasons_pyradiomics_logs() {
    let fixture = fixture("log.json");
    let cases = fixture["cases"].as_array().unwrap();
    let (image, spacing) = volume(&cases[2]);
    let skipped = log_images(&image, spacing, &sigmas(&cases[2]["sigma"])).skipped;
    assert_eq!(
        skipped,
        vec![
            (Sigma::Float(5.0), LogSkipReason::ImageSmallerThanKernel),
            (Sigma::Float(0.0), LogSkipReason::SigmaNotPositive),
            (Sigma::Float(-1.0), LogSkipReason::SigmaNotPositive),
        ]
    );
    let (image, spacing) = volume(&cases[3]);
    let skipped = log_images(&image, spacing, &sigmas(&cases[3]["sigma"])).skipped;
    assert_eq!(skipped, vec![(Sigma::Float(1.0), LogSkipReason::ImageUnder4Voxels)]);
}

#[test]
fn log_matches_simpleitk_on_a_block_of_the_brain1_reference_case() {
    let Some(dir) = reference_dir() else { return };
    let crop = &fixture("log.json")["reference_crop"];
    let volume = radscore::imaging::read_image(&dir.join(crop["file"].as_str().unwrap()), "image").unwrap();
    let start: Vec<usize> = floats(&crop["start_xyz"]).iter().map(|&v| v as usize).collect();
    let size: Vec<usize> = floats(&crop["size_xyz"]).iter().map(|&v| v as usize).collect();
    let block = volume
        .voxels
        .slice(s![
            start[2]..start[2] + size[2],
            start[1]..start[1] + size[1],
            start[0]..start[0] + size[0]
        ])
        .to_owned();
    assert_eq!(
        block.sum(),
        crop["input_sum"].as_f64().unwrap(),
        "the block is not the one the fixture was cut from"
    );
    let spacing = volume.geometry.spacing;
    let got = log_images(&block, spacing, &sigmas(&crop["sigma"]));
    assert!(got.skipped.is_empty(), "{:?}", got.skipped);
    let mut differences = Differences::default();
    for image in &got.images {
        differences.compare(
            &image.name,
            &image.image,
            &floats(&crop["outputs"][&image.name]),
            LOG_TOLERANCE,
        );
    }
    differences.assert_within(LOG_TOLERANCE);
}

/// The point-wise filters run in float64 in both: only libm round-off may differ.
const POINTWISE_TOLERANCE: f64 = 1e-13;

#[test]
fn square_squareroot_logarithm_and_exponential_match_pyradiomics_on_every_seeded_volume() {
    let fixture = fixture("simple.json");
    let mut differences = Differences::default();
    for case in fixture["cases"].as_array().unwrap() {
        let (image, _) = volume(case);
        for filter in PointwiseFilter::ALL {
            let what = format!("{} {}", case["kind"], filter.image_name());
            let got = filter.apply(&image).unwrap();
            differences.compare(
                &what,
                &got,
                &floats(&case["outputs"][filter.image_name()]),
                POINTWISE_TOLERANCE,
            );
        }
    }
    differences.assert_within(POINTWISE_TOLERANCE);
}

#[test]
fn gradient_matches_simpleitk_exactly_with_and_without_spacing() {
    let fixture = fixture("simple.json");
    let mut differences = Differences::default();
    for case in fixture["cases"].as_array().unwrap() {
        let (image, spacing) = volume(case);
        for (key, use_spacing) in [("gradient", true), ("gradient-no-spacing", false)] {
            let got = gradient_magnitude(&image, spacing, use_spacing);
            differences.compare(
                &format!("{} {key}", case["kind"]),
                &got,
                &floats(&case["outputs"][key]),
                0.0,
            );
        }
    }
    differences.assert_within(0.0);
}
