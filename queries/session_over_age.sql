-- id: session_over_age
-- title: Interactive session open too long
-- severity: medium
-- rationale: A browser or UI session that stays valid far longer than a working day outlives
--   the person at the keyboard: a stolen session cookie keeps working, and the session no
--   longer proves the user is present.
-- remediation: End the session and lower the session timeout of the profile or org.
-- knobs: session_max_age, session_max_age_by_type, token_types
-- removes: the session

-- Token sessions (token_types: by default API logins and OAuth tokens, such
-- as API, Oauth2 and APIOnlyUser) are judged by token_over_rotation instead,
-- except a UI login's companion API session (live_companions, see
-- analyze/prelude.sql), judged by the UI limit: ending an over-age UI session
-- must not leave the API session of the same login running.
-- A companion's age counts from its UI session's creation when that came
-- first (ingest puts a companion created within a minute of it, before or
-- after, in its family): the pair is ended together, not the UI session alone.
-- A session without a type is judged as interactive (ingest rejects a row
-- without a SessionType, so only a table filled some other way has one).
WITH judged AS (
    SELECT
        s.*,
        c.id IS NOT NULL AS companion,
        least(s.created, coalesce(c.ui_created, s.created)) AS opened,
        coalesce(s.session_type, 'untyped') AS type_name,
        CASE WHEN c.id IS NOT NULL THEN 'UI' ELSE coalesce(s.session_type, 'untyped') END AS limit_type,
        coalesce(t.max_age, getvariable('session_max_age')) AS max_age
    FROM sessions s
    LEFT JOIN live_companions c ON c.id = s.id
    LEFT JOIN policy_session_max_age_by_type t
        ON t.session_type = CASE WHEN c.id IS NOT NULL THEN 'ui' ELSE lower(s.session_type) END
    WHERE is_live(s.expires)
        AND (c.id IS NOT NULL OR lower(coalesce(s.session_type, '')) NOT IN (SELECT session_type FROM policy_token_types))
)
SELECT
    'medium' AS severity,
    user_id,
    username,
    id AS session_id,
    source_ip,
    created AS observed_at,
    printf('%s session of %s from %s, created %s%s, has been open for %s; the limit for %s sessions is %s.',
        type_name, user_name(username, user_id), coalesce(source_ip, 'an unknown IP'), fmt_time(created),
        CASE WHEN NOT companion THEN ''
            WHEN date_trunc('minute', opened) < date_trunc('minute', created) THEN ' beside the UI session of its login (created ' || fmt_time_after(opened, created) || ', the time it counts from)'
            ELSE ' beside the UI session of its login' END,
        past_limit(getvariable('as_of') - opened, max_age), limit_type, whole_duration(max_age)) AS detail,
    'session' AS target_kind,
    id AS target_id
FROM judged
WHERE opened < getvariable('as_of') - max_age
