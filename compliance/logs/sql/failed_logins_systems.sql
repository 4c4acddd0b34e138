-- Art 5(6): per system, the records and the authentication events they hold, with the limit compared
-- (lockout.max_failures, its basis) and the quiet period, so the derived facts record them even where no account
-- failed. A system whose records hold no login, or no failed login, cannot show whether failures are limited: the
-- counts say so. (The runs of failures are numbered once, in failed_logins.sql; their per-system figures are summed
-- from its rows.)
SELECT t.system, t.records, t.logins, t.failures, l.max_failures, l.basis, l.quiet_s
FROM (
  SELECT system, COUNT(*) AS records,
         SUM(CASE WHEN action = 'login' THEN 1 ELSE 0 END) AS logins,
         SUM(CASE WHEN action = 'login-failed' THEN 1 ELSE 0 END) AS failures
  FROM records
  GROUP BY system
) t
CROSS JOIN lockout l
