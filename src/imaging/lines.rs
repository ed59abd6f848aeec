//! One 1-D filter applied to every line of a volume along an axis, with lines processed in blocks
//! of neighbours: the shared loop of the separable filters (the B-spline prefilter here, LoG's
//! recursive Gaussian and the wavelet transform in `features::filters`).

use ndarray::{Array3, ArrayBase, Axis, Data, Ix3};

/// Parallel lines filtered together: enough to stream whole cache lines and overlap the
/// per-line arithmetic, few enough that the block's buffers stay in cache.
const LINES_PER_BLOCK: usize = 64;

/// Runs `kernel` on every line of `input` along `axis` and stores its output through `store`.
///
/// Lines are handed over in blocks of `w` neighbouring parallel lines, interleaved: sample `i` of
/// line `k` is `block[i * w + k]`, and the kernel writes output sample `i` of line `k` to
/// `out[i * w + k]`. A kernel that treats each line alone, in the same order as line by line,
/// gives the same values, while the CPU overlaps the lines' independent arithmetic (and
/// vectorises it across `k`), and strided z and y lines are read a cache line at a time.
pub fn map_lines_along<S: Data<Elem = T>, T: Copy + Into<f64>, U: Copy + Default>(
    input: &ArrayBase<S, Ix3>,
    axis: Axis,
    store: impl Fn(f64) -> U,
    mut kernel: impl FnMut(&[f64], &mut [f64], usize),
) -> Array3<U> {
    let input = input.as_standard_layout();
    let (nz, ny, nx) = input.dim();
    // Sample i of line k in slab b sits at b·ny·nx + i·along + k·across.
    let (slabs, len, along, lines, across) = match axis.index() {
        0 => (1, nz, ny * nx, ny * nx, 1),
        1 => (nz, ny, nx, nx, 1),
        _ => (nz, nx, 1, ny, nx),
    };
    let src = input.as_slice().expect("standard layout is contiguous");
    let mut out = vec![U::default(); src.len()];
    let width = LINES_PER_BLOCK.min(lines);
    let mut block = vec![0.0; len * width];
    let mut filtered = vec![0.0; len * width];
    for slab in 0..slabs {
        for first in (0..lines).step_by(width.max(1)) {
            let w = width.min(lines - first);
            let offset = |i: usize, k: usize| slab * ny * nx + i * along + (first + k) * across;
            for i in 0..len {
                for k in 0..w {
                    block[i * w + k] = src[offset(i, k)].into();
                }
            }
            kernel(&block[..len * w], &mut filtered[..len * w], w);
            for i in 0..len {
                for k in 0..w {
                    out[offset(i, k)] = store(filtered[i * w + k]);
                }
            }
        }
    }
    Array3::from_shape_vec((nz, ny, nx), out).expect("same number of voxels")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_along_each_axis_reaches_the_kernel_once_in_order() {
        // A kernel replacing each sample by the running sum of its line exposes both the grouping
        // of samples into lines and their order along the axis.
        let image = Array3::from_shape_fn((3, 4, 70), |(z, y, x)| (z * 1000 + y * 100 + x) as f64);
        for axis in 0..3 {
            let got = map_lines_along(
                &image,
                Axis(axis),
                |v| v,
                |block, out, w| {
                    let len = block.len() / w;
                    for k in 0..w {
                        let mut sum = 0.0;
                        for i in 0..len {
                            sum += block[i * w + k];
                            out[i * w + k] = sum;
                        }
                    }
                },
            );
            let mut want = image.clone();
            want.accumulate_axis_inplace(Axis(axis), |&previous, current| *current += previous);
            assert_eq!(got, want, "axis {axis}");
        }
    }
}
