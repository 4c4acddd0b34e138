-- Art 8(2) (misuse) and Art 6(1) item 2 (detection): days on which an account's off-hours activity (outside
-- working hours on a working day, or any time on a weekend or holiday of the Korean calendar) is at least
-- params.burst_min events and at least params.burst_factor times its mean on its other active days.
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
base AS (
  SELECT account, COUNT(*) AS active_days, SUM(off_events) AS off_total FROM daily GROUP BY account
)
SELECT d.account, d.day_num AS burst_day, c.kind AS day_kind, d.off_events, d.events,
       b.active_days - 1 AS baseline_days, b.off_total - d.off_events AS baseline_off_events
FROM daily d
JOIN base b ON b.account = d.account
JOIN calendar c ON c.day_num = d.day_num
CROSS JOIN params p
WHERE d.off_events >= p.burst_min
  AND d.off_events * (b.active_days - 1) >= p.burst_factor * (b.off_total - d.off_events)
