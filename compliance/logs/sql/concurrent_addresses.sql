-- Art 5(4): one account used from different networks (another /24 for IPv4, /64 for IPv6) within
-- params.window_s seconds: a shared account or a stolen credential. One row per account, first case as example.
WITH seq AS (
  SELECT account, system, epoch_s, day_num, ip, ip_net, source, line,
         LAG(epoch_s) OVER (PARTITION BY account ORDER BY epoch_s ASC NULLS LAST, source ASC NULLS LAST, line ASC NULLS LAST) AS prev_epoch,
         LAG(ip_net) OVER (PARTITION BY account ORDER BY epoch_s ASC NULLS LAST, source ASC NULLS LAST, line ASC NULLS LAST) AS prev_net,
         LAG(ip) OVER (PARTITION BY account ORDER BY epoch_s ASC NULLS LAST, source ASC NULLS LAST, line ASC NULLS LAST) AS prev_ip
  FROM records
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
