-- Utilisation and idle money of a region, per sector (GetUtilization by_sector): a range
-- of the region's project accounts read from this index alone, without the rows.
CREATE INDEX idx_accounts_utilization ON accounts (kind, region_code, sector, allocated_in,
  disbursed_out, credits_posted, debits_posted, debits_pending, last_credit_at, last_debit_at);
