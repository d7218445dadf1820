//! Razorpay's two signatures, both hex HMAC-SHA256: the checkout callback's over
//! `order_id|payment_id` under the key secret, and a webhook's over the raw body under
//! the webhook secret. Checked in constant time.

use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const WEBHOOK_SIGNATURE_HEADER: &str = "x-razorpay-signature";
pub const WEBHOOK_EVENT_ID_HEADER: &str = "x-razorpay-event-id";

fn mac(secret: &str, data: &[u8]) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(data);
    mac
}

pub fn sign(secret: &str, data: &[u8]) -> String {
    mac(secret, data).finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

pub fn verify(secret: &str, data: &[u8], signature: Option<&str>) -> bool {
    let Some(hex) = signature.map(str::trim).filter(|h| h.len() == 64) else { return false };
    let Some(bytes) =
        (0..32).map(|i| u8::from_str_radix(hex.get(i * 2..i * 2 + 2)?, 16).ok()).collect::<Option<Vec<u8>>>()
    else {
        return false;
    };
    mac(secret, data).verify_slice(&bytes).is_ok()
}

pub fn callback_payload(order_id: &str, payment_id: &str) -> Vec<u8> {
    format!("{order_id}|{payment_id}").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_round_trip_and_refuse_tampering() {
        let s = sign("secret", b"{\"a\":1}");
        assert_eq!(s.len(), 64);
        assert!(verify("secret", b"{\"a\":1}", Some(&s)));
        assert!(!verify("secret", b"{\"a\":2}", Some(&s)));
        assert!(!verify("other", b"{\"a\":1}", Some(&s)));
        assert!(!verify("secret", b"{\"a\":1}", None));
        assert!(!verify("secret", b"{\"a\":1}", Some("zz")));
        assert!(!verify("secret", b"{\"a\":1}", Some(&"g".repeat(64))));
        // Known vector: HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog").
        assert_eq!(
            sign("key", b"The quick brown fox jumps over the lazy dog"),
            "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
        );
        let cb = callback_payload("order_1", "pay_2");
        assert_eq!(cb, b"order_1|pay_2");
    }
}
