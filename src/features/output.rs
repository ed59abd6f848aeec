//! Writing a [`FeatureVector`] the way `radscore extract` prints it, keeping PyRadiomics' order.

use super::FeatureVector;

/// A flat JSON object `{"original_firstorder_Mean": 825.2, ...}` in the vector's order. Non-finite
/// values (PyRadiomics' NaN for a failed feature) become `null`, as JSON has no NaN.
pub fn to_json(features: &FeatureVector) -> String {
    let members: Vec<String> = features
        .iter()
        .map(|(name, value)| format!("{}: {}", serde_json::Value::from(name.as_str()), json_number(*value)))
        .collect();
    format!("{{{}}}", members.join(", "))
}

fn json_number(value: f64) -> serde_json::Value {
    serde_json::Number::from_f64(value).map_or(serde_json::Value::Null, serde_json::Value::Number)
}

/// Two CSV lines: the feature names, then their values (shortest round-trip form).
pub fn to_csv(features: &FeatureVector) -> Result<String, csv::Error> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(features.iter().map(|(name, _)| name.as_str()))?;
    writer.write_record(features.iter().map(|(_, value)| value.to_string()))?;
    let bytes = writer.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8(bytes).expect("CSV of UTF-8 names and numbers is UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> FeatureVector {
        vec![
            ("original_shape_VoxelVolume".into(), 12.5),
            ("original_firstorder_Mean".into(), -0.1),
            ("original_glcm_Imc1".into(), f64::NAN),
        ]
    }

    #[test]
    fn json_keeps_pyradiomics_order_and_writes_nan_as_null() {
        let json = to_json(&sample());
        assert_eq!(
            json,
            r#"{"original_shape_VoxelVolume": 12.5, "original_firstorder_Mean": -0.1, "original_glcm_Imc1": null}"#
        );
        let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(parsed["original_firstorder_Mean"], -0.1);
    }

    #[test]
    fn csv_has_a_header_row_and_a_value_row() {
        let csv = to_csv(&sample()).unwrap();
        assert_eq!(
            csv,
            "original_shape_VoxelVolume,original_firstorder_Mean,original_glcm_Imc1\n12.5,-0.1,NaN\n"
        );
    }
}
