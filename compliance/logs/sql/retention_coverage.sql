-- Art 8(1): the span the records actually cover per system, against the period the law requires.
-- One row per system stated in the facts or seen in the records.
WITH days AS (
  SELECT r.system, r.day_num, COUNT(*) AS n
  FROM records r CROSS JOIN params p
  WHERE r.day_num <= p.as_of
  GROUP BY r.system, r.day_num
),
seen AS (
  SELECT system FROM systems
  UNION
  SELECT system FROM days
)
SELECT
  x.system,
  CASE WHEN s.system IS NULL THEN FALSE ELSE TRUE END AS known_system,
  s.required_days,
  s.required_basis,
  s.stated_days,
  s.window_start AS window_start_day,
  MIN(d.day_num) AS first_day,
  MAX(d.day_num) AS last_day,
  COUNT(d.day_num) AS days_with_records,
  COALESCE(SUM(d.n), 0) AS records,
  CASE WHEN MIN(d.day_num) IS NULL THEN NULL
       WHEN MIN(d.day_num) > s.window_start THEN MIN(d.day_num) - s.window_start
       ELSE 0 END AS missing_head_days
FROM seen x
LEFT JOIN systems s ON s.system = x.system
LEFT JOIN days d ON d.system = x.system
GROUP BY x.system, s.system, s.required_days, s.required_basis, s.stated_days, s.window_start
