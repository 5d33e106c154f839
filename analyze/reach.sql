-- The live sessions each finding's target reaches, for the removal list
-- (removals.sql) and the Sessions sheet's flags (flags.sql), so that the two
-- read one rule: a 'session' target reaches that session, a 'family' target
-- every session sharing that parent_id, and a 'login' target the families
-- of the sessions that name that login (family and login targets may list
-- several, separated by spaces); a Setup download's login, which no session names,
-- the families its user began from its IP within two minutes of it (see
-- families_of_setup_login in prelude.sql); any login reaches too the reused
-- families it began, by the same rule (families_of_reused_login), whose
-- sessions name a later login. Expired sessions are reached by
-- nothing: no removal can end them. One row per distinct target and session,
-- so a target that many findings share is followed once.
-- Targets are numbered once (reach_targets) and reached by number: a target
-- listing thousands of Ids (a spray's successes) reaching thousands of
-- sessions would otherwise repeat its whole text on every row, memory
-- growing with the square of its size.
CREATE OR REPLACE TEMP TABLE reach_targets AS
SELECT row_number() OVER () AS target_no, target_kind, target_id
FROM (SELECT DISTINCT target_kind, target_id FROM findings WHERE target_kind IS NOT NULL);

CREATE OR REPLACE TEMP TABLE target_reach AS
WITH target_logins AS (
    SELECT target_no, unnest(string_split(target_id, ' ')) AS login_id
    FROM reach_targets WHERE target_kind = 'login'
), families AS (
    SELECT target_no, unnest(string_split(target_id, ' ')) AS family_id
    FROM reach_targets WHERE target_kind = 'family'
    UNION
    SELECT t.target_no, s.parent_id
    FROM target_logins t JOIN sessions s ON s.login_history_id = t.login_id
    UNION
    SELECT t.target_no, f.family_id
    FROM target_logins t JOIN families_of_setup_login f ON f.login_id = t.login_id
    UNION
    SELECT t.target_no, f.family_id
    FROM target_logins t JOIN families_of_reused_login f ON f.login_id = t.login_id
)
SELECT t.target_no, s.id AS session_id
FROM reach_targets t JOIN sessions s ON s.id = t.target_id
WHERE t.target_kind = 'session' AND is_live(s.expires)
UNION ALL
SELECT DISTINCT f.target_no, s.id
FROM families f JOIN sessions s ON s.parent_id = f.family_id
WHERE is_live(s.expires);
