-- Who created each transfer and who resolved each pending one: subjects of the callers'
-- principals, or the sweeper's fixed actor for expiries. Posting checks created_by (four
-- eyes: the creator may not post); rows recorded before this migration have ''.
ALTER TABLE transfers ADD COLUMN created_by VARCHAR(128) NOT NULL DEFAULT '';
ALTER TABLE transfer_resolutions ADD COLUMN resolved_by VARCHAR(128) NOT NULL DEFAULT '';
