-- Art 5(6): runs of failed authentications, per system and account. A run is the failed authentications
-- ('login-failed') of one account on one system in time order (epoch_s, source, line), each within lockout.quiet_s
-- seconds of the one before; a successful login ('login') or a pause longer than quiet_s ends it. A run ends in a
-- login when the event after its last failure is a login within quiet_s: past the limit, the sign that no lock held.
-- One row per system and account with a failed authentication (the runs are numbered once, here: the per-system
-- figures are their sums), with the worst run: the longest past the limit (lockout.max_failures, the stated limit,
-- else the catalog's; NULL compares as no limit) ending in a login, else the longest.
WITH ev AS (
  SELECT r.system, r.account, r.epoch_s, r.source, r.line, r.ip,
         CASE WHEN r.action = 'login-failed' THEN 1 ELSE 0 END AS failed
  FROM records r
  WHERE r.action IN ('login', 'login-failed')
),
seq AS (
  SELECT ev.*,
         LAG(failed) OVER w AS prev_failed,
         LAG(epoch_s) OVER w AS prev_epoch,
         LEAD(failed) OVER w AS next_failed,
         LEAD(epoch_s) OVER w AS next_epoch,
         LEAD(source) OVER w AS next_source,
         LEAD(line) OVER w AS next_line,
         LEAD(ip) OVER w AS next_ip
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
  -- one start row and at most one row ending in a login per run: MAX picks their values
  SELECT system, account, run_no, COUNT(*) AS n, MIN(epoch_s) AS first_epoch, MAX(epoch_s) AS last_epoch,
         MAX(then_login) AS then_login,
         MAX(CASE WHEN starts = 1 THEN source END) AS ex_source, MAX(CASE WHEN starts = 1 THEN line END) AS ex_line,
         MAX(CASE WHEN starts = 1 THEN ip END) AS ex_ip,
         MAX(CASE WHEN then_login = 1 THEN next_epoch END) AS login_epoch,
         MAX(CASE WHEN then_login = 1 THEN next_source END) AS login_source,
         MAX(CASE WHEN then_login = 1 THEN next_line END) AS login_line,
         MAX(CASE WHEN then_login = 1 THEN next_ip END) AS login_ip
  FROM numbered
  WHERE failed = 1
  GROUP BY system, account, run_no
),
acc AS (
  SELECT r.system, r.account, COUNT(*) AS runs, SUM(r.n) AS failures, MAX(r.n) AS longest,
         SUM(CASE WHEN r.n > l.max_failures THEN 1 ELSE 0 END) AS runs_over,
         SUM(CASE WHEN r.n > l.max_failures AND r.then_login = 1 THEN 1 ELSE 0 END) AS runs_over_login
  FROM runs r CROSS JOIN lockout l
  GROUP BY r.system, r.account
),
worst AS (
  SELECT r.*, ROW_NUMBER() OVER (PARTITION BY r.system, r.account
                                 ORDER BY r.past_then_login DESC NULLS LAST, r.n DESC NULLS LAST,
                                          r.first_epoch ASC NULLS LAST, r.ex_source ASC NULLS LAST,
                                          r.ex_line ASC NULLS LAST) AS k
  FROM (SELECT runs.*, CASE WHEN runs.n > l.max_failures AND runs.then_login = 1 THEN 1 ELSE 0 END AS past_then_login
        FROM runs CROSS JOIN lockout l) r
)
SELECT a.system, a.account, a.runs, a.failures, a.longest, a.runs_over, a.runs_over_login,
       w.n AS run_failures, w.first_epoch AS run_first_epoch, w.last_epoch AS run_last_epoch,
       w.login_epoch, w.login_source, w.login_line, w.login_ip,
       w.first_epoch AS ex_epoch, w.ex_source, w.ex_line, w.ex_ip
FROM acc a
JOIN worst w ON w.system = a.system AND w.account = a.account AND w.k = 1
