-- Migrations of the tables every service has are numbered from 900, so they never take a
-- number a service's own migrations use.
--
-- Dead letters: an outbox event the audit log refused (it can never be appended as it is)
-- is set aside here instead of blocking every event after it. It is kept, never deleted;
-- tuopin_outbox_dead_letters counts them and docs/OPERATIONS.md says how to resolve one.
ALTER TABLE outbox
  ADD COLUMN dead_letter_at DATETIME(6) NULL,
  ADD COLUMN dead_letter_reason VARCHAR(1024) NULL,
  ADD KEY idx_outbox_dead_letters (dead_letter_at);
