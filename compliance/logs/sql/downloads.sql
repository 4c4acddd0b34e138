-- Art 8(2): downloads of at least params.download_threshold records (or of an unstated number) with no recorded
-- reason: a blank reason, or one of the values that record none in any case (no_reason: '-', 'N/A', '없음', … as
-- the parameters list them, lower case in the table; lower() is the same on every engine for the letters they use). One row per system and account, with its first such download as the example.
WITH d AS (
  SELECT r.system, r.account, r.epoch_s, r.source, r.line, r.ip, r.records
  FROM records r CROSS JOIN params p
  WHERE r.action = 'download' AND (r.reason IS NULL OR LOWER(r.reason) IN (SELECT nr.value FROM no_reason nr))
    AND (r.records IS NULL OR r.records >= p.download_threshold)
),
ranked AS (
  SELECT d.*, ROW_NUMBER() OVER (PARTITION BY d.system, d.account
                                 ORDER BY d.epoch_s ASC NULLS LAST, d.source ASC NULLS LAST, d.line ASC NULLS LAST) AS k
  FROM d
),
agg AS (
  SELECT system, account, COUNT(*) AS downloads,
         SUM(CASE WHEN records IS NULL THEN 1 ELSE 0 END) AS unknown_size,
         COALESCE(SUM(records), 0) AS records_total,
         MIN(epoch_s) AS first_epoch, MAX(epoch_s) AS last_epoch
  FROM d GROUP BY system, account
)
SELECT a.system, a.account, a.downloads, a.unknown_size, a.records_total, a.first_epoch, a.last_epoch,
       k.epoch_s AS ex_epoch, k.source AS ex_source, k.line AS ex_line, k.ip AS ex_ip, k.records AS ex_records
FROM agg a
JOIN ranked k ON k.system = a.system AND k.account = a.account AND k.k = 1
