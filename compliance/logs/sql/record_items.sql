-- Art 8(1) with Art 2 (what an access record is): per system and month, the records that lack an item every access
-- record must carry. Account, time and address are refused at ingest when missing; the data subject processed and
-- the task performed can be blank cells of a column the export has. The task is read as written (action_raw: a blank
-- task is kind 'other', never null); a login, a failed login or a logout processes no data subject, so those
-- records are not counted as lacking one.
SELECT system, month, COUNT(*) AS records,
       SUM(CASE WHEN (subject IS NULL OR TRIM(subject) = '') AND action NOT IN ('login', 'login-failed', 'logout')
                THEN 1 ELSE 0 END) AS no_subject,
       SUM(CASE WHEN action_raw IS NULL OR TRIM(action_raw) = '' THEN 1 ELSE 0 END) AS no_task
FROM records
GROUP BY system, month
