-- Art 8(2): for each period a review is due in (each month up to 2026-10-30; then the internal plan's cycle),
-- the records of the period and the reviews stated in it. A closed period with records and no review is missed.
WITH vol AS (
  SELECT system, day_num, COUNT(*) AS n FROM records GROUP BY system, day_num
),
per AS (
  SELECT rp.system, rp.period, rp.start_day, rp.end_day, rp.rule, COALESCE(SUM(v.n), 0) AS records
  FROM review_periods rp
  LEFT JOIN vol v ON v.system = rp.system AND v.day_num BETWEEN rp.start_day AND rp.end_day
  GROUP BY rp.system, rp.period, rp.start_day, rp.end_day, rp.rule
),
rev AS (
  SELECT rp.system, rp.period, COUNT(w.day_num) AS reviews, MIN(w.day_num) AS first_review_day
  FROM review_periods rp
  LEFT JOIN reviews w ON w.system = rp.system AND w.day_num BETWEEN rp.start_day AND rp.end_day
  GROUP BY rp.system, rp.period
)
SELECT per.system, per.period, per.start_day, per.end_day, per.rule, per.records, rev.reviews,
       rev.first_review_day,
       CASE WHEN per.end_day > p.as_of THEN FALSE
            WHEN per.records > 0 AND rev.reviews = 0 THEN TRUE
            ELSE FALSE END AS missed
FROM per
JOIN rev ON rev.system = per.system AND rev.period = per.period
CROSS JOIN params p
