-- The removal list: every live session reached (see reach.sql) by the
-- target of a finding whose check is in remove_on, one row per session.
-- Protected users and the exporting user's own session family are never on the
-- list: IsCurrent marks the caller's family, and a family any of whose sessions
-- an export marks is taken as the caller's whole, should an export mark only
-- its first session. Nor is a session whose username is unknown (the sessions export
-- lacks Users.Username and no users or logins export names its user) while
-- protected_users names users by username: it may be one of theirs. Those
-- sessions are held back, in removals_held_back, and the audit says how many.
--
-- The reason quotes a session's five most severe findings (by severity, then
-- check and detail) and counts the rest: a session reached by thousands of
-- findings (a family or login that many findings point at) would otherwise
-- carry every detail in one cell. Findings with the same check, severity and
-- detail count once.
--
-- Memory stays bounded at a million findings: each finding's detail is
-- numbered once by its place in that order (ord, equal for equal findings),
-- the sessions are reached and grouped on numbers alone, and only the five
-- quoted details per session are looked up again. The findings are put in
-- that order by a sorted copy, whose rowids then number them: DuckDB sorts
-- out of memory, while a window over the same order (dense_rank) held every
-- detail in memory at once, which at fifty million logins with 1.4 million
-- findings took the audit past its budget. Equal findings take the number
-- of the first of them.
CREATE OR REPLACE TEMP TABLE removal_order AS
SELECT f.check_id, f.severity, f.detail, f.target_kind, f.target_id
FROM findings f
SEMI JOIN policy_remove_on r ON r.check_id = f.check_id
WHERE f.target_kind IS NOT NULL
ORDER BY severity_rank(f.severity) DESC, f.check_id, f.detail;

CREATE OR REPLACE TEMP TABLE removal_findings AS
SELECT
    o.check_id, o.severity, o.detail, o.target_kind, o.target_id, g.ord,
    -- One row of each ord is the one quoted: equal findings read the same.
    o.rowid = g.ord AS quoted
FROM removal_order o
JOIN (SELECT check_id, severity, detail, min(rowid) AS ord FROM removal_order GROUP BY ALL) g
    USING (check_id, severity, detail);

DROP TABLE removal_order;

CREATE OR REPLACE TEMP TABLE removal_reached AS
SELECT DISTINCT f.ord, f.check_id, f.severity, r.session_id
FROM removal_findings f
JOIN reach_targets t USING (target_kind, target_id)
JOIN target_reach r USING (target_no);

CREATE OR REPLACE TEMP TABLE current_families AS
SELECT DISTINCT parent_id FROM sessions WHERE is_current;

CREATE OR REPLACE TEMP TABLE removals_held_back AS
SELECT DISTINCT s.id AS session_id
FROM removal_reached r
JOIN sessions s ON s.id = r.session_id
WHERE is_live(s.expires)
    AND s.parent_id NOT IN (SELECT parent_id FROM current_families)
    AND s.username IS NULL
    AND EXISTS (SELECT 1 FROM policy_protected_users p WHERE p.user_id IS NULL)
    AND NOT EXISTS (SELECT 1 FROM policy_protected_users p WHERE lower(p.user_id) = lower(s.user_id));

-- The reached sessions the list leaves out, and why, in the words the
-- Sessions sheet shows: the one place that decides who is kept off it.
CREATE OR REPLACE TEMP TABLE removals_withheld AS
SELECT DISTINCT s.id AS session_id, CASE
    WHEN c.parent_id IS NOT NULL THEN 'the exporting user''s own session'
    WHEN h.session_id IS NOT NULL THEN 'held back, no username'
    ELSE 'protected user'
END AS why
FROM removal_reached r
JOIN sessions s ON s.id = r.session_id
LEFT JOIN removals_held_back h ON h.session_id = s.id
LEFT JOIN current_families c ON c.parent_id = s.parent_id
WHERE is_live(s.expires) AND (
    c.parent_id IS NOT NULL
    OR h.session_id IS NOT NULL
    OR EXISTS (
        SELECT 1 FROM policy_protected_users p
        WHERE lower(p.user_id) = lower(s.user_id) OR p.username = lower(s.username)));

CREATE OR REPLACE TABLE removals AS
WITH listed AS MATERIALIZED (
    SELECT
        s.id AS session_id,
        any_value(s.user_id) AS user_id,
        any_value(s.username) AS username,
        any_value(s.session_type) AS session_type,
        any_value(s.source_ip) AS source_ip,
        any_value(s.created) AS created,
        string_agg(DISTINCT r.check_id, ';' ORDER BY r.check_id) AS checks,
        arg_max(r.severity, severity_rank(r.severity)) AS severity,
        min(r.ord, 5) AS quoted,
        count(*) AS findings
    FROM removal_reached r
    JOIN sessions s ON s.id = r.session_id
    WHERE is_live(s.expires) AND s.id NOT IN (SELECT session_id FROM removals_withheld)
    GROUP BY s.id
), quotes AS (
    -- One finding a line: a paragraph of several runs them together.
    SELECT q.session_id, string_agg(f.check_id || ' (' || f.severity || '): ' || f.detail, chr(10) ORDER BY f.ord) AS quotes
    FROM (SELECT session_id, unnest(quoted) AS ord FROM listed) q
    JOIN removal_findings f ON f.ord = q.ord AND f.quoted
    GROUP BY q.session_id
)
SELECT
    l.session_id, l.user_id, l.username, l.session_type, l.source_ip, l.created, l.checks, l.severity,
    q.quotes || CASE WHEN l.findings > 5 THEN chr(10) || printf('And %s more finding%s, listed in findings.csv.',
        fmt_count(l.findings - 5), CASE WHEN l.findings = 6 THEN '' ELSE 's' END) ELSE '' END AS reason
FROM listed l
JOIN quotes q USING (session_id);
