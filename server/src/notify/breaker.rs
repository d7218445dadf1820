//! A circuit breaker per provider: after `threshold` consecutive failures it opens and
//! refuses calls for `cool_down` (messages wait in the queue); then it half-opens and
//! lets one probe through; the probe's success closes it, its failure reopens it.
//! Pure state and transitions; the caller supplies the clock.

use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    Closed,
    Open,
    HalfOpen,
}

impl BreakerState {
    pub fn as_str(self) -> &'static str {
        match self {
            BreakerState::Closed => "closed",
            BreakerState::Open => "open",
            BreakerState::HalfOpen => "half_open",
        }
    }

    /// For the metric: 0 closed, 1 half-open, 2 open.
    pub fn level(self) -> f64 {
        match self {
            BreakerState::Closed => 0.0,
            BreakerState::HalfOpen => 1.0,
            BreakerState::Open => 2.0,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Breaker {
    threshold: u32,
    cool_down: Duration,
    failures: u32,
    opened_at: Option<Instant>,
    probing: bool,
}

impl Breaker {
    pub fn new(threshold: u32, cool_down: Duration) -> Breaker {
        Breaker { threshold: threshold.max(1), cool_down, failures: 0, opened_at: None, probing: false }
    }

    pub fn state(&self, now: Instant) -> BreakerState {
        match self.opened_at {
            None => BreakerState::Closed,
            Some(at) if now.duration_since(at) < self.cool_down => BreakerState::Open,
            Some(_) => BreakerState::HalfOpen,
        }
    }

    /// May a call go through now? `Err(wait)`: not before `wait` has passed.
    pub fn allow(&mut self, now: Instant) -> Result<(), Duration> {
        match self.state(now) {
            BreakerState::Closed => Ok(()),
            BreakerState::Open => {
                let at = self.opened_at.expect("open has a time");
                Err(self.cool_down.saturating_sub(now.duration_since(at)).max(Duration::from_millis(100)))
            }
            BreakerState::HalfOpen if self.probing => Err(self.cool_down.min(Duration::from_secs(5))),
            BreakerState::HalfOpen => {
                self.probing = true;
                Ok(())
            }
        }
    }

    pub fn on_success(&mut self) {
        self.failures = 0;
        self.opened_at = None;
        self.probing = false;
    }

    pub fn on_failure(&mut self, now: Instant) {
        self.failures = self.failures.saturating_add(1);
        if self.probing || self.failures >= self.threshold {
            self.opened_at = Some(now);
            self.probing = false;
        }
    }

    /// A call that was allowed ended without telling us about the provider (its task
    /// was cancelled): let another probe through.
    pub fn on_abandoned(&mut self) {
        self.probing = false;
    }

    pub fn consecutive_failures(&self) -> u32 {
        self.failures
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_threshold_then_half_opens_and_closes_on_a_good_probe() {
        let t0 = Instant::now();
        let mut b = Breaker::new(5, Duration::from_secs(30));
        for _ in 0..4 {
            assert!(b.allow(t0).is_ok());
            b.on_failure(t0);
        }
        assert_eq!(b.state(t0), BreakerState::Closed);
        b.on_failure(t0);
        assert_eq!(b.state(t0), BreakerState::Open);
        let wait = b.allow(t0 + Duration::from_secs(10)).unwrap_err();
        assert_eq!(wait, Duration::from_secs(20));
        let later = t0 + Duration::from_secs(31);
        assert_eq!(b.state(later), BreakerState::HalfOpen);
        assert!(b.allow(later).is_ok(), "one probe");
        assert!(b.allow(later).is_err(), "only one probe at a time");
        b.on_success();
        assert_eq!(b.state(later), BreakerState::Closed);
        assert!(b.allow(later).is_ok());
    }

    #[test]
    fn a_failed_probe_reopens_for_a_full_cool_down() {
        let t0 = Instant::now();
        let mut b = Breaker::new(1, Duration::from_secs(30));
        b.on_failure(t0);
        let probe_at = t0 + Duration::from_secs(30);
        assert!(b.allow(probe_at).is_ok());
        b.on_failure(probe_at);
        assert_eq!(b.state(probe_at + Duration::from_secs(29)), BreakerState::Open);
        assert_eq!(b.state(probe_at + Duration::from_secs(30)), BreakerState::HalfOpen);
    }

    #[test]
    fn a_success_resets_the_failure_count() {
        let t0 = Instant::now();
        let mut b = Breaker::new(3, Duration::from_secs(30));
        b.on_failure(t0);
        b.on_failure(t0);
        b.on_success();
        b.on_failure(t0);
        b.on_failure(t0);
        assert_eq!(b.state(t0), BreakerState::Closed);
        assert_eq!(b.consecutive_failures(), 2);
    }
}
