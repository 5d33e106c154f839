-- The checks whose findings reach each live session, for the Sessions sheet:
-- a finding reaches sessions as removals.sql says (a 'session' target that
-- session, a 'family' target every session of the family, a 'login' target
-- the families that login began, a Setup download's login included), and
-- the session it names (session_id) besides. It is a table, not a query of
-- the report, because the Setup logins' families are found with the
-- prelude's helpers, which end with the run. Each way a finding can reach a
-- session is its own equi-join: one join on their OR is a nested loop, which
-- on a million findings and as many sessions never finishes. withheld says
-- why a live session that a finding of remove_on reached is not on the
-- removal list (removals.sql leaves those out).
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
), withheld AS (
    SELECT DISTINCT s.id, CASE
        WHEN s.is_current THEN 'no: the exporting user''s own session'
        WHEN s.id IN (SELECT session_id FROM removals_held_back) THEN 'no: held back, no username'
        ELSE 'no: protected user'
    END AS why
    FROM removal_reached r
    JOIN sessions s ON s.id = r.session_id
    WHERE is_live(s.expires) AND s.id NOT IN (SELECT session_id FROM removals)
)
SELECT h.id, string_agg(h.check_id, '; ' ORDER BY h.check_id) AS flags, any_value(w.why) AS withheld
FROM (SELECT DISTINCT id, check_id FROM hits) h
LEFT JOIN withheld w USING (id)
GROUP BY h.id;

-- Each live session's login, as the Sessions sheet shows it: the login's
-- time, and its place for a session whose export gave none (the checks take
-- the same fallback, see live_families). Only sessions whose login is in the
-- history have a row; the places are looked up by rowid for the sessions
-- without one alone. session_row is the session's rowid, which the sheet
-- joins on: an integer key costs far less than the Id over a million rows.
CREATE OR REPLACE TABLE session_logins AS
WITH named AS (
    SELECT s.id, s.rowid AS session_row, n.login_time, n.login_row,
        s.city IS NULL AND s.country IS NULL AND s.country_iso IS NULL AS placeless
    FROM sessions s
    JOIN named_logins n ON n.id = s.login_history_id
    WHERE is_live(s.expires)
), places AS (
    SELECT rowid AS login_row, city, country_iso, country
    FROM logins
    WHERE rowid IN (SELECT login_row FROM named WHERE placeless)
)
SELECT n.id, n.session_row, n.login_time, p.city, p.country_iso, p.country
FROM named n
LEFT JOIN places p ON n.placeless AND p.login_row = n.login_row;
