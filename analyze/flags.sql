-- The checks whose findings reach each live session, for the Sessions sheet:
-- a finding reaches sessions as removals.sql says (a 'session' target that
-- session, a 'family' target every session of the family, a 'login' target
-- the families that login began, a Setup download's login included), and
-- the session it names (session_id) besides. It is a table, not a query of
-- the report, because the Setup logins' families are found with the
-- prelude's helpers, which end with the run. Each way a finding can reach a
-- session is its own equi-join: one join on their OR is a nested loop, which
-- on a million findings and as many sessions never finishes.
CREATE OR REPLACE TABLE session_flags AS
WITH families AS (
    SELECT check_id, unnest(string_split(target_id, ' ')) AS family_id
    FROM findings WHERE target_kind = 'family'
    UNION ALL
    SELECT f.check_id, s.parent_id
    FROM findings f JOIN sessions s ON s.login_history_id = f.target_id
    WHERE f.target_kind = 'login'
    UNION ALL
    SELECT f.check_id, x.family_id
    FROM findings f JOIN families_of_setup_login x ON x.login_id = f.target_id
    WHERE f.target_kind = 'login'
), hits AS (
    SELECT session_id AS id, check_id FROM findings WHERE session_id IS NOT NULL
    UNION ALL
    SELECT target_id, check_id FROM findings WHERE target_kind = 'session'
    UNION ALL
    SELECT s.id, f.check_id
    FROM (SELECT DISTINCT check_id, family_id FROM families) f
    JOIN sessions s ON s.parent_id = f.family_id
    WHERE is_live(s.expires)
)
SELECT id, string_agg(check_id, '; ' ORDER BY check_id) AS flags
FROM (SELECT DISTINCT id, check_id FROM hits)
GROUP BY id;
