//! Stratified k-fold assignment for cross-validation, reproducible from a seed.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use super::fit::FitError;

/// Assigns each patient a fold in `0..k` so every fold holds as equal a share of each class as
/// possible (sklearn's `StratifiedKFold` idea): the patients of each class are shuffled with a
/// ChaCha8 generator seeded by `seed`, then dealt round-robin, non-responders first, the dealing
/// continuing across classes so fold sizes also differ by at most one.
pub fn stratified_folds(y: &[bool], k: usize, seed: u64) -> Result<Vec<usize>, FitError> {
    if k < 2 {
        return Err(FitError::Option(format!(
            "cross-validation needs at least 2 folds, got {k}"
        )));
    }
    for (class, name) in [(false, "non-responders"), (true, "responders")] {
        let count = y.iter().filter(|&&v| v == class).count();
        if count < k {
            return Err(FitError::TooFew(format!(
                "{count} {name} for {k}-fold stratified cross-validation (need at least {k})"
            )));
        }
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut order = Vec::with_capacity(y.len());
    for class in [false, true] {
        let mut members: Vec<usize> = (0..y.len()).filter(|&i| y[i] == class).collect();
        members.shuffle(&mut rng);
        order.extend(members);
    }
    Ok(deal_round_robin(&order, k))
}

/// Deals patients, in the given order, to folds 0, 1, …, k−1, 0, 1, …
fn deal_round_robin(order: &[usize], k: usize) -> Vec<usize> {
    let mut folds = vec![0; order.len()];
    for (position, &patient) in order.iter().enumerate() {
        folds[patient] = position % k;
    }
    folds
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dealing_is_round_robin_in_the_given_order() {
        // Order 4,0,3,1,2 into 2 folds: 4→0, 0→1, 3→0, 1→1, 2→0.
        assert_eq!(deal_round_robin(&[4, 0, 3, 1, 2], 2), vec![1, 1, 0, 0, 0]);
    }

    #[test]
    fn stratified_folds_balance_each_class_and_fold_size() {
        // 7 non-responders and 5 responders in 3 folds: non-responders 3/2/2 in folds 0/1/2,
        // responders continue the dealing at fold 1, so 2/2/1 shifted → fold sizes 4/4/4.
        let y: Vec<bool> = (0..12).map(|i| i % 5 == 0 || i % 3 == 0 && i > 5).collect();
        assert_eq!(y.iter().filter(|&&v| v).count(), 5);
        let folds = stratified_folds(&y, 3, 42).unwrap();
        let count = |f: usize, class: bool| (0..12).filter(|&i| folds[i] == f && y[i] == class).count();
        assert_eq!([count(0, false), count(1, false), count(2, false)], [3, 2, 2]);
        assert_eq!([count(0, true), count(1, true), count(2, true)], [1, 2, 2]);
        assert_eq!(folds, stratified_folds(&y, 3, 42).unwrap(), "same seed, same folds");
        assert_ne!(
            folds,
            stratified_folds(&y, 3, 43).unwrap(),
            "another seed shuffles differently"
        );
    }

    #[test]
    fn stratified_folds_refuse_fewer_patients_of_a_class_than_folds() {
        let y = [true, true, true, false, false, true];
        let err = stratified_folds(&y, 3, 1).unwrap_err();
        assert!(err.to_string().contains("2 non-responders for 3-fold"), "{err}");
    }
}
