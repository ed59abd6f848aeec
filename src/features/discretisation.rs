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

/// [`value_range`] of the `values` whose `inside` flag is set, without a branch per value: eight
/// running extremes, each value or a neutral infinity chosen by its flag, which the compiler turns
/// into vector selects.
pub fn masked_value_range(values: &[f64], inside: &[bool]) -> Option<(f64, f64)> {
    assert_eq!(values.len(), inside.len(), "a flag for each value");
    const LANES: usize = 8;
    let (mut lo, mut hi) = ([f64::INFINITY; LANES], [f64::NEG_INFINITY; LANES]);
    let (value_chunks, inside_chunks) = (values.chunks_exact(LANES), inside.chunks_exact(LANES));
    let tail = value_chunks.remainder().iter().zip(inside_chunks.remainder());
    for (v, m) in value_chunks.zip(inside_chunks) {
        for l in 0..LANES {
            let (low, high) = if m[l] {
                (v[l], v[l])
            } else {
                (f64::INFINITY, f64::NEG_INFINITY)
            };
            lo[l] = lo[l].min(low);
            hi[l] = hi[l].max(high);
        }
    }
    let (min, max) = tail
        .filter(|(_, m)| **m)
        .map(|(v, _)| (*v, *v))
        .chain(lo.into_iter().zip(hi))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), (l, h)| {
            (lo.min(l), hi.max(h))
        });
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

/// [`digitize`] for many values against the same edges. PyRadiomics' edges are evenly spaced
/// (`arange`, `linspace`), so a value's level is guessed from its distance to the first edge and
/// checked against the two edges around it: two comparisons instead of a binary search. A guess
/// that rounding or the raised last edge puts off falls back to the search, so the levels are
/// [`digitize`]'s whatever the edges.
pub struct Digitizer<'a> {
    edges: &'a [f64],
    first: f64,
    bins_per_unit: f64,
}

impl<'a> Digitizer<'a> {
    /// A digitizer for increasing `edges`.
    pub fn new(edges: &'a [f64]) -> Digitizer<'a> {
        let (first, bins_per_unit) = match edges {
            [first, second, ..] => (*first, 1.0 / (second - first)),
            _ => (0.0, 0.0),
        };
        Digitizer {
            edges,
            first,
            bins_per_unit,
        }
    }

    /// `digitize(value, edges)`.
    pub fn level(&self, value: f64) -> u32 {
        let n = self.edges.len();
        // The number of edges ≤ value were they exactly evenly spaced: floor(offset) + 1, where `as`
        // truncates the non-negative sum (a plain conversion; `floor` is a libm call before
        // SSE4.1), saturates, and takes NaN to 0.
        let guess = ((((value - self.first) * self.bins_per_unit) + 1.0).max(0.0) as usize).min(n);
        let above_lower_edge = guess == 0 || self.edges[guess - 1] <= value;
        let below_upper_edge = guess == n || value < self.edges[guess];
        if above_lower_edge && below_upper_edge {
            guess as u32
        } else {
            digitize(value, self.edges)
        }
    }
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
    fn the_masked_value_range_is_that_of_the_values_inside() {
        let values: Vec<f64> = (0..37).map(|i| ((i * 7919) % 101) as f64 - 50.0).collect();
        for stride in [1, 2, 3, 5, 36, 40] {
            let inside: Vec<bool> = (0..37).map(|i| i % stride == 1).collect();
            let chosen = values.iter().zip(&inside).filter(|(_, m)| **m).map(|(v, _)| *v);
            assert_eq!(
                masked_value_range(&values, &inside),
                value_range(chosen),
                "every {stride}th value"
            );
        }
        assert_eq!(
            masked_value_range(&[1.0, f64::NAN, -3.0], &[true; 3]),
            Some((-3.0, 1.0))
        );
    }

    #[test]
    fn the_digitizer_gives_digitize_levels_for_every_kind_of_edges() {
        let range = (-1078.612060546875, 1162.6021728515625);
        let edge_sets = [
            fixed_width_edges(range, 25.0),
            fixed_width_edges(range, 0.1),
            fixed_width_edges((0.3, 0.3), 1.0),
            fixed_count_edges(range, 16),
            fixed_count_edges(range, 7),
            fixed_count_edges((2.0, 2.0), 3),
            vec![0.0, 1.0, 10.0, 11.0],
            vec![5.0],
            Vec::new(),
        ];
        for edges in &edge_sets {
            let digitizer = Digitizer::new(edges);
            // Every edge exactly, its neighbours one ulp away, values between and beyond.
            let around_edges = edges.iter().flat_map(|&e| [e, e.next_down(), e.next_up(), e + 0.37]);
            let sweep = (-3000..3000).map(|i| f64::from(i) * 0.7391);
            let special = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 0.0, -0.0];
            for value in around_edges.chain(sweep).chain(special) {
                assert_eq!(digitizer.level(value), digitize(value, edges), "{value} in {edges:?}");
            }
        }
    }

    #[test]
    fn fixed_count_puts_the_maximum_in_the_top_bin() {
        let edges = fixed_count_edges(value_range([0.0, 5.0, 10.0]).unwrap(), 4);
        assert_eq!(edges, vec![0.0, 2.5, 5.0, 7.5, 11.0]);
        assert_eq!(digitize(10.0, &edges), 4);
        assert_eq!(digitize(0.0, &edges), 1);
    }
}
