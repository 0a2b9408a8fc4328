//! Quality decisions on captured biometrics: ICAO / ISO/IEC 29794-5 portrait checks and
//! ISO/IEC 29794-4 (NFIQ 2-style) fingerprint quality.
//!
//! Quality findings are data, not errors (ARCHITECTURE.md §3): an assessment returns a verdict
//! with reasons an operator can act on. Only this module makes [`Accepted`] values, so a sample
//! that reaches the chip builder has passed its quality gate.

pub mod face;

pub use permitkit_model::verdict::Verdict;

pub mod finger;

/// A sample that passed its quality gate, with the report that admitted it.
#[derive(Debug, Clone)]
pub struct Accepted<T, R> {
    sample: T,
    report: R,
}

impl<T, R> Accepted<T, R> {
    /// Admits `sample`; only quality assessments call this.
    pub(crate) fn new(sample: T, report: R) -> Self {
        Self { sample, report }
    }

    /// The accepted sample.
    pub fn sample(&self) -> &T {
        &self.sample
    }

    /// The report that admitted it.
    pub fn report(&self) -> &R {
        &self.report
    }

    /// Both parts.
    pub fn into_parts(self) -> (T, R) {
        (self.sample, self.report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worst_verdict_wins() {
        assert_eq!(Verdict::Pass.worst(Verdict::Warn), Verdict::Warn);
        assert_eq!(Verdict::Fail.worst(Verdict::Warn), Verdict::Fail);
        assert_eq!(Verdict::Pass.worst(Verdict::Pass), Verdict::Pass);
    }
}
