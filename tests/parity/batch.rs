//! `radscore extract --batch` on PyRadiomics' batch CSV, compared with PyRadiomics' own command line
//! on the same layout (tests/fixtures/batch/diagnostics.json, `commandline`).

use std::path::Path;
use std::process::Command;

use crate::reference::reference_dir;

/// Original image, first-order Mean only: fast in debug builds, and enough to check the rows.
const PARAMS: &str = "imageType: {Original: {}}\nfeatureClass: {firstorder: [Mean]}\nsetting: {binWidth: 25}\n";

fn commandline_fixture() -> serde_json::Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/batch/diagnostics.json");
    let fixture: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    fixture["commandline"].clone()
}

/// The fixture's layout: `<tmp>/sub/cases.csv` naming `../<case>_{image,label}.nii.gz`, symbolic
/// links to the reference cases, and `<tmp>/params.yaml`.
fn batch_folder(dir: &Path, rows: &[[&str; 5]]) -> tempfile::TempDir {
    let temp = tempfile::tempdir().unwrap();
    std::fs::create_dir(temp.path().join("sub")).unwrap();
    for case in ["breast1", "ibsi1_digital_phantom"] {
        for kind in ["image", "label"] {
            let name = format!("{case}_{kind}.nii.gz");
            std::os::unix::fs::symlink(dir.join("cases").join(&name), temp.path().join(&name)).unwrap();
        }
    }
    let mut csv = String::from("Patient,Image,Mask,Label,Site\n");
    for row in rows {
        csv.push_str(&row.join(","));
        csv.push('\n');
    }
    std::fs::write(temp.path().join("sub/cases.csv"), csv).unwrap();
    std::fs::write(temp.path().join("params.yaml"), PARAMS).unwrap();
    temp
}

const BREAST: [&str; 5] = ["p1", "../breast1_image.nii.gz", "../breast1_label.nii.gz", "1", "north"];
const MISSING: [&str; 5] = ["p2", "../absent_image.nii.gz", "../breast1_label.nii.gz", "", "east"];
const PHANTOM: [&str; 5] = [
    "p3",
    "./../ibsi1_digital_phantom_image.nii.gz",
    "../ibsi1_digital_phantom_label.nii.gz",
    "1",
    "south",
];

/// Runs `radscore extract --batch <tmp>/sub/cases.csv` from `/` (so only the CSV's folder can
/// resolve the relative paths) and returns the exit code and the output file's text.
fn run(temp: &Path, extra: &[&str]) -> (Option<i32>, String) {
    let out = temp.join("out");
    let status = Command::new(env!("CARGO_BIN_EXE_radscore"))
        .current_dir("/")
        .args(["extract", "--batch"])
        .arg(temp.join("sub/cases.csv"))
        .arg("--params")
        .arg(temp.join("params.yaml"))
        .arg("--out")
        .arg(&out)
        .args(["--jobs", "2"])
        .args(extra)
        .status()
        .unwrap();
    (status.code(), std::fs::read_to_string(out).unwrap())
}

fn relative_difference(got: f64, want: f64) -> f64 {
    (got - want).abs() / want.abs()
}

#[test]
fn batch_row_carries_the_error_of_a_failing_case_and_the_batch_goes_on() {
    let Some(dir) = reference_dir() else { return };
    let temp = batch_folder(&dir, &[BREAST, MISSING, PHANTOM]);
    let (code, text) = run(temp.path(), &[]);
    assert_eq!(code, Some(1), "a failed case makes the exit status non-zero");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    assert_eq!(
        header,
        [
            "Patient",
            "Image",
            "Mask",
            "Label",
            "Site",
            "error",
            "original_firstorder_Mean"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let patients: Vec<&str> = rows.iter().map(|r| &r[0]).collect();
    assert_eq!(patients, ["p1", "p2", "p3"], "input order");
    let error = &rows[1][5];
    assert!(
        error.contains(&format!("{}/absent_image.nii.gz", temp.path().display())) && error.contains("No such file"),
        "{error}"
    );
    assert_eq!(&rows[1][6], "", "a failed case has no feature values");
    // PyRadiomics' command line on the same cases (fixture rows p1 and p2 are breast1 and the phantom).
    let pyradiomics = &commandline_fixture()["output_rows"];
    for (row, reference) in [(&rows[0], &pyradiomics[0]), (&rows[2], &pyradiomics[1])] {
        assert_eq!(&row[5], "", "{row:?}");
        let want: f64 = reference["original_firstorder_Mean"].as_str().unwrap().parse().unwrap();
        let got: f64 = row[6].parse().unwrap();
        assert!(relative_difference(got, want) <= 1e-12, "{got} vs PyRadiomics {want}");
    }
}

#[test]
fn json_lines_hold_one_object_per_case_in_input_order() {
    let Some(dir) = reference_dir() else { return };
    let temp = batch_folder(&dir, &[MISSING, BREAST, PHANTOM]);
    let (code, text) = run(temp.path(), &["--format", "json"]);
    assert_eq!(code, Some(1));
    let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 3);
    let patients: Vec<&str> = lines.iter().map(|l| l["Patient"].as_str().unwrap()).collect();
    assert_eq!(patients, ["p2", "p1", "p3"]);
    assert!(lines[0]["error"].as_str().unwrap().contains("absent_image.nii.gz"));
    assert!(lines[0].get("original_firstorder_Mean").is_none());
    assert!(lines[1]["error"].is_null());
    assert!(lines[1]["original_firstorder_Mean"].is_f64());
    assert_eq!(lines[2]["Site"], "south", "extra input columns are carried through");
}

#[test]
fn relative_paths_resolve_against_the_csv_folder_like_pyradiomics() {
    let Some(dir) = reference_dir() else { return };
    let fixture = commandline_fixture();
    let rows: Vec<[String; 5]> = fixture["input_rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| std::array::from_fn(|i| r[i].as_str().unwrap().to_owned()))
        .collect();
    let rows: Vec<[&str; 5]> = rows.iter().map(|r| r.each_ref().map(String::as_str)).collect();
    let temp = batch_folder(&dir, &rows);
    let (code, text) = run(temp.path(), &["--diagnostics"]);
    assert_eq!(code, Some(0), "{text}");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    let leading: Vec<&str> = fixture["output_leading_columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(header[..leading.len()], leading, "PyRadiomics' leading columns");
    assert_eq!(header[leading.len()], "error");
    assert_eq!(
        header[leading.len() + 1],
        "diagnostics_Versions_radscore",
        "diagnostics before features"
    );
    assert_eq!(header.last().unwrap(), "original_firstorder_Mean");
    let root = temp.path().display().to_string();
    for (row, reference) in reader
        .records()
        .map(Result::unwrap)
        .zip(fixture["output_rows"].as_array().unwrap())
    {
        for (i, column) in leading.iter().enumerate() {
            assert_eq!(
                row[i].replace(&root, "<tmp>"),
                reference[column].as_str().unwrap(),
                "{column}"
            );
        }
    }
}
