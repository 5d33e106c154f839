-- The live sessions each finding's target reaches, for the removal list
-- (removals.sql) and the Sessions sheet's flags (flags.sql), so that the two
-- read one rule: a 'session' target reaches that session, a 'family' target
-- every session sharing that parent_id, and a 'login' target the families
-- of the sessions that name that login (family and login targets may list
-- several, separated by spaces); a Setup download's login, which no session names,
-- the families its user began from its IP within two minutes of it (see
-- families_of_setup_login in prelude.sql), and any login the reused
-- families it began by the same rule (families_of_reused_login), whose
-- sessions name a later login. Expired sessions are reached by
-- nothing: no removal can end them. One row per distinct target and session,
-- so a target that many findings share is followed once.
CREATE OR REPLACE TEMP TABLE target_reach AS
WITH targets AS (
    SELECT DISTINCT target_kind, target_id FROM findings WHERE target_kind IS NOT NULL
), target_logins AS (
    SELECT target_kind, target_id, unnest(string_split(target_id, ' ')) AS login_id
    FROM targets WHERE target_kind = 'login'
), families AS (
    SELECT target_kind, target_id, unnest(string_split(target_id, ' ')) AS family_id
    FROM targets WHERE target_kind = 'family'
    UNION
    SELECT t.target_kind, t.target_id, s.parent_id
    FROM target_logins t JOIN sessions s ON s.login_history_id = t.login_id
    UNION
    SELECT t.target_kind, t.target_id, f.family_id
    FROM target_logins t JOIN families_of_setup_login f ON f.login_id = t.login_id
    UNION
    SELECT t.target_kind, t.target_id, f.family_id
    FROM target_logins t JOIN families_of_reused_login f ON f.login_id = t.login_id
)
SELECT t.target_kind, t.target_id, s.id AS session_id
FROM targets t JOIN sessions s ON s.id = t.target_id
WHERE t.target_kind = 'session' AND is_live(s.expires)
UNION ALL
SELECT DISTINCT f.target_kind, f.target_id, s.id
FROM families f JOIN sessions s ON s.parent_id = f.family_id
WHERE is_live(s.expires);
