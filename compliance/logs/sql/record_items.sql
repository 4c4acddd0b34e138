-- Art 8(1) with Art 2 (what an access record is): per system and month, the records that lack an item every access
-- record must carry. Account, time and address are refused at ingest when missing; the data subject processed and
-- the task performed can be blank cells of a column the export has.
SELECT system, month, COUNT(*) AS records,
       SUM(CASE WHEN subject IS NULL OR TRIM(subject) = '' THEN 1 ELSE 0 END) AS no_subject,
       SUM(CASE WHEN action IS NULL OR TRIM(action) = '' THEN 1 ELSE 0 END) AS no_task
FROM records
GROUP BY system, month
