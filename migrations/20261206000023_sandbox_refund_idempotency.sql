-- The sandbox gateway deduplicates refunds as Razorpay does, by the request's
-- X-Refund-Idempotency header, not by the receipt (Razorpay keeps no such rule).
ALTER TABLE sandbox_gateway_refunds ADD COLUMN idempotency_key text;
ALTER TABLE sandbox_gateway_refunds DROP CONSTRAINT sandbox_gateway_refunds_payment_id_receipt_key;
CREATE UNIQUE INDEX sandbox_gateway_refunds_by_idempotency_key ON sandbox_gateway_refunds (payment_id, idempotency_key);
