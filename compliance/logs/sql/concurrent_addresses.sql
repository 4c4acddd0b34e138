-- Art 5(4): one account used from different networks (another /24 for IPv4, /64 for IPv6) within
-- params.window_s seconds: a shared account or a stolen credential. One row per account, first case as example.
-- A switch is a record whose previous record of the same account (in the order epoch_s, source, line) is on
-- another network at most window_s seconds earlier. Only the records of candidate days are put in that order:
-- an account-day is a candidate when it saw two networks, or when its first record is within the window of the
-- last record of the account's previous active day and the two days do not share one single network. Every
-- switch lies on a candidate day, and the previous record of any record of a candidate day lies on that day or on
-- the previous active day, which is kept beside it: the same rows as ordering every record, for any window.
-- Each CTE is read once (Spark recomputes a CTE for each reference).
WITH nets AS (
  SELECT account, day_num, ip_net, MIN(epoch_s) AS first_s, MAX(epoch_s) AS last_s
  FROM records GROUP BY account, day_num, ip_net
),
active AS (
  SELECT account, day_num, MIN(ip_net) AS lo_net, MAX(ip_net) AS hi_net, MIN(first_s) AS first_s,
         MAX(last_s) AS last_s
  FROM nets GROUP BY account, day_num
),
linked AS (
  SELECT a.account, a.day_num, a.lo_net, a.hi_net, a.first_s,
         LAG(a.lo_net) OVER (PARTITION BY a.account ORDER BY a.day_num ASC NULLS LAST) AS prev_lo,
         LAG(a.hi_net) OVER (PARTITION BY a.account ORDER BY a.day_num ASC NULLS LAST) AS prev_hi,
         LAG(a.last_s) OVER (PARTITION BY a.account ORDER BY a.day_num ASC NULLS LAST) AS prev_last
  FROM active a
),
marked AS (
  SELECT l.account, l.day_num,
         CASE WHEN l.lo_net <> l.hi_net THEN 1
              WHEN l.first_s - l.prev_last <= p.window_s AND (l.prev_lo <> l.prev_hi OR l.prev_lo <> l.lo_net) THEN 1
              ELSE 0 END AS candidate
  FROM linked l CROSS JOIN params p
),
kept AS (
  SELECT account, day_num, candidate
  FROM (SELECT m.account, m.day_num, m.candidate,
               LEAD(m.candidate) OVER (PARTITION BY m.account ORDER BY m.day_num ASC NULLS LAST) AS next_candidate
        FROM marked m) x
  WHERE candidate = 1 OR next_candidate = 1
),
seq AS (
  SELECT r.account, r.system, r.epoch_s, r.day_num, r.ip, r.ip_net, r.source, r.line, d.candidate,
         LAG(r.epoch_s) OVER (PARTITION BY r.account ORDER BY r.epoch_s ASC NULLS LAST, r.source ASC NULLS LAST, r.line ASC NULLS LAST) AS prev_epoch,
         LAG(r.ip_net) OVER (PARTITION BY r.account ORDER BY r.epoch_s ASC NULLS LAST, r.source ASC NULLS LAST, r.line ASC NULLS LAST) AS prev_net,
         LAG(r.ip) OVER (PARTITION BY r.account ORDER BY r.epoch_s ASC NULLS LAST, r.source ASC NULLS LAST, r.line ASC NULLS LAST) AS prev_ip
  FROM records r
  JOIN kept d ON d.account = r.account AND d.day_num = r.day_num
),
hits AS (
  SELECT s.*,
         ROW_NUMBER() OVER (PARTITION BY s.account
                            ORDER BY s.epoch_s ASC NULLS LAST, s.source ASC NULLS LAST, s.line ASC NULLS LAST) AS k,
         ROW_NUMBER() OVER (PARTITION BY s.account, s.day_num
                            ORDER BY s.epoch_s ASC NULLS LAST, s.source ASC NULLS LAST, s.line ASC NULLS LAST) AS day_k
  FROM seq s CROSS JOIN params p
  WHERE s.candidate = 1 AND s.prev_net IS NOT NULL AND s.prev_net <> s.ip_net AND s.epoch_s - s.prev_epoch <= p.window_s
),
counted AS (
  SELECT h.*, COUNT(*) OVER (PARTITION BY h.account) AS switches,
         COUNT(CASE WHEN h.day_k = 1 THEN 1 END) OVER (PARTITION BY h.account) AS days,
         MIN(h.epoch_s) OVER (PARTITION BY h.account) AS first_epoch,
         MAX(h.epoch_s) OVER (PARTITION BY h.account) AS last_epoch
  FROM hits h
)
SELECT account, switches, days, first_epoch, last_epoch,
       epoch_s AS ex_epoch, ip AS ex_ip, prev_epoch AS ex_previous_epoch, prev_ip AS ex_previous_ip,
       system AS ex_system, source AS ex_source, line AS ex_line
FROM counted
WHERE k = 1
