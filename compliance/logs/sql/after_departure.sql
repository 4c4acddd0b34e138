-- Art 5(2): any access by an account or credential after its holder left or its access was revoked
-- (the day after the cutoff day onwards). One row per principal, with its first such access as the example.
WITH hits AS (
  SELECT pr.principal, pr.kind, pr.holder, pr.cutoff, pr.cutoff_reason,
         r.system, r.epoch_s, r.day_num, r.ip_hex, r.ip, r.country, r.source, r.line
  FROM records r
  JOIN principals pr ON r.account = pr.principal
  WHERE r.day_num > pr.cutoff
),
ranked AS (
  SELECT h.*, ROW_NUMBER() OVER (PARTITION BY h.principal
                                 ORDER BY h.epoch_s ASC NULLS LAST, h.source ASC NULLS LAST, h.line ASC NULLS LAST) AS k
  FROM hits h
),
agg AS (
  SELECT principal, kind, holder, cutoff, cutoff_reason, COUNT(*) AS accesses, COUNT(DISTINCT day_num) AS days,
         COUNT(DISTINCT ip_hex) AS addresses, COUNT(DISTINCT system) AS systems,
         MIN(epoch_s) AS first_epoch, MAX(epoch_s) AS last_epoch
  FROM hits GROUP BY principal, kind, holder, cutoff, cutoff_reason
)
SELECT a.principal, a.kind, a.holder, a.cutoff AS cutoff_day, a.cutoff_reason, a.accesses, a.days, a.addresses,
       a.systems, a.first_epoch, a.last_epoch,
       k.epoch_s AS ex_epoch, k.system AS ex_system, k.ip AS ex_ip, k.country AS ex_country,
       k.source AS ex_source, k.line AS ex_line
FROM agg a
JOIN ranked k ON k.principal = a.principal AND k.k = 1
