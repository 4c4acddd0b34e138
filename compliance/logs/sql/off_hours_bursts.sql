-- Art 8(2) (misuse) and Art 6(1) item 2 (detection): days on which an account's off-hours activity (outside
-- working hours on a working day, or any time on a weekend or holiday of the working calendar) is at least
-- params.burst_min events and at least params.burst_factor times a baseline the anomaly cannot poison:
--   1. the other accounts active that same day (their mean off-hours events): a holiday the whole organisation
--      worked raises the baseline with it, and an intruder's nightly use of one account does not;
--   2. on a day no other account was active, the other accounts over the whole period;
--   3. only in a single-account dataset, the account's own other active days (the former rule, which months of an
--      intruder's nightly use would raise until nothing stood out).
-- baseline_days / baseline_off_events are the account-days and off-hours events of that baseline.
WITH ev AS (
  SELECT r.account, r.day_num,
         CASE WHEN c.workday AND r.minute >= p.work_start AND r.minute < p.work_end THEN 0 ELSE 1 END AS off
  FROM records r
  CROSS JOIN params p
  JOIN calendar c ON c.day_num = r.day_num
),
daily AS (
  SELECT account, day_num, SUM(off) AS off_events, COUNT(*) AS events FROM ev GROUP BY account, day_num
),
own AS (
  SELECT account, COUNT(*) AS active_days, SUM(off_events) AS off_total FROM daily GROUP BY account
),
same_day AS (
  SELECT day_num, COUNT(*) AS accounts, SUM(off_events) AS off_total FROM daily GROUP BY day_num
),
everyone AS (
  SELECT COUNT(*) AS account_days, SUM(off_events) AS off_total, COUNT(DISTINCT account) AS accounts FROM daily
),
based AS (
  SELECT d.account, d.day_num, d.off_events, d.events,
         CASE WHEN s.accounts > 1 THEN s.accounts - 1
              WHEN e.accounts > 1 THEN e.account_days - o.active_days
              ELSE o.active_days - 1 END AS baseline_days,
         CASE WHEN s.accounts > 1 THEN s.off_total - d.off_events
              WHEN e.accounts > 1 THEN e.off_total - o.off_total
              ELSE o.off_total - d.off_events END AS baseline_off_events
  FROM daily d
  JOIN own o ON o.account = d.account
  JOIN same_day s ON s.day_num = d.day_num
  CROSS JOIN everyone e
)
SELECT b.account, b.day_num AS burst_day, c.kind AS day_kind, b.off_events, b.events,
       b.baseline_days, b.baseline_off_events
FROM based b
JOIN calendar c ON c.day_num = b.day_num
CROSS JOIN params p
WHERE b.off_events >= p.burst_min
  AND b.off_events * b.baseline_days >= p.burst_factor * b.baseline_off_events
