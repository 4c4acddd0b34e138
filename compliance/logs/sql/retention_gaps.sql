-- Art 8(1): stretches inside the kept span with no record at all, counted in working days so that weekends
-- and holidays of a quiet system are not gaps. One row per gap of at least params.gap_workdays working days.
WITH days AS (
  SELECT DISTINCT system, day_num FROM records
),
seq AS (
  SELECT system, day_num,
         LAG(day_num) OVER (PARTITION BY system ORDER BY day_num ASC NULLS LAST) AS prev_day
  FROM days
),
gaps AS (
  SELECT system, prev_day + 1 AS start_day, day_num - 1 AS end_day, day_num - prev_day - 1 AS days
  FROM seq
  WHERE prev_day IS NOT NULL AND day_num - prev_day > 1
)
SELECT g.system, g.start_day, g.end_day, g.days,
       SUM(CASE WHEN c.workday THEN 1 ELSE 0 END) AS workdays
FROM gaps g
JOIN calendar c ON c.day_num BETWEEN g.start_day AND g.end_day
CROSS JOIN params p
GROUP BY g.system, g.start_day, g.end_day, g.days, p.gap_workdays
HAVING SUM(CASE WHEN c.workday THEN 1 ELSE 0 END) >= p.gap_workdays
