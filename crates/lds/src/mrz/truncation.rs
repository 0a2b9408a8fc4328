//! Truncation of names that do not fit the MRZ name field (ICAO Doc 9303-4 §4.2.2 and
//! 9303-5 §4.2.2.3 "Truncation of the name", examples in 9303-5 §4.2.3).
//!
//! The standard fixes the outcome, not the method: the primary identifier is shortened until
//! `<<` and the first letter of the secondary identifier fit; the last position must then hold a
//! letter ("truncation may have occurred"); how components are shortened (initials, cut
//! components, fixed-length components) is the issuer's choice. Our strategy, on component
//! lengths only:
//!
//! 1. A name whose full form fits is never shortened.
//! 2. If the whole primary identifier, `<<` and one secondary letter fit, the primary identifier
//!    stays whole and the secondary identifier is shortened to fill the field exactly
//!    ("fill", below). This reproduces 9303-5 §4.2.3.1 a) `NILAVADHANANANDA<<CHAYAPA<DE<K`,
//!    b) `NILAVADHANANANDA<<ARNPOL<PE<CH` and §4.2.3.4 `VILARCHAO<FERNANDEZ<<JOSE<RAMO`.
//! 3. Otherwise the primary identifier is shortened first ("compact", below) within the width
//!    less three positions, and the secondary identifier fills what is left. This reproduces
//!    §4.2.3.2 a) `BENNELONG<WOOLOOMOOLOO<W<W<<DI`; the alternatives b) and c) of that example
//!    are other issuers' choices. If the whole secondary identifier then fits, the primary
//!    identifier is filled instead so that the field still ends in a letter.
//! 4. A name with only a primary identifier is filled to the width (rule 4 of the standard:
//!    remove characters until the last position is a letter).
//!
//! "Fill" a budget of `b` positions with components `c1…cn`: keep as many components as can
//! appear at least as initials (`2m − 1 ≤ b`), keep the leading components whole as long as every
//! later kept component can still keep its initial, and share the remaining letters evenly among
//! the later components, the earlier ones taking the odd letter. The result is exactly `b` long,
//! so a truncated field ends in a letter. The only exception: when every kept component is a
//! single letter and one position is left over, the last primary component that has two or more
//! letters gives one up so that one more initial fits.
//!
//! "Compact" a budget: the same choice of leading whole components, the others cut to initials
//! (the first component is cut to fill the space when not even it fits whole), leaving the rest
//! of the field to the secondary identifier.

/// Lengths of the kept components of each identifier (dropped components are absent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Plan {
    pub primary: Vec<usize>,
    pub secondary: Vec<usize>,
}

/// Rendered length of components joined by single fillers.
pub(crate) fn rendered(lengths: &[usize]) -> usize {
    lengths.iter().sum::<usize>() + lengths.len().saturating_sub(1)
}

/// How to shorten a name with the given component lengths to `width` positions; `None` when the
/// full name fits. `primary` must not be empty and `width` must be at least 4.
pub(crate) fn plan(primary: &[usize], secondary: &[usize], width: usize) -> Option<Plan> {
    let full_p = rendered(primary);
    let full_s = rendered(secondary);
    let total = if secondary.is_empty() {
        full_p
    } else {
        full_p + 2 + full_s
    };
    if total <= width {
        return None;
    }
    if secondary.is_empty() {
        return Some(Plan {
            primary: fill(primary, width),
            secondary: Vec::new(),
        });
    }
    let (mut p, mut s);
    if full_p + 3 <= width {
        p = primary.to_vec();
        s = fill(secondary, width - full_p - 2);
    } else {
        p = compact(primary, width.saturating_sub(3));
        let left = width.saturating_sub(rendered(&p) + 2);
        if full_s <= left {
            p = fill(primary, width.saturating_sub(full_s + 2));
            s = secondary.to_vec();
        } else {
            s = fill(secondary, left);
        }
    }
    let left = width.saturating_sub(rendered(&p) + 2);
    if rendered(&s) < left
        && s.len() < secondary.len()
        && let Some(l) = p.iter_mut().rev().find(|l| **l >= 2)
    {
        *l -= 1;
        s = fill(secondary, left + 1);
    }
    Some(Plan {
        primary: p,
        secondary: s,
    })
}

/// Number of components kept, and the letters available to them, within `budget`.
fn kept(count: usize, budget: usize) -> (usize, usize) {
    let m = count.min(budget.div_ceil(2));
    (m, budget.saturating_sub(m.saturating_sub(1)))
}

/// The leading components that stay whole (count and total letters), given that each of the
/// other `m` kept components needs at least one letter.
fn whole_prefix(lengths: &[usize], m: usize, letters: usize) -> (usize, usize) {
    let mut k = 0;
    let mut sum = 0;
    for &l in lengths.iter().take(m) {
        if sum + l + (m - k - 1) > letters {
            break;
        }
        sum += l;
        k += 1;
    }
    (k, sum)
}

/// Shortens components to render in exactly `budget` positions where possible (see the module
/// documentation).
fn fill(lengths: &[usize], budget: usize) -> Vec<usize> {
    let (m, letters) = kept(lengths.len(), budget);
    if m == 0 {
        return Vec::new();
    }
    let (k, sum) = whole_prefix(lengths, m, letters);
    let mut out: Vec<usize> = lengths.iter().take(k).copied().collect();
    let rest: Vec<usize> = lengths.iter().take(m).skip(k).copied().collect();
    out.extend(share(&rest, letters.saturating_sub(sum)));
    out
}

