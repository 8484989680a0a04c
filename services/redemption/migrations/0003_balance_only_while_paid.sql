-- An order shows the wallet balance right after its debit only while that debit stands
-- (CONFIRMED, FULFILLED): cancelling, cancelled and failed orders show 0, as the contract says.
-- Orders cancelled before this migration kept the balance of a debit since refunded.
UPDATE orders SET wallet_balance_points = 0
  WHERE status NOT IN (2, 3) AND wallet_balance_points <> 0;

ALTER TABLE orders ADD CONSTRAINT orders_balance_only_while_paid
  CHECK (status IN (2, 3) OR wallet_balance_points = 0);
