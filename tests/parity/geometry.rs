//! Volume readers against SimpleITK's geometry (manifest.json) and against each other (NRRD twins).

use radscore::imaging::{Geometry, read_image, read_labels};

use crate::reference::{read_json, reference_dir};

fn manifest_geometry(g: &serde_json::Value) -> Geometry {
    let v = |key: &str| -> Vec<f64> { g[key].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect() };
    let size: Vec<usize> = g["size"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect();
    Geometry {
        size: size.try_into().unwrap(),
        spacing: v("spacing").try_into().unwrap(),
        origin: v("origin").try_into().unwrap(),
        direction: v("direction").try_into().unwrap(),
    }
}

/// The manifest records SimpleITK's geometry of the original (double-precision) NRRD files, while a
/// NIfTI-1 header stores spacing and origin as float32: SimpleITK reading these very NIfTI files reports
/// the float32 values (e.g. breast1 origin x −116.54303741455078 vs the NRRD's −116.54304). So NIfTI
/// geometry is compared, at the 1e-6, with the manifest value rounded to float32 as stored.
fn as_stored_in_nifti(g: &Geometry) -> Geometry {
    let f32_round = |v: f64| f64::from(v as f32);
    Geometry {
        size: g.size,
        spacing: g.spacing.map(f32_round),
        origin: g.origin.map(f32_round),
        direction: g.direction,
    }
}

fn geometry_differences(label: &str, got: &Geometry, want: &Geometry, tolerance: f64) -> Vec<String> {
    let mut out = Vec::new();
    if got.size != want.size {
        out.push(format!("{label}: size {:?} != {:?}", got.size, want.size));
    }
    for (what, a, b) in [
        ("spacing", &got.spacing[..], &want.spacing[..]),
        ("origin", &got.origin[..], &want.origin[..]),
        ("direction", &got.direction[..], &want.direction[..]),
    ] {
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            if (x - y).abs() > tolerance {
                out.push(format!("{label}: {what}[{i}] {x} != {y}"));
            }
        }
    }
    out
}

#[test]
fn nifti_geometry_matches_simpleitk_for_every_reference_case() {
    let Some(dir) = reference_dir() else { return };
    let manifest = read_json(&dir, "cases/manifest.json");
    let mut failures = Vec::new();
    let mut checked = 0;
    for (case, entry) in manifest.as_object().unwrap() {
        let image =
            read_image(&dir.join(entry["image"].as_str().unwrap()), case).unwrap_or_else(|e| panic!("{case}: {e}"));
        failures.extend(geometry_differences(
            &format!("{case} image"),
            &image.geometry,
            &as_stored_in_nifti(&manifest_geometry(&entry["image_geometry"])),
            1e-6,
        ));
        let mask = read_labels(&dir.join(entry["mask"].as_str().unwrap()), case)
            .unwrap_or_else(|e| panic!("{case} mask: {e}"));
        failures.extend(geometry_differences(
            &format!("{case} mask"),
            &mask.geometry,
            &as_stored_in_nifti(&manifest_geometry(&entry["mask_geometry"])),
            1e-6,
        ));
        for (label, count) in entry["mask_voxels_per_label"].as_object().unwrap() {
            let label: i32 = label.parse().unwrap();
            let got = mask.voxels.iter().filter(|&&v| v == label).count() as u64;
            if got != count.as_u64().unwrap() {
                failures.push(format!(
                    "{case}: label {label} has {got} voxels, SimpleITK counts {count}"
                ));
            }
        }
        checked += 1;
    }
    assert!(checked >= 8, "manifest lists only {checked} cases");
    assert!(
        failures.is_empty(),
        "{} geometry differences:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn nrrd_files_give_the_same_voxels_as_their_nifti_twins_and_the_manifest_geometry() {
    let Some(dir) = reference_dir() else { return };
    let manifest = read_json(&dir, "cases/manifest.json");
    for (case, nrrd_image, nrrd_mask) in [
        ("brain1", "nrrd/brain1_image.nrrd", "nrrd/brain1_label.nrrd"),
        (
            "prostate_phantom",
            "nrrd/prostate_phantom_subvolume.nrrd",
            "nrrd/prostate_phantom_subvolume-label.nrrd",
        ),
    ] {
        let entry = &manifest[case];
        let image = read_image(&dir.join(nrrd_image), nrrd_image).unwrap();
        let twin = read_image(&dir.join(entry["image"].as_str().unwrap()), case).unwrap();
        assert_eq!(
            image.voxels, twin.voxels,
            "{nrrd_image} voxels differ from its NIfTI twin"
        );
        let mask = read_labels(&dir.join(nrrd_mask), nrrd_mask).unwrap();
        let mask_twin = read_labels(&dir.join(entry["mask"].as_str().unwrap()), case).unwrap();
        assert_eq!(
            mask.voxels, mask_twin.voxels,
            "{nrrd_mask} voxels differ from its NIfTI twin"
        );
        let mut diffs = geometry_differences(
            nrrd_image,
            &image.geometry,
            &manifest_geometry(&entry["image_geometry"]),
            1e-6,
        );
        diffs.extend(geometry_differences(
            nrrd_mask,
            &mask.geometry,
            &manifest_geometry(&entry["mask_geometry"]),
            1e-6,
        ));
        assert!(diffs.is_empty(), "{}", diffs.join("\n"));
    }
}
