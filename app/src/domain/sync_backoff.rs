//! When a tablet tries to sync again after a failure: 1, 2, 4, 8, 16 seconds, then it
//! stops and shows "failed" with a retry button (PRODUCT.md §4), so a dead network
//! does not drain the battery and a person knows to act.

/// The waits before each retry, in seconds.
pub const DELAYS_SECS: [u32; 5] = [1, 2, 4, 8, 16];

/// The wait before the next try after `failures` consecutive failures; `None` means
/// give up and show the queue as failed.
pub fn next_retry_secs(failures: u32) -> Option<u32> {
    (failures >= 1).then(|| DELAYS_SECS.get(failures as usize - 1).copied()).flatten()
}

/// What a failed sync call means for the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Network down or server busy: count it and back off.
    Retry,
    /// The server said when (429/503 with retryAfter).
    RetryAfter(u32),
    /// The session ended: keep the queue, ask the person to sign in.
    SignIn,
    /// The server no longer speaks this app's protocol: keep the queue, reload.
    Outdated,
}

/// `status` 0 is a request that never got an answer (offline, DNS, reset).
pub fn classify(status: u16, retry_after: Option<u32>, outdated: bool) -> Failure {
    match status {
        401 => Failure::SignIn,
        400 if outdated => Failure::Outdated,
        429 | 503 => retry_after.map_or(Failure::Retry, Failure::RetryAfter),
        _ => Failure::Retry,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backs_off_one_two_four_eight_sixteen_then_gives_up() {
        let waits: Vec<Option<u32>> = (1..=6).map(next_retry_secs).collect();
        assert_eq!(waits, [Some(1), Some(2), Some(4), Some(8), Some(16), None]);
        assert_eq!(next_retry_secs(0), None);
        assert_eq!(next_retry_secs(u32::MAX), None);
    }

    #[test]
    fn sorts_failures() {
        assert_eq!(classify(0, None, false), Failure::Retry);
        assert_eq!(classify(503, Some(3), false), Failure::RetryAfter(3));
        assert_eq!(classify(429, None, false), Failure::Retry);
        assert_eq!(classify(401, None, false), Failure::SignIn);
        assert_eq!(classify(400, None, true), Failure::Outdated);
        assert_eq!(classify(500, None, false), Failure::Retry);
    }
}
