-- The checks whose findings reach each live session, for the Sessions sheet:
-- a finding reaches the sessions its target reaches (target_reach, the
-- removal list's rule, see reach.sql) and the session it names (session_id)
-- besides, and an ip_new_for_user finding that session's live family. It is a table, not a query of the report, because target_reach
-- and the Setup logins' families it is built from end with the run.
-- withheld says why a live session that a finding of remove_on reached is
-- not on the removal list (removals_withheld, see removals.sql).
CREATE OR REPLACE TABLE session_flags AS
WITH hits AS (
    SELECT session_id AS id, check_id FROM findings WHERE session_id IS NOT NULL
    UNION ALL
    SELECT r.session_id, f.check_id
    FROM (SELECT DISTINCT check_id, target_kind, target_id FROM findings WHERE target_kind IS NOT NULL) f
    JOIN reach_targets t USING (target_kind, target_id)
    JOIN target_reach r USING (target_no)
    UNION ALL
    -- ip_new_for_user judges a family (the country of its login) and names
    -- its earliest live session: every live session of that family is what
    -- the finding is about. (Its findings are few; the other checks without
    -- a target judge each session they name.)
    SELECT s.id, f.check_id
    FROM findings f
    JOIN sessions n ON n.id = f.session_id
    JOIN sessions s ON s.parent_id = n.parent_id
    WHERE f.check_id = 'ip_new_for_user' AND is_live(s.expires)
)
SELECT h.id, string_agg(h.check_id, '; ' ORDER BY h.check_id) AS flags, any_value('no: ' || w.why) AS withheld
FROM (SELECT DISTINCT id, check_id FROM hits) h
LEFT JOIN removals_withheld w ON w.session_id = h.id
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
    -- A reused session's login is a later one (see live_families): the
    -- sheet shows its creation, as the checks date it.
    WHERE is_live(s.expires) AND began_session(n.login_time, s.created)
), places AS (
    SELECT rowid AS login_row, city, country_iso, country
    FROM logins
    WHERE rowid IN (SELECT login_row FROM named WHERE placeless)
)
SELECT n.id, n.session_row, n.login_time, p.city, p.country_iso, p.country
FROM named n
LEFT JOIN places p ON n.placeless AND p.login_row = n.login_row;
