//! Splitting one series into volumes (stacks) when its slices or frames repeat the same positions
//! for several temporal positions or b-values, and choosing one by index.

use serde::Serialize;

use super::DicomError;
use super::header::{SliceHeader, StackKey};

/// One volume of a series that holds several, as listed when the caller must choose.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StackSummary {
    /// The 0-based `volume` index that selects it.
    pub index: usize,
    /// What sets it apart, e.g. `TemporalPositionIndex 2` or `DiffusionBValue 800`.
    pub distinguishing: String,
    /// Number of slices (frames) in it.
    pub frames: usize,
}

impl std::fmt::Display for StackSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.distinguishing.as_str() {
            "" => write!(f, "{}: {} frame(s)", self.index, self.frames),
            what => write!(f, "{}: {what} ({} frame(s))", self.index, self.frames),
        }
    }
}

/// Orders key values numerically when both are numbers (temporal index 10 after 9), else as text.
fn compare_keys(a: &StackKey, b: &StackKey) -> std::cmp::Ordering {
    let value = |v: &str| v.parse::<f64>().ok();
    for ((_, x), (_, y)) in a.iter().zip(b) {
        let order = match (value(x), value(y)) {
            (Some(x), Some(y)) => x.total_cmp(&y),
            _ => x.cmp(y),
        };
        if order.is_ne() {
            return order;
        }
    }
    a.len().cmp(&b.len())
}

fn describe(key: &StackKey) -> String {
    key.iter()
        .map(|(keyword, value)| format!("{keyword} {value}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Groups `slices` by what distinguishes their volume, ordered by those values.
fn split(slices: Vec<SliceHeader>) -> Vec<(StackKey, Vec<SliceHeader>)> {
    let mut stacks: Vec<(StackKey, Vec<SliceHeader>)> = Vec::new();
    for slice in slices {
        match stacks.iter_mut().find(|(key, _)| *key == slice.stack) {
            Some((_, members)) => members.push(slice),
            None => stacks.push((slice.stack.clone(), vec![slice])),
        }
    }
    stacks.sort_by(|a, b| compare_keys(&a.0, &b.0));
    stacks
}

/// The slices of the volume `volume` (0-based) of a series. A series holding one volume needs no
/// index (or 0); one holding several needs one, and the error lists them.
pub(crate) fn choose_stack(slices: Vec<SliceHeader>, volume: Option<usize>) -> Result<Vec<SliceHeader>, DicomError> {
    let mut stacks = split(slices);
    let summaries = || -> Vec<StackSummary> {
        stacks
            .iter()
            .enumerate()
            .map(|(index, (key, members))| StackSummary {
                index,
                distinguishing: describe(key),
                frames: members.len(),
            })
            .collect()
    };
    match volume {
        None if stacks.len() > 1 => Err(DicomError::VolumeRequired { stacks: summaries() }),
        None => Ok(stacks.pop().map(|(_, members)| members).unwrap_or_default()),
        Some(index) if index >= stacks.len() => Err(DicomError::VolumeOutOfRange {
            volume: index,
            stacks: summaries(),
        }),
        Some(index) => Ok(stacks.swap_remove(index).1),
    }
}
