-- Art 5(4): one account used from different networks (another /24 for IPv4, /64 for IPv6) within
-- params.window_s seconds: a shared account or a stolen credential. One row per account, first case as example.
-- Only account-days that saw two networks (that day, or across midnight within the window) are put in time order:
-- the same answer as ordering every record, without sorting millions of single-network days.
WITH nets AS (
  SELECT account, day_num, ip_net, MIN(epoch_s) AS first_s, MAX(epoch_s) AS last_s
  FROM records GROUP BY account, day_num, ip_net
),
pairs AS (
  SELECT DISTINCT a.account, a.day_num
  FROM nets a
  CROSS JOIN params p
  JOIN nets b ON b.account = a.account AND b.ip_net <> a.ip_net
             AND (b.day_num = a.day_num OR (b.day_num = a.day_num - 1 AND a.first_s - b.last_s <= p.window_s))
),
days AS (
  SELECT account, day_num FROM pairs
  UNION
  SELECT account, day_num - 1 AS day_num FROM pairs
),
seq AS (
  SELECT r.account, r.system, r.epoch_s, r.day_num, r.ip, r.ip_net, r.source, r.line,
         LAG(r.epoch_s) OVER (PARTITION BY r.account ORDER BY r.epoch_s ASC NULLS LAST, r.source ASC NULLS LAST, r.line ASC NULLS LAST) AS prev_epoch,
         LAG(r.ip_net) OVER (PARTITION BY r.account ORDER BY r.epoch_s ASC NULLS LAST, r.source ASC NULLS LAST, r.line ASC NULLS LAST) AS prev_net,
         LAG(r.ip) OVER (PARTITION BY r.account ORDER BY r.epoch_s ASC NULLS LAST, r.source ASC NULLS LAST, r.line ASC NULLS LAST) AS prev_ip
  FROM records r
  JOIN days d ON d.account = r.account AND d.day_num = r.day_num
),
hits AS (
  SELECT s.*
  FROM seq s CROSS JOIN params p
  WHERE s.prev_net IS NOT NULL AND s.prev_net <> s.ip_net AND s.epoch_s - s.prev_epoch <= p.window_s
),
ranked AS (
  SELECT h.*, ROW_NUMBER() OVER (PARTITION BY h.account
                                 ORDER BY h.epoch_s ASC NULLS LAST, h.source ASC NULLS LAST, h.line ASC NULLS LAST) AS k
  FROM hits h
),
agg AS (
  SELECT account, COUNT(*) AS switches, COUNT(DISTINCT day_num) AS days, MIN(epoch_s) AS first_epoch,
         MAX(epoch_s) AS last_epoch
  FROM hits GROUP BY account
)
SELECT a.account, a.switches, a.days, a.first_epoch, a.last_epoch,
       k.epoch_s AS ex_epoch, k.ip AS ex_ip, k.prev_epoch AS ex_previous_epoch, k.prev_ip AS ex_previous_ip,
       k.system AS ex_system, k.source AS ex_source, k.line AS ex_line
FROM agg a
JOIN ranked k ON k.account = a.account AND k.k = 1
