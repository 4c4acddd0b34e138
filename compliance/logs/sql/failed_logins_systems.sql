-- Art 5(6): per system, the authentication events the records hold and their runs of failed authentications (a run
-- as in failed_logins.sql: one account's failures each within lockout.quiet_s seconds of the one before, ended by a
-- login or a longer pause). A system whose records hold no login, or no failed login, cannot show whether failures
-- are limited: the rows say so with their counts. Carries the limit compared (lockout.max_failures, its basis) and
-- the quiet period, so the derived facts record them even where no account failed.
WITH ev AS (
  SELECT r.system, r.account, r.epoch_s, r.source, r.line,
         CASE WHEN r.action = 'login-failed' THEN 1 ELSE 0 END AS failed
  FROM records r
  WHERE r.action IN ('login', 'login-failed')
),
seq AS (
  SELECT ev.*,
         LAG(failed) OVER w AS prev_failed,
         LAG(epoch_s) OVER w AS prev_epoch,
         LEAD(failed) OVER w AS next_failed,
         LEAD(epoch_s) OVER w AS next_epoch
  FROM ev
  WINDOW w AS (PARTITION BY system, account ORDER BY epoch_s ASC NULLS LAST, source ASC NULLS LAST, line ASC NULLS LAST)
),
marked AS (
  SELECT s.*,
         CASE WHEN s.failed = 1 AND (s.prev_failed IS NULL OR s.prev_failed = 0 OR s.epoch_s - s.prev_epoch > l.quiet_s)
              THEN 1 ELSE 0 END AS starts,
         CASE WHEN s.failed = 1 AND s.next_failed = 0 AND s.next_epoch - s.epoch_s <= l.quiet_s
              THEN 1 ELSE 0 END AS then_login
  FROM seq s CROSS JOIN lockout l
),
numbered AS (
  SELECT m.*,
         SUM(m.starts) OVER (PARTITION BY m.system, m.account
                             ORDER BY m.epoch_s ASC NULLS LAST, m.source ASC NULLS LAST, m.line ASC NULLS LAST
                             ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS run_no
  FROM marked m
),
runs AS (
  SELECT system, account, run_no, COUNT(*) AS n, MAX(then_login) AS then_login
  FROM numbered
  WHERE failed = 1
  GROUP BY system, account, run_no
),
acc AS (
  SELECT r.system, r.account, COUNT(*) AS runs, MAX(r.n) AS longest,
         SUM(CASE WHEN r.n > l.max_failures THEN 1 ELSE 0 END) AS runs_over,
         SUM(CASE WHEN r.n > l.max_failures AND r.then_login = 1 THEN 1 ELSE 0 END) AS runs_over_login
  FROM runs r CROSS JOIN lockout l
  GROUP BY r.system, r.account
),
per_system AS (
  SELECT system, COUNT(*) AS accounts, SUM(runs) AS runs, MAX(longest) AS longest,
         SUM(CASE WHEN runs_over > 0 THEN 1 ELSE 0 END) AS accounts_over,
         SUM(CASE WHEN runs_over_login > 0 THEN 1 ELSE 0 END) AS accounts_over_login
  FROM acc
  GROUP BY system
),
totals AS (
  SELECT system, COUNT(*) AS records,
         SUM(CASE WHEN action = 'login' THEN 1 ELSE 0 END) AS logins,
         SUM(CASE WHEN action = 'login-failed' THEN 1 ELSE 0 END) AS failures
  FROM records
  GROUP BY system
)
SELECT t.system, t.records, t.logins, t.failures, COALESCE(p.accounts, 0) AS accounts_failing,
       COALESCE(p.runs, 0) AS runs, COALESCE(p.longest, 0) AS longest, COALESCE(p.accounts_over, 0) AS accounts_over,
       COALESCE(p.accounts_over_login, 0) AS accounts_over_login, l.max_failures, l.basis, l.quiet_s
FROM totals t
CROSS JOIN lockout l
LEFT JOIN per_system p ON p.system = t.system
