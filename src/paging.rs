//! Pages of large lists without sorting whole stores: [`sort_first`] orders only the
//! rows a page shows (and those it skips), in time linear in the list.

use std::cmp::Ordering;

/// Keeps the first `k` rows of `rows` in `order` and drops the rest: a linear
/// selection, then a sort of those `k` only.
pub fn sort_first<T>(rows: &mut Vec<T>, k: usize, mut order: impl FnMut(&T, &T) -> Ordering) {
    if k == 0 {
        rows.clear();
        return;
    }
    if rows.len() > k {
        rows.select_nth_unstable_by(k - 1, &mut order);
        rows.truncate(k);
    }
    rows.sort_unstable_by(order);
}

#[cfg(test)]
mod tests {
    use super::sort_first;

    #[test]
    fn keeps_exactly_the_first_rows_of_a_full_sort() {
        let all: Vec<u32> = (0..200).map(|i| (i * 7919) % 211).collect();
        let mut sorted = all.clone();
        sorted.sort_unstable();
        for k in [0, 1, 5, 199, 200, 500] {
            let mut rows = all.clone();
            sort_first(&mut rows, k, u32::cmp);
            assert_eq!(rows, sorted[..k.min(200)], "k = {k}");
        }
    }
}