/// Shortens components to fit in `budget` positions, later components as initials.
fn compact(lengths: &[usize], budget: usize) -> Vec<usize> {
    let (m, letters) = kept(lengths.len(), budget);
    if m == 0 {
        return Vec::new();
    }
    let (k, _) = whole_prefix(lengths, m, letters);
    let mut out: Vec<usize> = lengths.iter().take(k).copied().collect();
    if k == 0 {
        let first = lengths.first().copied().unwrap_or(1);
        out.push(first.min(letters.saturating_sub(m - 1)).max(1));
        out.extend(std::iter::repeat_n(1, m - 1));
    } else {
        out.extend(std::iter::repeat_n(1, m - k));
    }
    out
}

/// Shares `total` letters among components of the given lengths: each at least one and at most
/// its length, as evenly as possible, earlier components first.
fn share(caps: &[usize], total: usize) -> Vec<usize> {
    let mut alloc = vec![0usize; caps.len()];
    let mut left = total;
    while left > 0 {
        let open = alloc.iter().zip(caps).filter(|(a, c)| a < c).count();
        if open == 0 {
            break;
        }
        let each = left / open;
        if each == 0 {
            for (a, c) in alloc.iter_mut().zip(caps) {
                if left == 0 {
                    break;
                }
                if *a < *c {
                    *a += 1;
                    left -= 1;
                }
            }
            break;
        }
        for (a, c) in alloc.iter_mut().zip(caps) {
            let give = each.min(c - *a);
            *a += give;
            left -= give;
        }
    }
    alloc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_fit_are_not_planned() {
        assert_eq!(plan(&[8], &[4, 5], 30), None);
        // PAPANDROPOULOUS<<JONATHON<ALEC is exactly 30 (9303-5 §4.2.3.3).
        assert_eq!(plan(&[15], &[8, 4], 30), None);
    }

    #[test]
    fn secondary_is_filled_evenly_after_whole_leading_components() {
        // NILAVADHANANANDA, CHAYAPA DEJTHAMRONG KRASUANG → CHAYAPA<DE<K
        assert_eq!(
            plan(&[16], &[7, 11, 8], 30).unwrap().secondary,
            vec![7, 2, 1]
        );
        // NILAVADHANANANDA, ARNPOL PETCH CHARONGUANG → ARNPOL<PE<CH
        assert_eq!(
            plan(&[16], &[6, 5, 11], 30).unwrap().secondary,
            vec![6, 2, 2]
        );
    }

    #[test]
    fn long_primary_keeps_whole_leading_components_and_initials() {
        // BENNELONG WOOLOOMOOLOO WARRANDYTE WARNAMBOOL, DINGO POTOROO → …<W<W<<DI
        let p = plan(&[9, 12, 10, 10], &[5, 7], 30).unwrap();
        assert_eq!(p.primary, vec![9, 12, 1, 1]);
        assert_eq!(p.secondary, vec![2]);
    }

    #[test]
    fn share_is_even_and_capped() {
        assert_eq!(share(&[11, 8], 3), vec![2, 1]);
        assert_eq!(share(&[5, 11], 4), vec![2, 2]);
        assert_eq!(share(&[1, 9, 9], 9), vec![1, 4, 4]);
        assert_eq!(share(&[2, 2], 10), vec![2, 2]);
    }

    #[test]
    fn single_letter_components_borrow_from_the_primary() {
        // Primary 20 letters, secondary initials A B C D E F: 30 − 22 = 8 positions for
        // "A<B<C<D" (7) — one left, so the primary gives a letter up for "<E".
        let p = plan(&[20], &[1, 1, 1, 1, 1, 1], 30).unwrap();
        assert_eq!(p.primary, vec![19]);
        assert_eq!(p.secondary, vec![1, 1, 1, 1, 1]);
        assert_eq!(rendered(&p.primary) + 2 + rendered(&p.secondary), 30);
    }

    /// Exhaustive check of the invariants over small names.
    #[test]
    fn plans_keep_the_invariants() {
        let lens = [1usize, 2, 3, 7, 12, 25];
        let mut shapes: Vec<Vec<usize>> = vec![vec![]];
        for _ in 0..3 {
            let mut next = Vec::new();
            for s in &shapes {
                for &l in &lens {
                    let mut t = s.clone();
                    t.push(l);
                    next.push(t);
                }
            }
            shapes.extend(next);
        }
        shapes.sort();
        shapes.dedup();
        for width in [30usize, 39] {
            for p in shapes.iter().filter(|s| !s.is_empty()) {
                for s in &shapes {
                    check(p, s, width);
                }
            }
        }
    }

    fn check(primary: &[usize], secondary: &[usize], width: usize) {
        let Some(plan) = plan(primary, secondary, width) else {
            return;
        };
        let ctx = format!("{primary:?} {secondary:?} {width}");
        let len = if secondary.is_empty() {
            rendered(&plan.primary)
        } else {
            rendered(&plan.primary) + 2 + rendered(&plan.secondary)
        };
        assert!(len <= width, "{ctx}: {plan:?} is {len} long");
        assert!(!plan.primary.is_empty(), "{ctx}");
        assert_eq!(plan.secondary.is_empty(), secondary.is_empty(), "{ctx}");
        for (kept, orig) in [(&plan.primary, primary), (&plan.secondary, secondary)] {
            assert!(kept.len() <= orig.len(), "{ctx}");
            for (k, o) in kept.iter().zip(orig) {
                assert!(*k >= 1 && k <= o, "{ctx}: {plan:?}");
            }
        }
        let all_initials = plan.primary.iter().chain(&plan.secondary).all(|&l| l == 1);
        assert!(
            len == width || all_initials,
            "{ctx}: {plan:?} ends in a filler"
        );
    }
}
