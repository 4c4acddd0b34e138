-- Art 6(1) item 2: access from addresses outside the approved networks of the system, with its country: from
-- the user's address table, else as the export states it, else the shipped special-purpose label (most specific
-- block first). One row per system, account and address.
WITH addr AS (
  SELECT system, account, ip_hex, ip, COUNT(*) AS accesses, COUNT(DISTINCT day_num) AS days,
         MIN(epoch_s) AS first_epoch, MAX(epoch_s) AS last_epoch, MIN(country) AS stated_country
  FROM records
  GROUP BY system, account, ip_hex, ip
),
inside AS (
  SELECT DISTINCT a.system, a.ip_hex
  FROM addr a
  JOIN networks n ON a.ip_hex BETWEEN n.lo AND n.hi AND (n.system IS NULL OR n.system = a.system)
),
outside AS (
  SELECT a.*
  FROM addr a
  LEFT JOIN inside i ON i.system = a.system AND i.ip_hex = a.ip_hex
  WHERE i.ip_hex IS NULL
),
located AS (
  SELECT o.ip_hex, g.priority, g.country,
         ROW_NUMBER() OVER (PARTITION BY o.ip_hex, g.priority
                            ORDER BY g.prefix DESC NULLS LAST, g.country ASC NULLS LAST) AS k
  FROM (SELECT DISTINCT ip_hex FROM outside) o
  JOIN geo g ON o.ip_hex BETWEEN g.lo AND g.hi
),
first_use AS (
  SELECT r.system, r.account, r.ip_hex, r.source, r.line,
         ROW_NUMBER() OVER (PARTITION BY r.system, r.account, r.ip_hex
                            ORDER BY r.epoch_s ASC NULLS LAST, r.source ASC NULLS LAST, r.line ASC NULLS LAST) AS k
  FROM records r
  JOIN outside o ON o.system = r.system AND o.account = r.account AND o.ip_hex = r.ip_hex
)
SELECT o.system, o.account, o.ip, o.ip_hex,
       COALESCE(u.country, o.stated_country, s.country) AS country,
       CASE WHEN u.country IS NOT NULL THEN 'address table'
            WHEN o.stated_country IS NOT NULL THEN 'export'
            WHEN s.country IS NOT NULL THEN 'shipped table' ELSE NULL END AS country_source,
       o.accesses, o.days, o.first_epoch, o.last_epoch, f.source AS ex_source, f.line AS ex_line
FROM outside o
LEFT JOIN located u ON u.ip_hex = o.ip_hex AND u.priority = 0 AND u.k = 1
LEFT JOIN located s ON s.ip_hex = o.ip_hex AND s.priority = 1 AND s.k = 1
JOIN first_use f ON f.system = o.system AND f.account = o.account AND f.ip_hex = o.ip_hex AND f.k = 1
