//! Grey-level discretisation exactly as PyRadiomics' `imageoperations.getBinEdges` and `binImage`
//! (numpy `arange`/`histogram` edges, then `digitize`), so bin indices agree bit for bit.

/// The smallest and largest of `values` (the region's intensities), what the edges depend on;
/// `None` when there are none.
pub fn value_range(values: impl IntoIterator<Item = f64>) -> Option<(f64, f64)> {
    let (min, max) = values
        .into_iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    (min <= max).then_some((min, max))
}

/// Bin edges for a fixed bin width: anchored at the largest multiple of `bin_width` not above the
/// minimum, reaching past the maximum (PyRadiomics `getBinEdges`, fixed-width branch); `(min, max)`
/// is the [`value_range`].
///
/// A flat region gets the two edges `[e − 0.5, e + 0.5]`, i.e. one bin.
///
/// # Panics
/// If `bin_width` is not positive; callers check it.
pub fn fixed_width_edges((min, max): (f64, f64), bin_width: f64) -> Vec<f64> {
    assert!(bin_width > 0.0, "fixed_width_edges needs a positive width");
    let low = min - python_mod(min, bin_width);
    let high = max + 2.0 * bin_width;
    let edges = numpy_arange(low, high, bin_width);
    if edges.len() == 1 {
        vec![edges[0] - 0.5, edges[0] + 0.5]
    } else {
        edges
    }
}

/// Bin edges for a fixed bin count: `numpy.histogram(values, bin_count)` edges with the last edge
/// raised by 1 so the maximum falls in the top bin (PyRadiomics `getBinEdges`, binCount branch);
/// `(first, last)` is the [`value_range`].
///
/// # Panics
/// If `bin_count` is 0.
pub fn fixed_count_edges((mut first, mut last): (f64, f64), bin_count: u32) -> Vec<f64> {
    assert!(bin_count > 0, "fixed_count_edges needs at least one bin");
    if first == last {
        first -= 0.5;
        last += 0.5;
    }
    let mut edges = numpy_linspace(first, last, bin_count as usize + 1);
    *edges.last_mut().expect("at least two edges") += 1.0;
    edges
}

/// `numpy.digitize(value, edges)` for increasing edges: the number of edges ≤ `value`, which is
/// PyRadiomics' 1-based grey level.
pub fn digitize(value: f64, edges: &[f64]) -> u32 {
    edges.partition_point(|&e| e <= value) as u32
}

/// Python's float `%`: the result takes the sign of the divisor.
fn python_mod(x: f64, m: f64) -> f64 {
    let r = x % m;
    if r != 0.0 && ((m < 0.0) != (r < 0.0)) { r + m } else { r }
}

/// `numpy.arange(start, stop, step)` for floats: length `ceil((stop − start) / step)` and values
/// `start + i·δ` with `δ = (start + step) − start`, as numpy's fill computes them.
fn numpy_arange(start: f64, stop: f64, step: f64) -> Vec<f64> {
    let len = ((stop - start) / step).ceil().max(0.0) as usize;
    let delta = (start + step) - start;
    (0..len).map(|i| start + i as f64 * delta).collect()
}

/// `numpy.linspace(start, stop, num)` with the endpoint: `start + i·step`, last value exactly `stop`.
fn numpy_linspace(start: f64, stop: f64, num: usize) -> Vec<f64> {
    let div = (num - 1) as f64;
    let step = (stop - start) / div;
    let mut v: Vec<f64> = (0..num).map(|i| i as f64 * step + start).collect();
    if let Some(last) = v.last_mut() {
        *last = stop;
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_width_bins_are_anchored_at_multiples_of_the_width_not_the_minimum() {
        // min 468 → first edge 450 (18 × 25), so 468 is level 1 and 500 is level 3.
        let edges = fixed_width_edges(value_range([468.0, 499.0, 500.0, 1266.0]).unwrap(), 25.0);
        assert_eq!(edges[0], 450.0);
        assert_eq!(digitize(468.0, &edges), 1);
        assert_eq!(digitize(499.0, &edges), 2);
        assert_eq!(digitize(500.0, &edges), 3);
        assert_eq!(*edges.last().unwrap(), 1300.0);
    }

    #[test]
    fn negative_minimum_uses_python_modulo() {
        let edges = fixed_width_edges(value_range([-1024.0, -1000.0, -990.0]).unwrap(), 25.0);
        assert_eq!(edges[0], -1025.0);
        assert_eq!(digitize(-1024.0, &edges), 1);
        assert_eq!(digitize(-1000.0, &edges), 2);
    }

    #[test]
    fn flat_region_gets_a_single_bin() {
        // arange(50, 100, 25) = [50, 75]: one half-open bin holding the value.
        let edges = fixed_width_edges(value_range([50.0, 50.0]).unwrap(), 25.0);
        assert_eq!(edges, vec![50.0, 75.0]);
        assert_eq!(digitize(50.0, &edges), 1);
    }

    #[test]
    fn the_value_range_spans_the_values_and_is_none_without_any() {
        assert_eq!(value_range([]), None);
        assert_eq!(value_range([3.0, -2.5, 7.0]), Some((-2.5, 7.0)));
    }

    #[test]
    fn fixed_count_puts_the_maximum_in_the_top_bin() {
        let edges = fixed_count_edges(value_range([0.0, 5.0, 10.0]).unwrap(), 4);
        assert_eq!(edges, vec![0.0, 2.5, 5.0, 7.5, 11.0]);
        assert_eq!(digitize(10.0, &edges), 4);
        assert_eq!(digitize(0.0, &edges), 1);
    }
}
