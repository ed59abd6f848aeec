//! One 1-D filter applied to every line of a volume along an axis, with lines processed in blocks
//! of neighbours: the shared loop of the separable filters (the B-spline prefilter here, LoG's
//! recursive Gaussian and the wavelet transform in `features::filters`).

use std::ops::Range;

use ndarray::{Array3, ArrayBase, ArrayView2, ArrayViewMut2, Axis, Data, Ix3, Zip, s};
use rayon::prelude::*;

/// Parallel lines filtered together: enough to stream whole cache lines and overlap the
/// per-line arithmetic, few enough that the block's buffers stay in cache.
const LINES_PER_BLOCK: usize = 64;

/// Runs `kernel` on every line of `input` along `axis` and stores the `keep` part of its output
/// (sample positions along `axis`) through `store`: the result has `input`'s shape except for
/// `keep.len()` samples along `axis`. A separable filter whose result is needed on a box only
/// filters every line through the box, but keeps only the box's samples: the next axis then has
/// fewer lines to filter.
///
/// Lines are handed over in blocks of `w` neighbouring parallel lines, interleaved: sample `i` of
/// line `k` is `block[i * w + k]`, and the kernel writes output sample `keep.start + i` of line `k`
/// to `out[i * w + k]` (it is given `keep`). A kernel that treats each line alone, in the same order
/// as line by line, gives the same values, while the CPU overlaps the lines' independent arithmetic
/// (and vectorises it across `k`), and strided z and y lines are read a cache line at a time.
///
/// Blocks run in parallel on rayon's pool, each task with its own `K` (the kernel's working
/// memory, created by `Default`) and each block writing its own part of the output.
pub fn map_lines_along<S, T, U, K>(
    input: &ArrayBase<S, Ix3>,
    axis: Axis,
    keep: Range<usize>,
    store: impl Fn(f64) -> U + Sync,
    kernel: impl Fn(&mut K, &[f64], &mut [f64], usize, Range<usize>) + Sync,
) -> Array3<U>
where
    S: Data<Elem = T>,
    T: Copy + Into<f64> + Sync,
    U: Copy + Default + Send,
    K: Default,
{
    let input = input.as_standard_layout();
    let len = input.len_of(axis);
    assert!(keep.end <= len, "kept samples {keep:?} outside lines of {len}");
    let (nz, ny, nx) = input.dim();
    let mut shape = [nz, ny, nx];
    shape[axis.index()] = keep.len();
    let mut out = Array3::from_elem(shape, U::default());
    // Every line as a column of a (samples × lines) matrix: z lines are the columns of the whole
    // volume seen as (z, y·x); y lines those of each z plane, x lines those of each transposed plane.
    let (sources, targets): (Vec<ArrayView2<T>>, Vec<ArrayViewMut2<U>>) = match axis.index() {
        0 => (
            vec![
                input
                    .view()
                    .into_shape_with_order((nz, ny * nx))
                    .expect("standard layout"),
            ],
            vec![
                out.view_mut()
                    .into_shape_with_order((keep.len(), ny * nx))
                    .expect("standard layout"),
            ],
        ),
        1 => (input.axis_iter(Axis(0)).collect(), out.axis_iter_mut(Axis(0)).collect()),
        _ => (
            input.axis_iter(Axis(0)).map(|p| p.reversed_axes()).collect(),
            out.axis_iter_mut(Axis(0)).map(|p| p.reversed_axes()).collect(),
        ),
    };
    let blocks: Vec<(ArrayView2<T>, ArrayViewMut2<U>)> = sources
        .into_iter()
        .zip(targets)
        .flat_map(|(source, target)| {
            let mut first = 0;
            column_blocks(target).into_iter().map(move |block| {
                let lines = first..first + block.ncols();
                first = lines.end;
                (source.slice_move(s![.., lines]), block)
            })
        })
        .collect();
    // A few tasks per thread: enough to balance the load, few enough that allocating each task's
    // scratch stays negligible.
    let per_task = blocks.len().div_ceil(4 * rayon::current_num_threads());
    blocks.into_par_iter().with_min_len(per_task.max(1)).for_each_init(
        || {
            (
                K::default(),
                vec![0.0; len * LINES_PER_BLOCK],
                vec![0.0; keep.len() * LINES_PER_BLOCK],
            )
        },
        |(scratch, block, filtered), (source, mut target)| {
            let w = source.ncols();
            let (block, filtered) = (&mut block[..len * w], &mut filtered[..keep.len() * w]);
            Zip::from(ArrayViewMut2::from_shape((len, w), &mut *block).expect("len × w"))
                .and(&source)
                .for_each(|b, &v| *b = v.into());
            kernel(scratch, block, filtered, w, keep.clone());
            Zip::from(&mut target)
                .and(ArrayView2::from_shape((keep.len(), w), &*filtered).expect("kept × w"))
                .for_each(|o, &v| *o = store(v));
        },
    );
    out
}

/// `matrix` split into blocks of at most [`LINES_PER_BLOCK`] columns, in order.
fn column_blocks<U>(mut matrix: ArrayViewMut2<'_, U>) -> Vec<ArrayViewMut2<'_, U>> {
    let mut blocks = Vec::with_capacity(matrix.ncols().div_ceil(LINES_PER_BLOCK));
    while matrix.ncols() > LINES_PER_BLOCK {
        let (block, rest) = matrix.split_at(Axis(1), LINES_PER_BLOCK);
        blocks.push(block);
        matrix = rest;
    }
    if matrix.ncols() > 0 {
        blocks.push(matrix);
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_along_each_axis_reaches_the_kernel_once_in_order_on_any_number_of_threads() {
        // A kernel replacing each sample by the running sum of its line exposes both the grouping
        // of samples into lines and their order along the axis; the sums run in the task's scratch,
        // reused from block to block. 130 × 70 lines along z make blocks that straddle rows of the
        // plane, and 3 threads split the blocks between tasks. Keeping part of each line must give
        // that part of the whole result.
        let image = Array3::from_shape_fn((3, 130, 70), |(z, y, x)| (z * 100_000 + y * 100 + x) as f64);
        for threads in [1, 3] {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            for axis in 0..3 {
                let len = image.len_of(Axis(axis));
                let mut want = image.clone();
                want.accumulate_axis_inplace(Axis(axis), |&previous, current| *current += previous);
                for keep in [0..len, 1..len - 1, len - 1..len] {
                    let got = pool.install(|| {
                        map_lines_along(
                            &image,
                            Axis(axis),
                            keep.clone(),
                            |v| v,
                            |sums: &mut Vec<f64>, block, out, w, keep| {
                                sums.resize(w, 0.0);
                                for (i, row) in block.chunks_exact(w).enumerate() {
                                    for (k, &v) in row.iter().enumerate() {
                                        sums[k] = if i == 0 { v } else { sums[k] + v };
                                        if keep.contains(&i) {
                                            out[(i - keep.start) * w + k] = sums[k];
                                        }
                                    }
                                }
                            },
                        )
                    });
                    assert_eq!(
                        got,
                        want.slice_axis(Axis(axis), keep.clone().into()),
                        "axis {axis}, kept {keep:?}, {threads} threads"
                    );
                }
            }
        }
    }
}
