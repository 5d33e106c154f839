-- The removal list: every live session reached by the target of a finding
-- whose check is in remove_on, one row per session. A 'session' target
-- reaches that session, a 'family' target every session sharing that
-- parent_id, and a 'login' target the families of the sessions that login
-- created. Protected users and the exporting user's own sessions
-- (is_current) are never on the list.
CREATE OR REPLACE TABLE removals AS
WITH targets AS (
    SELECT f.check_id, f.severity, f.detail, f.target_kind, f.target_id
    FROM findings f
    JOIN policy_remove_on r ON r.check_id = f.check_id
    WHERE f.target_kind IS NOT NULL
), families AS (
    SELECT t.*, t.target_id AS family_id FROM targets t WHERE t.target_kind = 'family'
    UNION ALL
    SELECT DISTINCT t.*, s.parent_id
    FROM targets t
    JOIN sessions s ON s.login_history_id = t.target_id
    WHERE t.target_kind = 'login'
), reached AS (
    SELECT DISTINCT check_id, severity, detail, session_id FROM (
        SELECT t.check_id, t.severity, t.detail, t.target_id AS session_id
        FROM targets t WHERE t.target_kind = 'session'
        UNION ALL
        SELECT f.check_id, f.severity, f.detail, s.id
        FROM families f JOIN sessions s ON s.parent_id = f.family_id
    )
)
SELECT
    s.id AS session_id,
    any_value(s.user_id) AS user_id,
    any_value(s.username) AS username,
    any_value(s.session_type) AS session_type,
    any_value(s.source_ip) AS source_ip,
    any_value(s.created) AS created,
    string_agg(DISTINCT r.check_id, ';' ORDER BY r.check_id) AS checks,
    arg_max(r.severity, severity_rank(r.severity)) AS severity,
    string_agg(r.check_id || ' (' || r.severity || '): ' || r.detail, ' '
        ORDER BY severity_rank(r.severity) DESC, r.check_id, r.detail) AS reason
FROM reached r
JOIN sessions s ON s.id = r.session_id
WHERE is_live(s.expires)
    AND NOT s.is_current
    AND NOT EXISTS (
        SELECT 1 FROM policy_protected_users p
        WHERE lower(p.user_id) = lower(s.user_id) OR p.username = lower(s.username))
GROUP BY s.id
ORDER BY max(severity_rank(r.severity)) DESC, username, created, session_id;
