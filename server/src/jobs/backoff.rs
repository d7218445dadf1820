//! Retry delays: exponential from `base`, capped, with "full jitter" (a uniform draw
//! below the exponential bound), so jobs failing together do not retry together.

use std::time::Duration;

#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
}

impl Default for Backoff {
    fn default() -> Backoff {
        Backoff { base: Duration::from_secs(2), cap: Duration::from_secs(60 * 60) }
    }
}

impl Backoff {
    /// The upper bound after the `attempt`-th failure (1-based): base × 2^(attempt−1), capped.
    pub fn ceiling(&self, attempt: i32) -> Duration {
        let exp = attempt.clamp(1, 31) as u32 - 1;
        self.base.saturating_mul(2u32.saturating_pow(exp)).min(self.cap)
    }

    /// The delay to wait, given a uniform draw `unit` in [0, 1). Never below half the
    /// ceiling, so a retry storm still spreads without retrying at once.
    pub fn delay(&self, attempt: i32, unit: f64) -> Duration {
        let ceiling = self.ceiling(attempt);
        let unit = unit.clamp(0.0, 1.0);
        ceiling.mul_f64(0.5 + unit / 2.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn doubles_then_caps() {
        let b = Backoff { base: Duration::from_secs(1), cap: Duration::from_secs(30) };
        let ceilings: Vec<u64> = (1..=7).map(|a| b.ceiling(a).as_secs()).collect();
        assert_eq!(ceilings, [1, 2, 4, 8, 16, 30, 30]);
    }

    proptest! {
        #[test]
        fn delay_stays_between_half_and_whole_ceiling(attempt in -5i32..200, unit in 0.0f64..1.0) {
            let b = Backoff::default();
            let d = b.delay(attempt, unit);
            prop_assert!(d >= b.ceiling(attempt) / 2);
            prop_assert!(d <= b.ceiling(attempt));
            prop_assert!(d <= b.cap);
        }

        #[test]
        fn later_attempts_never_have_a_lower_ceiling(attempt in 1i32..100) {
            let b = Backoff::default();
            prop_assert!(b.ceiling(attempt + 1) >= b.ceiling(attempt));
        }
    }
}
